"""A search cancelled while stepping a fork closes that fork too (it never became a state), and
one cancelled while releasing a state still releases it."""

from __future__ import annotations

import asyncio
from typing import Any

from agentrm_ray.config.models import SamplingConfig
from agentrm_ray.search.expander import Proposal
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.serve.env_tracking import TrackedPoolExpander
from agentrm_ray.serve.observer import ObservedExpander
from agentrm_ray.types import Task

TASK = Task(env_id="agentrm/Maze-v0", task_id="double-t-01", seed=1)


class HangingEnvPool:
    """Duck-typed EnvPool whose step never returns; records which sessions are open."""

    def __init__(self) -> None:
        self.open_sessions: set[int] = set()
        self.forked = asyncio.Event()
        self._next = 0

    def _new(self) -> int:
        self._next += 1
        self.open_sessions.add(self._next)
        return self._next

    async def open(self, task: Task) -> tuple[int, str, dict[str, Any]]:
        return self._new(), "You are in a maze.", {"goal": "reach the goal"}

    async def fork(self, session: int) -> int:
        child = self._new()
        self.forked.set()
        return child

    async def step(self, session: int, action: str) -> Any:
        await asyncio.Event().wait()

    async def close(self, session: int) -> None:
        self.open_sessions.discard(session)


def _cancel_mid_step(expander_cls: type[PoolExpander]) -> tuple[set[int], int]:
    pool = HangingEnvPool()
    expander = ObservedExpander(expander_cls(None, pool, None, SamplingConfig()))  # type: ignore[arg-type]

    async def go() -> int:
        root = await expander.open(TASK)
        stepping = asyncio.ensure_future(expander.step(root, Proposal("", "move up", "x"), "0.0"))
        await pool.forked.wait()
        stepping.cancel()
        await asyncio.gather(stepping, return_exceptions=True)
        return await expander.release_all()

    released = asyncio.run(go())
    return pool.open_sessions, released


def test_tracked_expander_closes_the_fork_a_cancelled_step_was_using() -> None:
    still_open, released = _cancel_mid_step(TrackedPoolExpander)
    assert still_open == set() and released == 2  # the root state and the orphaned fork


def test_plain_pool_expander_would_leave_that_fork_open() -> None:
    still_open, _ = _cancel_mid_step(PoolExpander)
    assert len(still_open) == 1  # why TrackedPoolExpander exists


class SlowClosingEnvPool(HangingEnvPool):
    """Closing a session takes a moment, as a remote close does."""

    def __init__(self) -> None:
        super().__init__()
        self.closing = asyncio.Event()

    async def close(self, session: int) -> None:
        self.closing.set()
        await asyncio.sleep(0.05)
        await super().close(session)


def test_a_release_cancelled_half_way_is_finished_by_release_all() -> None:
    """A search that times out while it releases a pruned state: the state stays known until
    its env session is closed, so the server's cleanup closes it (it used to be forgotten
    first, and the session leaked)."""
    pool = SlowClosingEnvPool()
    expander = ObservedExpander(PoolExpander(None, pool, None, SamplingConfig()))  # type: ignore[arg-type]

    async def go() -> None:
        root = await expander.open(TASK)
        releasing = asyncio.ensure_future(expander.release(root))
        await pool.closing.wait()
        releasing.cancel()
        await asyncio.gather(releasing, return_exceptions=True)
        await expander.release_all()

    asyncio.run(go())
    assert pool.open_sessions == set()
