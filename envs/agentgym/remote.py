"""One env living on an AgentGym server: its id and the protocol calls on it, per profile.

This is the only place that knows the shape of request bodies and replies; it turns them into
plain Python values (`StepReply`, observation strings, action lists) for the gym env.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from agentrm_ray.envs.agentgym.errors import (
    AgentGymOracleUnavailableError,
    AgentGymServerError,
)
from agentrm_ray.envs.agentgym.profiles import (
    GENERIC_INVALID_MARKERS,
    ActionSource,
    CloseSupport,
    ServerProfile,
    StepReply,
    parse_listed_actions,
)
from agentrm_ray.envs.agentgym.transport import NOT_FOUND, AgentGymHTTP, error_message

# How servers say the env id is unknown (e.g. after a restart): "The id 3 is not valid."
_LOST_ENV = re.compile(r"\bid\b.*\bnot valid\b|has been deleted", re.IGNORECASE)


@dataclass(frozen=True)
class ResetReply:
    observation: str
    goal: str | None


class RemoteEnv:
    """Create/reset/step/observe/close one remote env; `close` is idempotent and thread-safe."""

    def __init__(self, http: AgentGymHTTP, profile: ServerProfile) -> None:
        self.http = http
        self.profile = profile
        self.env_id: Any = None
        self._closed = False
        self._lock = threading.Lock()

    # ----------------------------------------------------------------- lifecycle
    def create(self) -> None:
        """Create the remote env (once); TextCraft's create needs `{}` as its body."""
        body: dict[str, Any] | None = {} if self.profile.create_sends_json else None
        kwargs = {"body": body} if body is not None else {}
        payload = self.http.request("POST", self.profile.path("create"), **kwargs)
        self._raise_on_error(payload, "POST create")
        if isinstance(payload, dict) and "id" in payload:
            self.env_id = payload["id"]
        elif isinstance(payload, (int, str)) and not isinstance(payload, bool):
            self.env_id = payload  # WebShop answers a bare integer
        else:
            raise AgentGymServerError(
                f"AgentGym server at {self.http.base_url}: POST {self.profile.path('create')} "
                f"returned no env id: {payload!r:.200}"
            )
        self._closed = False

    def close(self, *, quick: bool = False) -> None:
        """Close the remote env where the server can (idempotent; a missing close is fine).

        `quick` (used at interpreter exit) gives up after one short attempt.
        """
        with self._lock:
            if self._closed or self.env_id is None:
                self._closed = True
                return
            self._closed = True
        if self.profile.close is CloseSupport.NO:
            return
        extra: dict[str, Any] = {"retries": 0, "timeout_s": 1.0} if quick else {}
        self.http.request(
            "POST", self.profile.path("close"), body={self.profile.id_field: self.env_id},
            idempotent=False, optional=self.profile.close is CloseSupport.PROBE, **extra,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    # ----------------------------------------------------------------- episode
    def reset(self, index: int) -> ResetReply:
        """Reset to data index `index` (creating the env first if needed).

        A server that lost the env (restarted: "The id 0 is not valid.") gets a fresh one once.
        """
        if self.env_id is None:
            self.create()
        payload = self._post_reset(index)
        message = error_message(payload)
        if message is not None and _LOST_ENV.search(message):
            self.create()
            payload = self._post_reset(index)
        self._raise_on_error(payload, "POST reset")
        observation = _text_of(payload, (self.profile.observation_key, "observation", "state"))
        if not observation:
            observation = self.observation()
        return ResetReply(observation, self._goal_of(payload, observation))

    def step(self, action: str) -> StepReply:
        """Send one action. An invalid action is a reply marked invalid, never an exception."""
        payload = self.http.request(
            "POST", self.profile.path("step"),
            body={self.profile.id_field: self.env_id, "action": action}, idempotent=False,
        )
        message = error_message(payload)
        if message is not None:
            if self.is_invalid_text(message):
                return StepReply(observation=message, invalid=True)
            self._raise_on_error(payload, "POST step")
        if not isinstance(payload, dict):
            raise AgentGymServerError(
                f"AgentGym server at {self.http.base_url}: POST {self.profile.path('step')} "
                f"returned {type(payload).__name__}, expected an object"
            )
        key = self.profile.observation_key
        if not isinstance(payload.get(key), str):
            raise AgentGymServerError(
                f"AgentGym server at {self.http.base_url}: POST {self.profile.path('step')} "
                f"reply has no text under {key!r} (keys: {', '.join(map(str, payload))}); "
                f"does the server speak the {self.profile.name!r} dialect?"
            )
        observation = payload[key]
        score = payload.get(self.profile.score_key) if self.profile.score_key else None
        return StepReply(
            observation=observation,
            reward=_number(payload.get("reward", 0.0)),
            done=bool(payload.get("done", False)),
            score=None if score is None else _number(score),
            invalid=self.is_invalid_text(observation),
        )

    def observation(self) -> str:
        payload = self.http.request(
            "GET", self.profile.path("observation"), params={self.profile.id_field: self.env_id}
        )
        self._raise_on_error(payload, "GET observation")
        return _text_of(payload, (self.profile.observation_key, "observation", "state"))

    def available_actions(self, observation: str) -> list[str] | None:
        """The admissible actions now, where the profile says the server lists them."""
        source = self.profile.actions
        if source is ActionSource.OBSERVATION:
            return parse_listed_actions(observation)
        if source is ActionSource.ENDPOINT and self.env_id is not None:
            payload = self.http.request(
                "GET", self.profile.path("available_actions"),
                params={self.profile.id_field: self.env_id}, optional=True,
            )
            if payload is NOT_FOUND:
                return None
            self._raise_on_error(payload, "GET available_actions")
            if isinstance(payload, dict):
                payload = payload.get("available_actions", payload.get("actions"))
            if isinstance(payload, list):
                return [str(a) for a in payload]
        return None

    def oracle(self) -> str:
        """The expert's next action via agentrm's `GET <prefix>oracle` extension, if offered."""
        payload = self.http.request(
            "GET", self.profile.path("oracle"), params={self.profile.id_field: self.env_id},
            optional=True,
        )
        if payload is NOT_FOUND:
            raise AgentGymOracleUnavailableError(
                f"the AgentGym server at {self.http.base_url} ({self.profile.name} dialect) "
                "offers no oracle: the AgentGym protocol has none, only agentrm's test server "
                f"adds GET {self.profile.path('oracle')}"
            )
        self._raise_on_error(payload, "GET oracle")
        action = payload.get("action") if isinstance(payload, dict) else payload
        if not isinstance(action, str) or not action:
            raise AgentGymServerError(f"oracle of {self.http.base_url} returned {payload!r:.200}")
        return action

    # ----------------------------------------------------------------- helpers
    def is_invalid_text(self, text: str) -> bool:
        lowered = text.lower()
        markers = GENERIC_INVALID_MARKERS + self.profile.invalid_markers
        return any(marker.lower() in lowered for marker in markers)

    def _post_reset(self, index: int) -> Any:
        body = {self.profile.id_field: self.env_id, self.profile.index_field: int(index)}
        return self.http.request("POST", self.profile.path("reset"), body=body)

    def _goal_of(self, payload: Any, observation: str) -> str | None:
        if self.profile.goal_key and isinstance(payload, dict):
            goal = payload.get(self.profile.goal_key)
            if isinstance(goal, str) and goal.strip():
                return goal.strip()
        if self.profile.goal_pattern:
            match = re.search(self.profile.goal_pattern, observation)
            if match:
                return match.group(1).strip()
        return None

    def _raise_on_error(self, payload: Any, endpoint: str) -> None:
        message = error_message(payload)
        if message is not None:
            method, _, name = endpoint.partition(" ")
            raise AgentGymServerError(
                f"AgentGym server at {self.http.base_url} answered {method} "
                f"{self.profile.path(name)} (env {self.env_id}) with an error: {message}"
            )


def _text_of(payload: Any, keys: tuple[str, ...]) -> str:
    """The observation text of a reply: a bare string, a keyed object, or a list's first text."""
    if isinstance(payload, str):
        return payload
    if isinstance(payload, dict):
        for key in keys:
            value = payload.get(key)
            if isinstance(value, str):
                return value
        return ""
    if isinstance(payload, list):
        for item in payload:
            if isinstance(item, str):
                return item
    return ""


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
