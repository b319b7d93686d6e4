"""The coordinator with fake expanders: streaming, resume, failure confinement, determinism."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fake_expander import FakeExpander, FakeWorld

from agentrm_ray.config import load_config
from agentrm_ray.data.results import OutputDirError, RunStore
from agentrm_ray.search.coordinator import Coordinator
from agentrm_ray.types import Task

TASKS = [Task(env_id="fake", task_id=f"t{i}", seed=i) for i in range(6)]


def _world() -> FakeWorld:
    return FakeWorld(depth=2, choices=lambda s: ["x", "y"], rm=lambda s: float(s.count("y")),
                     success=lambda s: s == ("y", "y"), shuffle=True)


class ExplodingExpander(FakeExpander):
    """Fails every search of one task id, like an env that keeps crashing."""

    async def open(self, task: Task):
        if task.task_id == "t3":
            raise RuntimeError("env crashed for t3")
        return await super().open(task)


def _coordinator(tmp_path: Path, *overrides: str, expander=FakeExpander, seen=None):
    cfg = load_config(overrides=["search.strategy=beam", "reward.method=oracle",
                                 f"output.dir={tmp_path}", *overrides])
    store = RunStore.open(tmp_path, cfg)

    def on_result(result, progress):
        if seen is not None:
            seen.append((result.task.task_id, progress.done))

    return Coordinator(cfg, lambda: expander(_world()), store, on_result), store


def test_every_task_is_streamed_with_its_budget(tmp_path: Path) -> None:
    seen: list = []
    coordinator, store = _coordinator(tmp_path, seen=seen)
    results = asyncio.run(coordinator.run(TASKS))
    assert sorted(r.task.task_id for r in results) == [t.task_id for t in TASKS]
    lines = (tmp_path / "results.jsonl").read_text().splitlines()
    assert len(lines) == 6 and all(json.loads(line)["config_hash"] == store.config_hash
                                   for line in lines)
    assert all(r.budget.env_steps > 0 and r.budget.rm_calls > 0 for r in results)
    assert [done for _, done in seen] == [1, 2, 3, 4, 5, 6]


def test_a_failing_task_is_recorded_and_the_rest_continue(tmp_path: Path) -> None:
    coordinator, _ = _coordinator(tmp_path, "search.task_retries=1", expander=ExplodingExpander)
    results = {r.task.task_id: r for r in asyncio.run(coordinator.run(TASKS))}
    assert results["t3"].failed and "env crashed for t3" in results["t3"].error
    assert all(not r.failed for k, r in results.items() if k != "t3")


def test_rerun_resumes_and_a_killed_partial_line_is_redone(tmp_path: Path) -> None:
    coordinator, _ = _coordinator(tmp_path)
    first = asyncio.run(coordinator.run(TASKS[:4]))
    path = tmp_path / "results.jsonl"
    # simulate a kill in the middle of writing the 4th record
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]) + lines[3][: len(lines[3]) // 2])
    seen: list = []
    coordinator, _ = _coordinator(tmp_path, seen=seen)
    results = asyncio.run(coordinator.run(TASKS))
    redone = {task_id for task_id, _ in seen}
    assert redone == {TASKS[3].task_id, "t4", "t5"}  # t0-t2 were skipped
    assert len(results) == 6
    by_id = {r.task.task_id: r for r in results}
    for r in first:  # same seed, same search: the redone task equals its first run
        assert by_id[r.task.task_id].best == r.best
    assert all(line.endswith("}") for line in path.read_text().splitlines())


def test_output_dir_of_another_config_is_refused_unless_forced(tmp_path: Path) -> None:
    _coordinator(tmp_path)
    with pytest.raises(OutputDirError, match="another config"):
        _coordinator(tmp_path, "seed=7")
    cfg = load_config(overrides=["seed=7", "search.strategy=beam", "reward.method=oracle"])
    RunStore.open(tmp_path, cfg, force=True)


def test_same_config_same_results(tmp_path: Path) -> None:
    a, _ = _coordinator(tmp_path / "a")
    b, _ = _coordinator(tmp_path / "b")
    ra = sorted(asyncio.run(a.run(TASKS)), key=lambda r: r.task.key)
    rb = sorted(asyncio.run(b.run(TASKS)), key=lambda r: r.task.key)
    assert [r.best for r in ra] == [r.best for r in rb]
    assert [r.candidates for r in ra] == [r.candidates for r in rb]


@pytest.mark.integration  # starts a real Ray cluster
def test_stack_refuses_resources_the_cluster_lacks(ray_cluster) -> None:
    from agentrm_ray.errors import AgentRMError
    from agentrm_ray.search.stack import SearchStack

    cfg = load_config(overrides=["policy.model=/tmp", "policy.num_cpus_per_replica=2",
                                 "search.strategy=greedy"])
    stack = SearchStack.__new__(SearchStack)  # resource arithmetic only: no model needed
    stack.cfg, stack.reward = cfg, None
    assert stack.resource_needs() == {"CPU": 2.25, "GPU": 0.0}
    with pytest.raises(AgentRMError, match=r"need 2.25 CPU in total .* has 2"):
        stack.check_resources()


def test_a_rerun_retries_tasks_that_failed(tmp_path: Path) -> None:
    coordinator, _ = _coordinator(tmp_path, expander=ExplodingExpander)
    first = {r.task.task_id: r for r in asyncio.run(coordinator.run(TASKS))}
    assert first["t3"].failed
    seen: list = []
    coordinator, _ = _coordinator(tmp_path, seen=seen)  # the env works again
    results = {r.task.task_id: r for r in asyncio.run(coordinator.run(TASKS))}
    assert [task_id for task_id, _ in seen] == ["t3"]  # only the failed task ran again
    assert not results["t3"].failed and results["t3"].best is not None
