"""Metrics of a run per family and split (and per held-in/held-out group).

A failed task (its search raised: an actor died, an env server vanished) says nothing about
the agent, so it is counted apart: success, progress and reward are averaged over the
`completed` tasks only, and are None where no task of a row completed. Every table shows
failures through `format_cell`, never as 0% success.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, NamedTuple

from agentrm_ray.types import Budget, SearchResult

if TYPE_CHECKING:
    from agentrm_ray.data.results import RunStore

COLUMNS = (
    "n",
    "completed",
    "success",
    "progress",
    "reward",
    "failed",
    "tokens_out",
    "env_steps",
    "rm_calls",
    "wall_s",
)


def summarize(results: list[SearchResult], held_in: dict[str, bool]) -> dict[str, Any]:
    """{"rows": {"<family>/<split>": metrics}, "groups": {"held-in/test": metrics, ...}}."""
    by_row: dict[str, list[SearchResult]] = defaultdict(list)
    by_group: dict[str, list[SearchResult]] = defaultdict(list)
    for result in results:
        family = family_of(result)
        split = result.task.split
        by_row[f"{family}/{split}"].append(result)
        group = "held-in" if held_in.get(family, False) else "held-out"
        by_group[f"{group}/{split}"].append(result)
        by_group[f"all/{split}"].append(result)
    return {
        "rows": {k: _metrics(v) for k, v in sorted(by_row.items())},
        "groups": {k: _metrics(v) for k, v in sorted(by_group.items())},
    }


def family_of(result: SearchResult) -> str:
    """Family name from the env id: 'agentrm/TextCraft-v0' -> as registered; else the id."""
    from agentrm_ray.envs import family_statuses

    for status in family_statuses():
        if status.spec.env_id == result.task.env_id:
            return status.spec.name
    return result.task.env_id


def _metrics(results: list[SearchResult]) -> dict[str, float | None]:
    completed = [r for r in results if not r.failed]
    outcomes = [r.best.outcome for r in completed if r.best is not None and r.best.outcome]
    budget = sum((r.budget for r in results), Budget())
    k = len(completed)
    return {
        "n": len(results),
        "completed": k,
        "success": sum(o.success for o in outcomes) / k if k else None,
        "progress": sum(o.progress for o in outcomes) / k if k else None,
        "reward": sum(o.reward for o in outcomes) / k if k else None,
        "failed": len(results) - k,
        "tokens_out": budget.policy_tokens_out,
        "env_steps": budget.env_steps,
        "rm_calls": budget.rm_calls,
        "wall_s": round(budget.wall_time_s, 2),
    }


def markdown_table(summary: dict[str, Any], title: str) -> str:
    lines = [
        f"# {title}",
        "",
        "| rows | " + " | ".join(COLUMNS) + " |",
        "|---" * (len(COLUMNS) + 1) + "|",
    ]
    for section in ("rows", "groups"):
        for key, m in summary[section].items():
            cells = [_fmt(c, m[c]) for c in COLUMNS]
            lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def format_cell(metrics: dict[str, Any], tokens: bool = False) -> str:
    """'success / progress (n=…)' of one row, naming failed tasks; 'failed' when none completed.

    The one rendering of a result cell, shared by every table (run summary, report, demo,
    quickstart), so a failure can never read as 0% success anywhere.
    """
    n, failed = int(metrics["n"]), int(metrics.get("failed", 0))
    count = f"n={n}" + (f", {failed} failed" if failed else "")
    if metrics.get("success") is None:
        return f"failed ({count})"
    cell = f"{metrics['success']:.0%} / {metrics['progress']:.0%} ({count})"
    if tokens:
        cell += f" {metrics['tokens_out'] / max(1, n):.0f} tok/task"
    return cell


def _fmt(column: str, value: float | None) -> str:
    if value is None:
        return "-"
    if column in ("success", "progress"):
        return f"{100 * value:.1f}%"
    if column == "reward":
        return f"{value:.3f}"
    return f"{value:g}"


class WrittenSummary(NamedTuple):
    """What `write_run_summary` wrote: callers use it instead of reading summary.json back."""

    summary: dict[str, Any]  # summary.json's content
    table: str  # summary.md's content


def write_run_summary(store: RunStore, results: list[SearchResult], held_in: dict[str, bool],
                      title: str) -> WrittenSummary:
    """Write summary.json/summary.md of a run; return both."""
    summary = summarize(results, held_in)
    table = markdown_table(summary, f"{title} ({store.config_hash})")
    store.write_summary(summary, table)
    return WrittenSummary(summary, table)
