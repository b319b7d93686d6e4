"""`EnvWorker`: a Ray actor hosting many env sessions, addressed by session id.

Why an async actor with threads: one worker serves many sessions (every node of a search tree
may hold one), and some families are slow and blocking (TextWorld Express and ScienceWorld
step a JVM). Every env call runs in a worker thread (`asyncio.to_thread`), so a slow step
never stalls the other sessions; a per-session lock keeps two calls to one session in order.

The API is narrow and returns plain data (dicts, lists, exceptions), so the pool can batch
and retry it. Sessions are bounded (see `SessionStore`); using an evicted one raises
`SessionEvictedError`, and the pool rebuilds it by `open(..., actions=prefix)`. Errors that are
the caller's fault (EpisodeFinishedError, UnknownTaskError, UnknownEnvError) propagate as-is.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import ray

from agentrm_ray.actors.env.store import LiveSession, SessionStore
from agentrm_ray.config.models import AgentGymFamilyConfig
from agentrm_ray.envs.agentgym.declared import declare_agentgym_families
from agentrm_ray.envs.base import REMOTE_CALLS, TextEnv
from agentrm_ray.envs.registry import family_statuses, make_env

log = logging.getLogger(__name__)

EnvFactory = Callable[[], TextEnv]
ENV_THREADS = 32  # env calls in flight at once per worker
IDLE_SWEEP_MAX_S = 30.0  # how often an otherwise quiet worker looks for idle sessions


class EnvWorkerImpl:
    """The actor body (a plain class, so unit tests can also run it in-process)."""

    def __init__(
        self,
        name: str = "env-0",
        max_sessions: int = 256,
        idle_timeout_s: float = 600.0,
        extra_envs: Mapping[str, EnvFactory] | None = None,
        env_threads: int = ENV_THREADS,
        agentgym: Sequence[AgentGymFamilyConfig] = (),
    ) -> None:
        """`agentgym`: the config's declared AgentGym families, resolvable here by env id."""
        self.name = name
        self.env_threads = env_threads
        self.started_at = time.time()  # with "pid" in stats(): tells a restarted process apart
        self.store = SessionStore(max_sessions, idle_timeout_s)
        # Env ids outside the registry (test doubles, private families): id -> zero-arg factory.
        self.extra_envs = dict(extra_envs or {})
        self.counts = {"opened": 0, "forked": 0, "closed": 0, "steps": 0}
        self._background: set[asyncio.Task[Any]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        declare_agentgym_families(list(agentgym))
        family_statuses()  # register every family now, not racily from several threads later

    # ------------------------------------------------------------------ API
    def ping(self) -> str:
        return self.name

    async def open(
        self, env_id: str, task_id: str, seed: int | None, actions: Sequence[str] = ()
    ) -> dict[str, Any]:
        """Make the env, reset it to the task, replay `actions`; returns the current state.

        Replaying is also how the pool rebuilds an evicted or lost session and restores a
        fork handle, so the reply describes the state *after* the prefix.
        """
        self._start_sweeper()
        env, state = await asyncio.to_thread(self._build, env_id, task_id, seed, list(actions))
        session_id = self._add(env_id, env)
        self.counts["opened"] += 1
        self.counts["steps"] += len(actions)
        return {"session_id": session_id, **state}

    async def step(self, session_id: str, action: str) -> dict[str, Any]:
        """One env step; the reply is the gym 5-tuple as a dict."""
        session = self.store.acquire(session_id)
        try:
            async with session.lock:
                observation, reward, terminated, truncated, info = await asyncio.to_thread(
                    session.env.step, action
                )
                _report_remote_calls(session.env, info)
        finally:
            self.store.release(session)
        self.counts["steps"] += 1
        return {
            "observation": observation,
            "reward": reward,
            "terminated": terminated,
            "truncated": truncated,
            "info": info,
        }

    async def step_many(self, calls: Sequence[tuple[str, str]]) -> list[dict[str, Any] | Exception]:
        """Step many sessions concurrently; results in call order, failures as exception values.

        Failures are returned rather than raised so one evicted session does not discard the
        others' results. Two calls to the same session apply in list order (the session lock
        is fair and the calls queue on it in order).
        """
        results = await asyncio.gather(
            *(self.step(session_id, action) for session_id, action in calls),
            return_exceptions=True,
        )
        return [r if isinstance(r, dict) else _as_exception(r) for r in results]

    async def fork(self, session_id: str) -> str:
        """A new session in the same state (the env's snapshot where cheap, else replay)."""
        parent = self.store.acquire(session_id)
        try:
            async with parent.lock:
                env = await asyncio.to_thread(parent.env.fork)
        finally:
            self.store.release(parent)
        self.counts["forked"] += 1
        return self._add(parent.env_id, env)

    async def close(self, session_id: str) -> bool:
        """Close a session; False if it was not live (closing is idempotent)."""
        session = self.store.pop(session_id)
        if session is None:
            return False
        self.counts["closed"] += 1
        async with session.lock:  # let a call in flight finish first
            await asyncio.to_thread(_close_quietly, session.env)
        return True

    async def close_all(self) -> int:
        sessions = self.store.pop_all()
        self.counts["closed"] += len(sessions)
        for session in sessions:
            async with session.lock:
                await asyncio.to_thread(_close_quietly, session.env)
        return len(sessions)

    def stats(self) -> dict[str, Any]:
        self._close_later(self.store.expire_idle())
        return {
            "name": self.name,
            "pid": os.getpid(),
            "live": len(self.store),
            "busy": self.store.busy,
            "max_sessions": self.store.max_sessions,
            "evicted_lru": self.store.evicted_lru,
            "evicted_idle": self.store.evicted_idle,
            "started_at": self.started_at,
            **self.counts,
        }

    # ------------------------------------------------------------------ internals
    def _build(
        self, env_id: str, task_id: str, seed: int | None, actions: list[str]
    ) -> tuple[TextEnv, dict[str, Any]]:
        """Runs in a thread: make, reset and replay (one hop for the whole rebuild)."""
        factory = self.extra_envs.get(env_id)
        env = factory() if factory is not None else make_env(env_id)
        try:
            observation, info = env.reset(seed=seed, options={"task_id": task_id})
            for action in actions:
                observation, _, _, _, info = env.step(action)
        except BaseException:
            _close_quietly(env)
            raise
        _report_remote_calls(env, info)
        state = {"observation": observation, "info": info, "finished": env.finished}
        return env, state

    def _add(self, env_id: str, env: TextEnv) -> str:
        # Random ids, never counters: a restarted worker must not hand out an id that a
        # caller still holds for a session of the previous incarnation.
        session_id = uuid.uuid4().hex
        evicted = self.store.add(LiveSession(session_id, env_id, env, last_used=0.0))
        self._close_later(evicted)
        return session_id

    def _close_later(self, envs: list[TextEnv]) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # used in-process without an event loop
            for env in envs:
                _close_quietly(env)
            return
        for env in envs:
            task = loop.create_task(asyncio.to_thread(_close_quietly, env))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _start_sweeper(self) -> None:
        """Once per event loop: size the thread pool, and expire idle sessions even when no
        new session arrives to trigger it."""
        loop = asyncio.get_running_loop()
        if self._loop is loop:
            return
        self._loop = loop
        # asyncio.to_thread's default pool has cpu+4 threads; slow JVM envs need more to keep
        # many sessions stepping at once (they mostly wait, so threads are cheap).
        loop.set_default_executor(
            ThreadPoolExecutor(self.env_threads, thread_name_prefix=f"{self.name}-env")
        )
        self._sweeper = loop.create_task(self._sweep_forever())

    async def _sweep_forever(self) -> None:
        period = min(IDLE_SWEEP_MAX_S, max(0.05, self.store.idle_timeout_s / 2))
        while True:
            await asyncio.sleep(period)
            self._close_later(self.store.expire_idle())


def _report_remote_calls(env: TextEnv, info: dict[str, Any]) -> None:
    """Put the env's server calls since the last report into the reply's info."""
    calls = env.take_remote_calls()
    if calls is not None:
        info[REMOTE_CALLS] = calls


def _close_quietly(env: TextEnv) -> None:
    try:
        env.close()
    except Exception:  # an env that fails to close must not take the worker down
        log.warning("closing %s failed", type(env).__name__, exc_info=True)


def _as_exception(error: BaseException) -> Exception:
    if isinstance(error, Exception):
        return error
    raise error  # CancelledError and friends are not per-item results


EnvWorker = ray.remote(EnvWorkerImpl)
