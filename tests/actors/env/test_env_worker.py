"""EnvWorkerImpl and SessionStore in-process (no Ray): session bookkeeping and eviction."""

from __future__ import annotations

import asyncio
import time

import pytest
import ray.cloudpickle

from agentrm_ray.actors.env import EnvSession, EnvWorkerImpl, SessionEvictedError, SessionStore
from agentrm_ray.actors.env.store import LiveSession
from agentrm_ray.envs import EpisodeFinishedError, UnknownTaskError, make_env
from agentrm_ray.envs.maze.env import MazeEnv

MAZE = "agentrm/Maze-v0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _live(session_id: str) -> LiveSession:
    return LiveSession(session_id, MAZE, MazeEnv(), last_used=0.0)


def test_store_evicts_least_recently_used_and_says_why() -> None:
    clock = FakeClock()
    store = SessionStore(max_sessions=2, idle_timeout_s=100, clock=clock)
    store.add(_live("a"))
    clock.now = 1
    store.add(_live("b"))
    clock.now = 2
    store.release(store.acquire("a"))  # "a" is now the most recently used
    clock.now = 3
    evicted = store.add(_live("c"))
    assert len(evicted) == 1 and len(store) == 2 and store.evicted_lru == 1
    store.release(store.acquire("a"))
    with pytest.raises(SessionEvictedError, match="least recently used"):
        store.acquire("b")
    with pytest.raises(SessionEvictedError, match="unknown here"):
        store.acquire("never-opened")


def test_store_expires_idle_sessions_but_never_busy_ones() -> None:
    clock = FakeClock()
    store = SessionStore(max_sessions=10, idle_timeout_s=5, clock=clock)
    store.add(_live("idle"))
    store.add(_live("busy"))
    held = store.acquire("busy")
    clock.now = 6
    assert len(store.expire_idle()) == 1 and store.evicted_idle == 1
    with pytest.raises(SessionEvictedError, match="idle"):
        store.acquire("idle")
    clock.now = 60
    assert store.expire_idle() == []  # still in use: kept however old
    store.release(held)
    clock.now = 70
    assert len(store.expire_idle()) == 1 and len(store) == 0


def test_store_exceeds_bound_rather_than_evict_a_busy_session() -> None:
    store = SessionStore(max_sessions=1, idle_timeout_s=100)
    store.add(_live("a"))
    held = store.acquire("a")
    assert store.add(_live("b")) == [] and len(store) == 2
    store.release(held)
    assert len(store.add(_live("c"))) == 2 and len(store) == 1


def test_worker_in_process_open_replay_step_fork_close() -> None:
    async def body() -> None:
        worker = EnvWorkerImpl("w", max_sessions=8, idle_timeout_s=60)
        reference = make_env(MAZE)
        reference.reset(seed=0, options={"task_id": "double-t-05"})
        prefix = [reference.oracle_action()]
        expected = reference.step(prefix[0])[0]
        opened = await worker.open(MAZE, "double-t-05", 0, prefix)
        assert opened["observation"] == expected and opened["info"]["steps"] == 1
        child = await worker.fork(opened["session_id"])
        moved = await worker.step(child, "move left")
        assert moved["info"]["steps"] == 2
        parent = await worker.step(opened["session_id"], "move right")
        assert parent["info"]["steps"] == 2  # the fork's step did not reach the parent
        batch = await worker.step_many([(child, "move up"), ("gone", "move up")])
        assert isinstance(batch[0], dict) and isinstance(batch[1], SessionEvictedError)
        assert await worker.close(child) is True and await worker.close(child) is False
        with pytest.raises(SessionEvictedError, match="closed"):
            await worker.step(child, "move up")
        with pytest.raises(UnknownTaskError):
            await worker.open(MAZE, "no-such-task", 0)
        stats = worker.stats()
        assert stats["live"] == 1 and stats["forked"] == 1 and stats["closed"] == 1
        assert await worker.close_all() == 1

    asyncio.run(body())


def test_worker_steps_run_off_the_event_loop_and_serialise_per_session() -> None:
    class SlowMaze(MazeEnv):
        def _apply(self, action: str):  # type: ignore[no-untyped-def]
            time.sleep(0.2)
            return super()._apply(action)

    async def body() -> None:
        worker = EnvWorkerImpl("w", extra_envs={"test/SlowMaze": SlowMaze})
        a = (await worker.open("test/SlowMaze", "double-t-05", 0))["session_id"]
        b = (await worker.open("test/SlowMaze", "double-t-06", 0))["session_id"]
        started = time.perf_counter()
        ticks = 0

        async def ticker() -> None:  # would starve if a step blocked the loop
            nonlocal ticks
            while time.perf_counter() - started < 0.35:
                ticks += 1
                await asyncio.sleep(0.01)

        replies = await asyncio.gather(
            worker.step(a, "move right"), worker.step(b, "move right"),
            worker.step(a, "move left"), ticker(),
        )
        elapsed = time.perf_counter() - started
        assert ticks >= 10
        assert [r["info"]["steps"] for r in replies[:3]] == [1, 1, 2]  # a's steps in order
        assert 0.35 <= elapsed < 0.6  # a's two steps serialise, b's runs beside them

    asyncio.run(body())


def test_worker_propagates_episode_finished() -> None:
    async def body() -> None:
        worker = EnvWorkerImpl("w")
        env = make_env(MAZE)
        env.reset(seed=0, options={"task_id": "double-t-05"})
        path = []
        while not env.finished:
            path.append(env.oracle_action())
            env.step(path[-1])
        opened = await worker.open(MAZE, "double-t-05", 0, path)
        assert opened["finished"]
        with pytest.raises(EpisodeFinishedError):
            await worker.step(opened["session_id"], "move up")

    asyncio.run(body())


def test_session_handles_pickle_without_their_lock() -> None:
    session = EnvSession(MAZE, "double-t-00", 0, ["move right"], 0, "abc")
    copy = ray.cloudpickle.loads(ray.cloudpickle.dumps(session))
    assert copy.actions == ["move right"] and copy.lock is not session.lock
