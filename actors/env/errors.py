"""Errors of the env-worker layer.

`SessionEvictedError` is the worker telling the pool "I no longer hold that session" — it was
evicted to bound memory, closed, or lost when the worker process restarted. It is not a
failure the caller sees: the pool rebuilds the session by replaying its action prefix. The
other two are what is left when the pool cannot help.
"""

from __future__ import annotations

from agentrm_ray.errors import AgentRMError


class SessionEvictedError(AgentRMError, KeyError):
    """The worker holds no live session under this id; rebuild it by replaying its actions."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class SessionClosedError(AgentRMError):
    """A caller used an `EnvSession` after closing it (a bug in the caller, never retried)."""


class EnvPoolError(AgentRMError):
    """Every bounded attempt to reach a live worker for a session failed; the message says why."""
