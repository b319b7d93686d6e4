"""Run summaries count failed tasks apart from unsuccessful ones."""

from __future__ import annotations

from agentrm_ray.data.summary import format_cell, markdown_table, summarize
from agentrm_ray.types import Outcome, SearchResult, Task, Trajectory


def _result(task_id: str, success: bool | None) -> SearchResult:
    task = Task(env_id="agentrm/Maze-v0", task_id=task_id)
    if success is None:
        return SearchResult(task=task, strategy="beam", error="EnvPoolError: ActorDiedError")
    best = Trajectory(task=task, outcome=Outcome(success=success, progress=float(success)))
    return SearchResult(task=task, strategy="beam", best=best)


def test_success_is_over_completed_tasks_and_failures_are_counted() -> None:
    results = [_result("a", True), _result("b", False), _result("c", None)]
    metrics = summarize(results, {"maze": False})["groups"]["held-out/test"]
    assert (metrics["n"], metrics["completed"], metrics["failed"]) == (3, 2, 1)
    assert metrics["success"] == 0.5 and metrics["progress"] == 0.5
    assert format_cell(metrics) == "50% / 50% (n=3, 1 failed)"


def test_a_row_whose_tasks_all_failed_reads_failed() -> None:
    summary = summarize([_result("a", None), _result("b", None)], {"maze": False})
    metrics = summary["groups"]["held-out/test"]
    assert metrics["success"] is None and metrics["failed"] == 2
    assert format_cell(metrics) == "failed (n=2, 2 failed)"
    assert "| maze/test | 2 | 0 | - | - | - | 2 |" in markdown_table(summary, "t")
