"""Shared helpers of the chaos tests: the search they disturb, how they compare its results,
and probes that let a test kill an actor at a moment when it is provably busy.

Why probes: a tiny model decodes 12 tokens and a Maze steps in microseconds, so a kill
"somewhere during the search" would usually hit an idle actor. A probe, installed in the
victim's process only (`__ray_call__`), slows that process's work down (a sleep per Maze step
or per forward pass) and counts how much of it has started and finished; the test kills the
process when the counts say a step or a decode is in progress. The restarted process is a fresh
one without the probe, and nothing the probe changes is seen in the results.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray
import ray.cloudpickle

from agentrm_ray.types import SearchResult, Task

# Ray workers cannot import this module by name: ship the probe functions by value.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])

MAZE_TASK = Task(env_id="agentrm/Maze-v0", task_id="double-t-01", seed=1)
SCORE_DIGITS = 5


def search_overrides(tiny_model: str, tiny_value_model: str, out_dir: str | Path,
                     *extra: str) -> list[str]:
    """A small beam search (2x2, 3 steps) over two policy replicas and two env workers, ranked
    by a value-head RM (random tiny weights: distinct scores that decide which beams survive).
    """
    return [
        f"policy.model={tiny_model}", "policy.backend=hf", "policy.sampling.max_tokens=12",
        "policy.replicas=2", "policy.num_cpus_per_replica=0.5", "policy.request_timeout_s=60",
        "envs.workers=2", "envs.num_cpus_per_worker=0.25", "reward.method=value",
        f"reward.model={tiny_value_model}", "reward.num_cpus_per_replica=0.25",
        "search.strategy=beam", "search.beam.width=2", "search.beam.expansions=2",
        "tasks.max_steps=3", f"output.dir={out_dir}", *extra,
    ]


def comparable(result: SearchResult | dict[str, Any]) -> dict[str, Any]:
    """A result as JSON without what legitimately differs between two runs (wall time).

    Everything else must be equal: chosen trajectory (thoughts, actions, observations, info),
    every candidate with its scores, outcome, and the counted budget (tokens, policy calls, env
    steps, RM calls: a retried call is counted once, when it succeeds). RM scores are rounded
    to SCORE_DIGITS decimals: an RM replica batches states with whatever else is in flight,
    and padded batches may move a score in its last float bits.
    """
    data = result.model_dump(mode="json") if isinstance(result, SearchResult) else dict(result)
    data = {**data, "budget": {k: v for k, v in data["budget"].items() if k != "wall_time_s"}}
    data["candidates"] = [
        {**c, "score": _round(c["score"]), "step_scores": [_round(s) for s in c["step_scores"]]}
        for c in data["candidates"]
    ]
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, SCORE_DIGITS)


def assert_same_results(got: SearchResult | dict, want: SearchResult | dict) -> None:
    got_c, want_c = comparable(got), comparable(want)
    assert got_c["error"] is None and want_c["error"] is None, (got_c["error"], want_c["error"])
    # Field by field first, so a failure names what differs before the full dump.
    assert got_c["best"] == want_c["best"], "chosen trajectory differs"
    assert got_c["candidates"] == want_c["candidates"], "candidates or their scores differ"
    assert got_c["budget"] == want_c["budget"], "counted budget differs"
    assert got_c == want_c


def assert_nontrivial(result: SearchResult) -> None:
    """The reference is a real search: several candidates, steps taken, an outcome."""
    assert result.error is None, result.error
    assert len(result.candidates) >= 2 and result.best is not None
    assert result.best.steps and result.best.outcome is not None
    assert result.budget.policy_calls >= 3 and result.budget.env_steps >= 4


# ---------------------------------------------------------------------------- probes
def _install_slow_env_steps(worker: Any, delay_s: float) -> int:
    """In an EnvWorker process: every Maze step sleeps `delay_s`; count steps in and out."""
    from agentrm_ray.envs.maze.env import MazeEnv

    probe = {"entered": 0, "left": 0}
    original = MazeEnv._apply

    def slow_apply(env: Any, action: str) -> Any:
        probe["entered"] += 1
        try:
            time.sleep(delay_s)
            return original(env, action)
        finally:
            probe["left"] += 1

    MazeEnv._apply = slow_apply  # this process only; its restarted successor is clean
    worker.chaos_probe = probe
    return os.getpid()


def _install_slow_decoding(worker: Any, delay_s: float) -> int:
    """In a PolicyWorker process (HF backend): every forward pass sleeps; count them."""
    model = worker.backend.model
    probe = {"forwards": 0}
    original = model.forward

    def slow_forward(*args: Any, **kwargs: Any) -> Any:
        probe["forwards"] += 1
        time.sleep(delay_s)
        return original(*args, **kwargs)

    model.forward = slow_forward  # nn.Module.__call__ looks `forward` up on the instance
    worker.chaos_probe = probe
    return os.getpid()


def _read_probe(worker: Any) -> dict[str, Any]:
    probe = dict(getattr(worker, "chaos_probe", {}))
    probe["outstanding"] = getattr(worker, "_outstanding", None)  # PolicyWorker only
    return probe


async def install_slow_env_steps(handle: Any, delay_s: float) -> int:
    """Slow down an env worker's Maze steps; returns the worker's pid."""
    return await handle.__ray_call__.remote(_install_slow_env_steps, delay_s)


async def install_slow_decoding(handle: Any, delay_s: float) -> int:
    """Slow down a policy replica's forward passes; returns the replica's pid."""
    return await handle.__ray_call__.remote(_install_slow_decoding, delay_s)


async def read_probe(handle: Any) -> dict[str, Any]:
    return await handle.__ray_call__.remote(_read_probe)


async def wait_for_probe(handle: Any, ready: Callable[[dict[str, Any]], bool],
                         job: asyncio.Future[Any], timeout_s: float = 60.0) -> dict[str, Any]:
    """Poll the probe until `ready(probe)`; fails if `job` ends or time runs out first."""
    deadline = time.monotonic() + timeout_s
    while True:
        probe = await read_probe(handle)
        if ready(probe):
            return probe
        assert not job.done(), f"the work ended before the fault could land: {probe}"
        assert time.monotonic() < deadline, f"the probe never got ready: {probe}"
        await asyncio.sleep(0.01)


def pid_gone(pid: int, timeout_s: float = 30.0) -> bool:
    import psutil

    deadline = time.monotonic() + timeout_s
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not psutil.pid_exists(pid)
