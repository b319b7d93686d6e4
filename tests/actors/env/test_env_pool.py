"""EnvPool on a real local Ray cluster: sessions, forks, batching, eviction, and worker death.

Every pool observation is checked against a local env driven by the same actions, so a
rebuild that replays the wrong prefix (or applies a step twice) shows up as a mismatch.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import psutil
import pytest
import ray
import ray.cloudpickle

from agentrm_ray.actors.env import EnvPool, EnvPoolError, SessionClosedError
from agentrm_ray.config.models import EnvWorkersConfig
from agentrm_ray.envs import EpisodeFinishedError, UnknownEnvError, UnknownTaskError, make_env
from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.maze.env import MazeEnv
from agentrm_ray.envs.maze.family import maze_tasks
from agentrm_ray.types import ForkHandle, Task

pytestmark = pytest.mark.integration

MAZE = "agentrm/Maze-v0"
SLOW_MAZE = "agentrm-test/SlowMaze-v0"  # test-only id, served via EnvPool(extra_envs=...)
SLOW_STEP_S = 0.6


class SlowMazeTestHelper(MazeEnv):
    """TEST HELPER ONLY: a Maze whose every action takes SLOW_STEP_S, so a kill lands mid-step."""

    def _apply(self, action: str) -> Transition:
        time.sleep(SLOW_STEP_S)
        return super()._apply(action)


# Ray workers cannot import this test module by name: ship the helper class by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

Run = Callable[[Any], Any]


def maze_task(task_id: str) -> Task:
    spec = next(t for t in maze_tasks() if t.task_id == task_id)
    return Task(env_id=MAZE, task_id=spec.task_id, split=spec.split, seed=spec.seed)


def local_env(task: Task, actions: list[str]) -> tuple[TextEnv, str]:
    """The reference: a local env reset to `task` with `actions` applied; its last observation."""
    env = make_env(MAZE)
    observation, _ = env.reset(seed=task.seed, options={"task_id": task.task_id})
    for action in actions:
        observation = env.step(action)[0]
    return env, observation


def oracle_path(task: Task, steps: int) -> list[str]:
    env, _ = local_env(task, [])
    path = []
    for _ in range(steps):
        path.append(env.oracle_action())
        env.step(path[-1])
        assert not env.finished, "pick a task with a longer path"
    return path


def small_cfg(**overrides: Any) -> EnvWorkersConfig:
    settings: dict[str, Any] = {"workers": 2, "num_cpus_per_worker": 0.25, **overrides}
    return EnvWorkersConfig(**settings)


async def kill_worker(pool: EnvPool, index: int) -> int:
    """Kill a worker process (Ray restarts it) and wait until the old process is gone."""
    stats = await pool.stats()
    pid = stats["workers"][index]["pid"]
    ray.kill(pool.workers[index], no_restart=False)
    deadline = time.monotonic() + 30
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not psutil.pid_exists(pid)
    return pid


@pytest.fixture(scope="module")
def run(module_loop: Run) -> Run:
    return module_loop


@pytest.fixture(scope="module")
def pool(run: Run) -> Iterator[EnvPool]:
    started = run(EnvPool(small_cfg()).start())
    yield started
    run(started.shutdown())


def test_open_step_fork_close_through_the_pool(run: Run, pool: EnvPool) -> None:
    task = maze_task("random-5x5-03")
    path = oracle_path(task, 4)

    async def body() -> None:
        session, observation, info = await pool.open(task)
        assert observation == local_env(task, [])[1] and info["task_id"] == task.task_id
        for i, action in enumerate(path[:2]):
            observation, reward, terminated, truncated, info = await pool.step(session, action)
            assert observation == local_env(task, path[: i + 1])[1]
            assert (reward, terminated, truncated, info["steps"]) == (0.0, False, False, i + 1)
        assert session.actions == path[:2]
        child = await pool.fork(session)
        assert child.worker == session.worker and child.session_id != session.session_id
        assert child.actions == path[:2] and child.observation == session.observation
        assert (await pool.step(child, path[2]))[0] == local_env(task, path[:3])[1]
        before = (await pool.stats())["workers"][session.worker]["live"]
        await pool.close(child)
        assert (await pool.stats())["workers"][session.worker]["live"] == before - 1
        with pytest.raises(SessionClosedError):
            await pool.step(child, path[3])
        await pool.close(session)

    run(body())


def test_fork_is_independent_of_its_parent(run: Run, pool: EnvPool) -> None:
    task = maze_task("double-t-00")
    path = oracle_path(task, 3)

    async def body() -> None:
        parent = await pool.open_at(task, path[:1])
        assert parent.observation == local_env(task, path[:1])[1]
        child = await pool.fork(parent)
        detour = ["move down", "move left", "move right", "jump"]
        for action in detour:
            await pool.step(child, action)
        assert child.observation == local_env(task, path[:1] + detour)[1]
        observation = (await pool.step(parent, path[1]))[0]
        assert observation == local_env(task, path[:2])[1]  # the fork's moves did not leak
        assert parent.actions == path[:2]
        restored = await pool.open_at(task, ForkHandle(actions=child.actions))
        assert restored.observation == child.observation
        for session in (parent, child, restored):
            await pool.close(session)

    run(body())


def test_pool_is_deterministic_against_a_local_env(run: Run, pool: EnvPool) -> None:
    rng = random.Random(5)
    vocabulary = ["move up", "move down", "move left", "move right", "jump", ""]
    tasks = [maze_task(t) for t in ("double-t-07", "random-4x4-01", "random-6x6-08")]

    async def body() -> None:
        for task in tasks:
            session, _, _ = await pool.open(task)
            reference, _ = local_env(task, [])
            for _ in range(12):
                if reference.finished:
                    break
                action = rng.choice(vocabulary)
                assert await pool.step(session, action) == reference.step(action)
            await pool.close(session)

    run(body())


def test_new_sessions_go_to_the_least_loaded_worker(run: Run, pool: EnvPool) -> None:
    async def body() -> None:
        sessions = [(await pool.open(maze_task(f"double-t-1{i}")))[0] for i in range(4)]
        assert sorted(s.worker for s in sessions) == [0, 0, 1, 1]
        for session in sessions:
            await pool.close(session)

    run(body())


def test_step_many_returns_results_in_call_order(run: Run, pool: EnvPool) -> None:
    tasks = [maze_task(t) for t in ("double-t-02", "double-t-09", "random-5x5-00", "double-t-20")]

    async def body() -> None:
        sessions = [(await pool.open(task))[0] for task in tasks]
        assert {s.worker for s in sessions} == {0, 1}  # the batch spans both workers
        finished_task = maze_task("double-t-21")
        env, _ = local_env(finished_task, [])
        path = []
        while not env.finished:
            path.append(env.oracle_action())
            env.step(path[-1])
        finished = await pool.open_at(finished_task, path)
        assert finished.finished
        actions = ["move right", "move down", "move left", "move up", "move up"]
        calls = [*zip(sessions, actions[:4], strict=True), (finished, actions[4])]
        results = await pool.step_many(calls, return_exceptions=True)
        for task, session, action, result in zip(tasks, sessions, actions, results, strict=False):
            assert not isinstance(result, Exception)
            assert result[0] == local_env(task, [action])[1]
            assert session.actions == [action]
        assert isinstance(results[4], EpisodeFinishedError)
        with pytest.raises(EpisodeFinishedError):
            await pool.step_many([(sessions[0], "move up"), (finished, "move up")])
        assert sessions[0].actions == [actions[0], "move up"]  # the good item still applied
        for session in [*sessions, finished]:
            await pool.close(session)

    run(body())


def test_unknown_ids_surface_as_clear_errors(run: Run, pool: EnvPool) -> None:
    async def body() -> None:
        with pytest.raises(UnknownEnvError, match=r"valid ids: .*agentrm/Maze-v0"):
            await pool.open(Task(env_id="agentrm/NoSuchEnv-v0", task_id="x"))
        with pytest.raises(UnknownTaskError, match="no-such-task"):
            await pool.open(Task(env_id=MAZE, task_id="no-such-task"))

    run(body())


def test_workers_ask_for_custom_resources_and_fail_clearly_without_them(run: Run) -> None:
    pool = EnvPool(small_cfg(workers=1), resources={"no_such_accelerator": 1}, ready_timeout_s=2)
    assert pool.fleet.actor_options()["resources"] == {"no_such_accelerator": 1}
    with pytest.raises(EnvPoolError, match="no_such_accelerator"):
        run(pool.start())


def test_evicted_session_is_rebuilt_transparently(run: Run) -> None:
    task = maze_task("random-6x6-02")
    path = oracle_path(task, 4)

    async def body() -> None:
        async with EnvPool(small_cfg(workers=1, max_sessions_per_worker=2)) as small:
            evicted, _, _ = await small.open(task)
            await small.step(evicted, path[0])
            await small.step(evicted, path[1])
            others = [(await small.open(maze_task(t)))[0] for t in ("double-t-03", "double-t-04")]
            stats = await small.stats()
            assert stats["workers"][0]["live"] == 2 and stats["workers"][0]["evicted_lru"] == 1
            observation = (await small.step(evicted, path[2]))[0]
            assert observation == local_env(task, path[:3])[1]
            assert evicted.actions == path[:3]
            assert (await small.stats())["rebuilds"] == 1
            fork = await small.fork(others[0])  # others[0] was evicted by the rebuild
            assert (await small.stats())["fork_replays"] == 1
            assert fork.observation == local_env(maze_task("double-t-03"), [])[1]
            assert (await small.stats())["workers"][0]["live"] <= 2  # memory stays bounded

    run(body())


def test_killed_worker_mid_episode_is_invisible_to_the_caller(run: Run) -> None:
    task = maze_task("random-6x6-05")
    path = oracle_path(task, 6)

    async def body() -> None:
        async with EnvPool(small_cfg()) as fresh:
            session, _, _ = await fresh.open(task)
            for action in path[:3]:
                await fresh.step(session, action)
            old_pid = await kill_worker(fresh, session.worker)
            started = time.perf_counter()
            observation = (await fresh.step(session, path[3]))[0]
            delay = time.perf_counter() - started
            assert observation == local_env(task, path[:4])[1]
            for i in (4, 5):
                assert (await fresh.step(session, path[i]))[0] == local_env(task, path[: i + 1])[1]
            stats = await fresh.stats()
            assert stats["rebuilds"] == 1 and session.actions == path
            assert all(w.get("pid") != old_pid for w in stats["workers"])  # process replaced
            print(f"step after kill took {delay:.2f}s (rebuild {stats['rebuild_s']:.3f}s)")

    run(body())


def test_kill_during_an_in_flight_step_applies_it_exactly_once(run: Run) -> None:
    task = maze_task("double-t-01")
    path = oracle_path(task, 4)

    async def body() -> None:
        cfg = small_cfg(workers=1)
        async with EnvPool(cfg, extra_envs={SLOW_MAZE: SlowMazeTestHelper}) as slow:
            slow_task = task.model_copy(update={"env_id": SLOW_MAZE})
            session = await slow.open_at(slow_task, path[:2])
            in_flight = asyncio.ensure_future(slow.step(session, path[2]))
            await asyncio.sleep(SLOW_STEP_S / 3)  # the worker is inside _apply's sleep now
            assert not in_flight.done()
            await kill_worker(slow, session.worker)
            observation, _, _, _, info = await in_flight
            assert observation == local_env(task, path[:3])[1]
            assert session.actions == path[:3] and info["steps"] == 3  # applied once
            assert (await slow.step(session, path[3]))[0] == local_env(task, path[:4])[1]
            stats = await slow.stats()
            assert stats["rebuilds"] == 1 and stats["workers"][0]["steps"] == 4
            assert slow.fleet.slots[0].failures >= 1  # the in-flight call saw the death

    run(body())
