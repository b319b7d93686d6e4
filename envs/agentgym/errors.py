"""Errors of the AgentGym client. Each message names the server URL and the endpoint involved,
because the usual fix is on the server side (not running, wrong dialect, wrong port)."""

from __future__ import annotations

from agentrm_ray.errors import AgentRMError


class AgentGymError(AgentRMError):
    """Anything that went wrong talking to an AgentGym env server."""


class AgentGymConnectionError(AgentGymError, ConnectionError):
    """The server could not be reached (or did not answer in time) after bounded retries.

    `may_have_arrived`: the request may have reached the server before the connection failed
    (a read timeout), so whatever it asks for may have happened."""

    def __init__(self, message: str, *, may_have_arrived: bool = False) -> None:
        super().__init__(message)
        self.may_have_arrived = may_have_arrived


class AgentGymServerError(AgentGymError):
    """The server answered, but with an error: `{"error": ...}`, HTTP 4xx/5xx, or bad JSON."""


class AgentGymOracleUnavailableError(AgentGymError, NotImplementedError):
    """The server offers no expert: the AgentGym protocol has none, agentrm's extension does."""
