"""One env living on an AgentGym server: its id and the protocol calls on it, per profile.

This is the only place that knows the shape of request bodies and replies; it turns them into
plain Python values (`StepReply`, observation strings, action lists) for the gym env.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Any

from agentrm_ray.envs.agentgym.errors import (
    AgentGymConnectionError,
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

log = logging.getLogger(__name__)

# How servers say the env id is unknown (e.g. after a restart): "The id 3 is not valid."
_LOST_ENV = re.compile(r"\bid\b.*\bnot valid\b|has been deleted", re.IGNORECASE)

# Word lists of servers with a vocabulary endpoint (LMRL wordle), by (base URL, path): the
# list is the server's vocabulary file, the same for every env, so it is fetched once per
# server and process rather than once per (forked) env. () means the server has none.
_VOCABULARIES: dict[tuple[str, str], tuple[str, ...]] = {}
_VOCABULARIES_LOCK = threading.Lock()


@dataclass(frozen=True)
class ResetReply:
    observation: str
    goal: str | None


class RemoteEnv:
    """Create/reset/step/observe/close one remote env; `close` is idempotent and thread-safe."""

    # What the current episode last showed, set by reset and step: servers that answer a
    # no-op with the unchanged observation (maze walls), or a lost score on an invalid step
    # (SciWorld), can only be read against it; ALFWorld's actions come with each reply.
    _last_observation: str | None = None
    _last_score: float | None = None
    _reply_actions: list[str] | None = None

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
        try:  # never repeated once it may have arrived: each arrival makes a server env
            payload = self.http.request("POST", self.profile.path("create"), idempotent=False,
                                        **kwargs)
        except AgentGymConnectionError as exc:
            if exc.may_have_arrived:
                self.http.count_possible_leak()
                log.warning("AgentGym server at %s: a create timed out after it may have "
                            "arrived; the server may hold an env nobody closes (%d so far)",
                            self.http.base_url, self.http.possibly_leaked)
            raise
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

    def close(self, *, quick: bool = False) -> bool:
        """Close the remote env where the server can (idempotent; a missing close is fine).

        Returns False when the server has no close endpoint, so the env still exists there
        (the caller may keep it for reuse). `quick` (used at interpreter exit) gives up after
        one short attempt.
        """
        with self._lock:
            if self._closed or self.env_id is None:
                self._closed = True
                return True
            self._closed = True
        if self.profile.close is CloseSupport.NO:
            return False
        extra: dict[str, Any] = {"retries": 0, "timeout_s": 1.0} if quick else {}
        answer = self.http.request(
            "POST", self.profile.path("close"), body={self.profile.id_field: self.env_id},
            idempotent=False, optional=self.profile.close is CloseSupport.PROBE, **extra,
        )
        return answer is not NOT_FOUND

    def reopen(self) -> None:
        """Take a closed-but-alive env (its server has no close) back into use."""
        with self._lock:
            self._closed = False

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
        score = self._score_of(payload)
        self._last_observation, self._last_score = observation, score
        self._reply_actions = self._actions_of(payload)
        goal = self._with_vocabulary(self._goal_of(payload, observation))
        return ResetReply(observation, goal)

    def step(self, action: str) -> StepReply:
        """Send one action. An invalid action is a reply marked invalid, never an exception.

        Invalid means: the text says so (the profile's markers), or, where the profile says a
        no-op answers the same text, the observation did not change. An invalid step keeps
        the last valid score where the profile says the server's is lost then; the reward is
        scaled like the score (see profiles.py).
        """
        payload = self.http.request(
            "POST", self.profile.path("step"),
            body={self.profile.id_field: self.env_id, "action": action}, idempotent=False,
        )
        message = error_message(payload)
        if message is not None:
            if self.is_invalid_text(message):
                return StepReply(observation=message, invalid=True, score=self._last_score)
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
        invalid = self.is_invalid_text(observation) or (
            self.profile.unchanged_is_noop and observation == self._last_observation
        )
        score = self._score_of(payload)
        if invalid and self.profile.keep_score_on_invalid:
            score = self._last_score
        reward = self._reward_of(payload, score)
        self._last_observation = observation
        if score is not None and not invalid:
            self._last_score = score
        self._reply_actions = self._actions_of(payload)
        return StepReply(
            observation=observation,
            reward=reward,
            done=bool(payload.get("done", False)),
            score=score,
            invalid=invalid,
        )

    def observation(self) -> str:
        payload = self.http.request(
            "GET", self.profile.path("observation"), params={self.profile.id_field: self.env_id}
        )
        self._raise_on_error(payload, "GET observation")
        return _text_of(payload, (self.profile.observation_key, "observation", "state"))

    def available_actions(self, observation: str) -> list[str] | None:
        """The admissible actions now, where the profile says the server lists them.

        None means "anything goes" (the server judges); the profile's `action_reader` turns
        the server's shape (a list, WebShop's clickables) into action strings.
        """
        source = self.profile.actions
        if source is ActionSource.OBSERVATION:
            return parse_listed_actions(observation)
        if source is ActionSource.REPLY and self._reply_actions is not None:
            return list(self._reply_actions)
        if source in (ActionSource.ENDPOINT, ActionSource.REPLY) and self.env_id is not None:
            payload = self.http.request(
                "GET", self.profile.path("available_actions"),
                params={self.profile.id_field: self.env_id}, optional=True,
            )
            if payload is NOT_FOUND:
                return None
            self._raise_on_error(payload, "GET available_actions")
            return self.profile.action_reader(payload)
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
                "offers no oracle: the AgentGym protocol has none, only agentrm's maze server "
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
        body = {self.profile.id_field: self.env_id, self.profile.index_field: int(index),
                **dict(self.profile.reset_extra)}
        return self.http.request("POST", self.profile.path("reset"), body=body)

    def _score_of(self, payload: Any) -> float | None:
        key = self.profile.score_key
        if key is None or not isinstance(payload, dict) or payload.get(key) is None:
            return None
        return _number(payload[key])

    def _reward_of(self, payload: dict[str, Any], score: float | None) -> float:
        """The step reward on the profile's scale; from the score's change where the server's
        reward is that change (SciWorld), so a score lost to an invalid step and regained on
        the next valid one earns nothing either way."""
        if self.profile.reward_from_score and score is not None:
            return (score - (self._last_score or 0.0)) / self.profile.reward_scale
        return _number(payload.get("reward", 0.0)) / self.profile.reward_scale

    def _actions_of(self, payload: Any) -> list[str] | None:
        """The actions a reset/step reply carries (ActionSource.REPLY), else None."""
        if self.profile.actions is not ActionSource.REPLY or not isinstance(payload, dict):
            return None
        value = payload.get(self.profile.actions_key)
        return None if value is None else self.profile.action_reader(value)

    def _with_vocabulary(self, goal: str | None) -> str | None:
        """The goal plus the server's word list, where it has one (wordle): the policy cannot
        guess well, nor avoid "invalid word", without knowing which words the server takes."""
        words = self._vocabulary()
        if not words:
            return goal
        if len(words) > self.profile.vocabulary_max_words:
            log.info("AgentGym server at %s lists %d words; too many to put in the goal",
                     self.http.base_url, len(words))
            return goal
        return (f"{goal or self.profile.goal} The hidden word is one of these {len(words)} "
                f"words, the only guesses the server accepts: {', '.join(words)}.")

    def _vocabulary(self) -> tuple[str, ...]:
        """The server's word list (fetched once per server), () where it offers none.

        LMRL's GET /wordle/filtered_vocab?id= answers a JSON list of words: the words still
        consistent with the feedback so far, i.e. the whole vocabulary right after a reset.
        The endpoint is optional: a 404 or an error answer leaves the goal without a list.
        """
        endpoint = self.profile.vocabulary_endpoint
        if endpoint is None or self.env_id is None:
            return ()
        key = (self.http.base_url, self.profile.path(endpoint))
        with _VOCABULARIES_LOCK:
            cached = _VOCABULARIES.get(key)
        if cached is not None:
            return cached
        try:
            payload = self.http.request(
                "GET", self.profile.path(endpoint), params={self.profile.id_field: self.env_id},
                optional=True,
            )
        except AgentGymServerError as exc:
            log.warning("AgentGym server at %s: no word list (%s)", self.http.base_url, exc)
            return ()
        if payload is NOT_FOUND:
            words: tuple[str, ...] = ()
        elif isinstance(payload, list):
            words = tuple(w.strip() for w in payload if isinstance(w, str) and w.strip())
        else:  # an {"error": ...} answer: perhaps transient, so not remembered
            log.warning("AgentGym server at %s answered GET %s with %.200r",
                        self.http.base_url, self.profile.path(endpoint), payload)
            return ()
        with _VOCABULARIES_LOCK:
            _VOCABULARIES[key] = words
        return words

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
