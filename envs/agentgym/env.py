"""The AgentGym env: a TextEnv whose state lives on a remote AgentGym env server.

Where the server is (never guessed: no URL is an error naming the fix):
- `base_url="http://host:port"` (AgentGym servers conventionally listen on port 36001); a
  family declared in a config's `envs.agentgym` passes its `base_url` this way, or
- `base_url="self-hosted"`: the maze server of `agentrm_ray.envs.agentgym.maze_server`,
  started in this process on 127.0.0.1 on first use, shared by all envs of the process and
  stopped when the last of them is closed (maze dialect only; the bundled `agentgym` family
  uses it, for tests and demos), or
- with `base_url=None`, the environment variable AGENTRM_AGENTGYM_URL.

Task ids are "<family>-<index>" and map to the server's data index (`data_idx`, `game`,
`seed` or `session_id`, per profile); a declared family's catalogue is its split ranges. One
remote env is created per TextEnv on its first reset and reused by later resets, and every
step goes to that env: a search branch keeps its server env. Remote envs cannot be
snapshotted, so `fork()` replays: a new env resets a fresh remote env (or an idle one, on a
server without close) to the same index and repeats the action prefix (the server's reset is
deterministic per index); only forks replay. `oracle_action()` needs agentrm's `GET <prefix>oracle`
extension (the maze server has it); other servers raise AgentGymOracleUnavailableError.

`close()` (gym's close; also done in the background when an unclosed env is garbage-
collected, see lifecycle.py) calls the server's close where the profile has one; it is
idempotent and never raises, and a closed env may be reset again on a new remote env.

Invalid actions never raise: where the server lists admissible actions (BabyAI in the
observation, maze at /available_actions) an action outside the list is answered locally
without a request; elsewhere the server's own complaint (e.g. SciWorld's "No known action
matches that input.") becomes the invalid-action observation.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import numpy as np

from agentrm_ray.envs.agentgym.declared import SELF_HOSTED, SELF_HOSTED_PROFILE, DeclaredTasks
from agentrm_ray.envs.agentgym.errors import AgentGymError
from agentrm_ray.envs.agentgym.lifecycle import RemoteSession, close_when_collected, idle_envs
from agentrm_ray.envs.agentgym.profiles import ActionSource, ServerProfile, get_profile
from agentrm_ray.envs.agentgym.remote import RemoteEnv
from agentrm_ray.envs.agentgym.transport import AgentGymHTTP, CallTimeouts
from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.suites import TaskSpec

URL_ENV_VAR = "AGENTRM_AGENTGYM_URL"
DEFAULT_AGENTGYM_URL = "http://127.0.0.1:36001"  # where AgentGym servers usually listen


def _normalise(action: str) -> str:
    return " ".join(action.lower().split())


class AgentGymEnv(TextEnv):
    """A remote AgentGym env behind the TextEnv contract (see the module docstring)."""

    family = "agentgym"
    default_max_steps = 50

    def __init__(
        self,
        base_url: str | None = None,
        server: str = SELF_HOSTED_PROFILE,
        num_tasks: int | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 3,
        backoff_s: float = 0.25,
        transport: httpx.BaseTransport | None = None,
        max_steps: int | None = None,
        render_mode: str | None = None,
        timeouts: CallTimeouts | None = None,
        family_name: str | None = None,
        splits: tuple[tuple[str, int, int], ...] | None = None,
    ) -> None:
        """`timeouts` (per kind of call, with the retry budget) replaces `timeout_s`,
        `max_retries` and `backoff_s`; `family_name` and `splits` come from a declared family
        (see declared.py) and set the task ids and catalogue."""
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self.profile: ServerProfile = get_profile(server)
        self.server = server
        self.family = family_name or type(self).family  # type: ignore[misc]
        self.splits = splits
        self.num_tasks = int(num_tasks or self.profile.default_num_tasks)
        self.timeout_s = float(timeout_s)
        self.timeouts = timeouts or CallTimeouts.uniform(
            float(timeout_s), int(max_retries), float(backoff_s))
        self._base_url = base_url
        self._transport = transport  # tests: httpx.MockTransport for dialects we cannot host
        url = self._configured_url()
        if url is None:
            raise AgentGymError(
                f"no AgentGym server URL for the {server!r} profile: declare the family in the "
                f"config's envs.agentgym with its base_url (usually {DEFAULT_AGENTGYM_URL}), "
                f"pass base_url=, or set {URL_ENV_VAR}"
            )
        if url == SELF_HOSTED and server != SELF_HOSTED_PROFILE:
            raise AgentGymError(
                f"only the {SELF_HOSTED_PROFILE!r} profile can be self-hosted, not {server!r}; "
                "give the server's URL"
            )
        self._session: RemoteSession | None = None
        self._finalizer: Any = None
        self._raw_observation = ""
        self._admissible: list[str] | None = None
        self._admissible_known = False
        # server calls since the last take_remote_calls (a fork's start at zero)
        self._calls = {"create": 0, "reset": 0, "step": 0}

    # ----------------------------------------------------------------- family hooks
    def task_catalogue(self) -> list[TaskSpec]:
        if self.splits is not None:
            return DeclaredTasks(self.family, self.splits)()
        from agentrm_ray.envs.agentgym.family import agentgym_tasks

        return agentgym_tasks(self.server, self.num_tasks)

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        remote = self._open_session().remote
        index = int(task.param("data_idx"))
        self._calls["create"] += remote.env_id is None
        self._calls["reset"] += 1
        reply = remote.reset(index)
        self._set_raw_observation(reply.observation)
        goal = reply.goal or f"{self.profile.goal} ({self.family} task {index})"
        return reply.observation, goal

    def _apply(self, action: str) -> Transition:
        remote = self._open_session().remote
        admissible = self.admissible_actions()
        if admissible:
            by_form = {_normalise(a): a for a in admissible}
            canonical = by_form.get(_normalise(action))
            if canonical is None:
                return Transition(self.invalid_observation(action), valid=False)
            action = canonical
        self._calls["step"] += 1
        reply = remote.step(action)
        self._set_raw_observation(reply.observation)
        if reply.invalid:
            text = reply.observation or "the server rejected it"
            if "invalid" not in text.lower():
                text = f"Invalid action: {action!r}. {text}"
            return Transition(text, reward=reply.reward, done=reply.done, valid=False)
        success = self.profile.success(reply)
        extra = {} if reply.score is None else {"server_score": reply.score}
        return Transition(
            reply.observation, reward=reply.reward, done=reply.done, success=success,
            progress=self.profile.progress(reply, success), extra=extra,
        )

    def admissible_actions(self) -> list[str] | None:
        if self.profile.actions is ActionSource.NONE or self._session is None:
            return None
        if not self._admissible_known:
            self._admissible = self._session.remote.available_actions(self._raw_observation)
            self._admissible_known = True
        return None if self._admissible is None else list(self._admissible)

    def oracle_action(self) -> str:
        return self._open_session().remote.oracle()

    def take_remote_calls(self) -> dict[str, int] | None:
        calls, self._calls = self._calls, {"create": 0, "reset": 0, "step": 0}
        return calls

    def _init_kwargs(self) -> dict[str, Any]:
        kwargs = super()._init_kwargs()
        kwargs.update(
            base_url=self._base_url, server=self.server, num_tasks=self.num_tasks,
            timeout_s=self.timeout_s, timeouts=self.timeouts, transport=self._transport,
            family_name=self.family, splits=self.splits,
        )
        return kwargs

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle (e.g. to a Ray worker) as a recipe: unpickling replays onto a new remote env."""
        return _rebuild, (
            self._init_kwargs(), self._reset_seed, self._reset_options,
            list(self._actions) if self._task is not None else None,
        )

    # ----------------------------------------------------------------- lifecycle
    @property
    def base_url(self) -> str | None:
        """The server URL in use (None before the first reset in self-hosted mode)."""
        if self._session is not None:
            return self._session.remote.http.base_url
        return self._configured_url()

    def close(self) -> None:
        """Close the remote env (idempotent, never raises); a later reset opens a new one."""
        session, self._session = self._session, None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if session is not None:
            session.close()
        super().close()

    def _configured_url(self) -> str | None:
        return self._base_url or os.environ.get(URL_ENV_VAR) or None

    def _open_session(self) -> RemoteSession:
        if self._session is not None:
            return self._session
        url = self._configured_url()
        assert url is not None  # checked in __init__
        lease = None
        if url == SELF_HOSTED:
            from agentrm_ray.envs.agentgym.maze_server import acquire_shared_server

            lease = acquire_shared_server()
            url = lease.url
        try:
            http = AgentGymHTTP(
                url, dialect=self.server, timeouts=self.timeouts, transport=self._transport,
            )
        except BaseException:
            if lease is not None:
                lease.release()
            raise
        remote = None
        if lease is None and self._transport is None:
            remote = idle_envs.take(http.base_url, self.profile.name, self.timeouts)
        if remote is None:
            remote = RemoteEnv(http, self.profile)
        self._session = RemoteSession(remote, lease)
        self._finalizer = close_when_collected(self, self._session)
        return self._session

    def _set_raw_observation(self, observation: str) -> None:
        self._raw_observation = observation
        self._admissible_known = False


def _rebuild(
    kwargs: dict[str, Any], seed: int | None, options: dict[str, Any] | None,
    actions: list[str] | None,
) -> AgentGymEnv:
    env = AgentGymEnv(**kwargs)
    if actions is not None:
        env.reset(seed=seed, options=options)
        for action in actions:
            env.step(action)
    return env
