"""Per-search tracking of env sessions, so a cancelled search closes every one it created.

Why: `ObservedExpander` can release every *state* a strategy received, but `PoolExpander.step`
forks the parent's session and then steps the fork; a search cancelled during that step never
receives the child state, so its forked session would stay open on the env worker until the
idle timeout. Wrapping the `EnvPool` seen by one search closes that gap without changing the
pool or the expander: every session opened or forked through the wrapper is remembered until
it is closed, and `close_all` closes what is left.
"""

from __future__ import annotations

import contextlib
from typing import Any

from agentrm_ray.actors.env import EnvPool, EnvSession
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.config.models import SamplingConfig
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.types import Task


class SessionTracker:
    """The slice of `EnvPool` that `PoolExpander` uses, remembering open sessions."""

    def __init__(self, pool: EnvPool) -> None:
        self.pool = pool
        self.live: dict[int, EnvSession] = {}

    async def open(self, task: Task) -> tuple[EnvSession, str, dict[str, Any]]:
        session, observation, info = await self.pool.open(task)
        self.live[id(session)] = session
        return session, observation, info

    async def fork(self, session: EnvSession) -> EnvSession:
        child = await self.pool.fork(session)
        self.live[id(child)] = child
        return child

    async def step(self, session: EnvSession, action: str) -> Any:
        return await self.pool.step(session, action)

    async def close(self, session: EnvSession) -> None:
        self.live.pop(id(session), None)
        await self.pool.close(session)

    async def close_all(self) -> int:
        """Close every session this search still holds; returns how many."""
        leftovers = list(self.live.values())
        self.live.clear()
        for session in leftovers:
            with contextlib.suppress(Exception):  # a lost worker took the session with it
                await self.pool.close(session)
        return len(leftovers)


class TrackedPoolExpander(PoolExpander):
    """`PoolExpander` over a `SessionTracker`: `close_leftovers` ends every session it made."""

    def __init__(self, policy: PolicyPool, envs: EnvPool, scorer: Scorer,
                 sampling: SamplingConfig, prompts: PromptBook | None = None) -> None:
        self.tracker = SessionTracker(envs)
        super().__init__(policy, self.tracker, scorer, sampling,  # type: ignore[arg-type]
                         prompts)

    async def close_leftovers(self) -> int:
        return await self.tracker.close_all()
