"""User-facing error types: the CLI prints these as one clear message, never a traceback."""

from __future__ import annotations


class AgentRMError(Exception):
    """An error caused by input or environment that a user can fix; the message says how."""
