"""Stable seeds derived from names: the same run, task and tree position always get the same
seed, whatever the scheduling order (Python's `hash` of str is salted per process)."""

from __future__ import annotations

import hashlib


def stable_seed(*parts: object) -> int:
    """A 31-bit seed from any printable parts."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big") & 0x7FFFFFFF
