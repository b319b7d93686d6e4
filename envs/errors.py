"""Errors of the env layer. Bad *actions* are never errors (they become observations);
these are for misuse a caller must fix: unknown env or task ids, stepping a finished episode."""

from __future__ import annotations

from agentrm_ray.errors import AgentRMError


class UnknownEnvError(AgentRMError, KeyError):
    """An env id or family name that is not registered; the message lists the valid ones."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnknownTaskError(AgentRMError, KeyError):
    """A task id that the named suite does not contain."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EpisodeFinishedError(AgentRMError, RuntimeError):
    """step() after the episode terminated or was truncated (or before any reset)."""


class EnvUnavailableError(AgentRMError):
    """A family whose optional dependency is not installed; the message names the extra."""
