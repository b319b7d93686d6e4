"""Metrics of a run per family and split (and per held-in/held-out group)."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from agentrm_ray.types import Budget, SearchResult

if TYPE_CHECKING:
    from agentrm_ray.data.results import RunStore

COLUMNS = (
    "n",
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


def _metrics(results: list[SearchResult]) -> dict[str, float]:
    outcomes = [r.best.outcome for r in results if r.best is not None and r.best.outcome]
    budget = sum((r.budget for r in results), Budget())
    n = len(results)
    return {
        "n": n,
        "success": sum(o.success for o in outcomes) / n if n else 0.0,
        "progress": sum(o.progress for o in outcomes) / n if n else 0.0,
        "reward": sum(o.reward for o in outcomes) / n if n else 0.0,
        "failed": sum(r.failed for r in results),
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


def _fmt(column: str, value: float) -> str:
    if column in ("success", "progress"):
        return f"{100 * value:.1f}%"
    if column == "reward":
        return f"{value:.3f}"
    return f"{value:g}"


def write_run_summary(store: RunStore, results: list[SearchResult], held_in: dict[str, bool],
                      title: str) -> str:
    """Write summary.json/summary.md of a run; return the markdown table."""
    summary = summarize(results, held_in)
    table = markdown_table(summary, f"{title} ({store.config_hash})")
    store.write_summary(summary, table)
    return table
