"""Chaos: an env worker or a policy replica dies in the middle of a search.

One search stack (two HF policy replicas, two env workers, a value-head RM) serves the module.
The undisturbed search of a task is the reference; each test repeats the same search with the
same seed, kills one actor while it is provably busy with that search, and demands the very
same result: chosen trajectory, candidates, scores, success/progress and counted budget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import ray
from faults import (
    MAZE_TASK,
    assert_nontrivial,
    assert_same_results,
    install_slow_decoding,
    install_slow_env_steps,
    pid_gone,
    search_overrides,
    wait_for_probe,
)

from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
from agentrm_ray.search.coordinator import Coordinator
from agentrm_ray.search.stack import SearchStack
from agentrm_ray.types import SearchResult

pytestmark = pytest.mark.integration

Run = Any  # loop.run_until_complete


@pytest.fixture(scope="module")
def run(module_loop: Run) -> Run:
    return module_loop


@pytest.fixture(scope="module")
def stack(run: Run, tiny_model: str, tiny_value_model: str,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchStack]:
    out = tmp_path_factory.mktemp("chaos-actors")
    built = SearchStack(load_config(overrides=search_overrides(tiny_model, tiny_value_model,
                                                               out)))
    run(built.start())
    yield built
    run(built.shutdown())


def coordinator(stack: SearchStack) -> Coordinator:
    store = RunStore.open(Path(stack.cfg.output.dir), stack.cfg)
    return Coordinator(stack.cfg, stack.expander_factory(), store)


@pytest.fixture(scope="module")
def reference(run: Run, stack: SearchStack) -> SearchResult:
    result = run(coordinator(stack).search_task(MAZE_TASK))
    assert_nontrivial(result)
    return result


def test_killed_env_worker_mid_search_gives_identical_results(
        run: Run, stack: SearchStack, reference: SearchResult) -> None:
    envs = stack.envs
    # The search opens its root on the least-loaded worker and forks stay there: the victim.
    victim = envs.fleet.choose(set())
    handle = envs.workers[victim]

    async def body() -> tuple[SearchResult, dict[str, Any]]:
        pid = await install_slow_env_steps(handle, delay_s=0.3)
        rebuilds = envs.counters["rebuilds"] + envs.counters["fork_replays"]
        failures = envs.fleet.slots[victim].failures
        job = asyncio.ensure_future(coordinator(stack).search_task(MAZE_TASK))
        # Kill in the second beam level (4 first-level steps done), while a step is running.
        seen = await wait_for_probe(
            handle, lambda p: p["left"] >= 4 and p["entered"] > p["left"], job)
        assert envs.fleet.slots[victim].live >= 1  # the search holds sessions there
        ray.kill(handle, no_restart=False)
        result = await job
        assert pid_gone(pid)
        seen["moved"] = envs.counters["rebuilds"] + envs.counters["fork_replays"] - rebuilds
        seen["failures"] = envs.fleet.slots[victim].failures - failures
        return result, seen

    result, seen = run(body())
    assert seen["failures"] >= 1, seen  # the pool saw the worker die under a call
    assert seen["moved"] >= 1, seen  # and rebuilt lost sessions elsewhere by replay
    assert_same_results(result, reference)


def test_killed_policy_replica_mid_generation_gives_identical_results(
        run: Run, stack: SearchStack, reference: SearchResult) -> None:
    replicas = stack.policy.replica_set
    # The root proposal (path "0") goes to the replica its affinity key points at.
    victim = replicas._choose(f"{MAZE_TASK.key}#0", set())
    handle = replicas.replicas[victim].handle

    async def body() -> tuple[SearchResult, dict[str, Any]]:
        pid = await install_slow_decoding(handle, delay_s=0.05)
        failures = replicas.replicas[victim].failures
        job = asyncio.ensure_future(coordinator(stack).search_task(MAZE_TASK))
        # Prefill done and a few tokens decoded: the replica is mid-generation.
        seen = await wait_for_probe(
            handle, lambda p: p["forwards"] >= 3 and p["outstanding"] >= 1, job)
        ray.kill(handle, no_restart=False)
        result = await job
        assert pid_gone(pid)
        seen["failures"] = replicas.replicas[victim].failures - failures
        # Ray restarted the replica; it serves again.
        seen["back"] = await replicas.replicas[victim].handle.stats.remote()
        return result, seen

    result, seen = run(body())
    assert seen["failures"] == 1, seen  # exactly the in-flight call failed and was retried
    assert_same_results(result, reference)
