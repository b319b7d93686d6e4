"""The quickstart table and plot, from column summaries on disk (written by data/summary.py,
as a run writes them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentrm_ray.config import load_config
from agentrm_ray.config.models import LoopColumn
from agentrm_ray.data.results import RunStore
from agentrm_ray.data.summary import write_run_summary
from agentrm_ray.loop.table import load_cells, write_outputs
from agentrm_ray.types import Outcome, SearchResult, Task, Trajectory

HELD_IN = {"webshop": True, "maze": False}
FAMILY_ENV = {"webshop": "agentrm/WebShopSim-v0", "maze": "agentrm/Maze-v0"}


def _result(family: str, i: int, outcome: tuple[bool, float] | None) -> SearchResult:
    """One task's result: (success, progress), or None for a search that failed."""
    task = Task(env_id=FAMILY_ENV[family], task_id=f"{family}-{i}")
    if outcome is None:
        return SearchResult(task=task, strategy="beam", error="EnvPoolError: ActorDiedError")
    best = Trajectory(task=task, outcome=Outcome(success=outcome[0], progress=outcome[1]))
    return SearchResult(task=task, strategy="beam", best=best)


def _run(run: Path, held_in: list[tuple[bool, float] | None],
         held_out: list[tuple[bool, float] | None]) -> dict[str, Any]:
    """A column's summary, as the run writes it (and returns it)."""
    results = [_result("webshop", i, o) for i, o in enumerate(held_in)]
    results += [_result("maze", i, o) for i, o in enumerate(held_out)]
    written = write_run_summary(RunStore.open(run, load_config()), results, HELD_IN, run.name)
    assert json.loads((run / "summary.json").read_text()) == written.summary
    return written.summary


WIN, LOSS = (True, 1.0), (False, 0.0)


def test_table_lists_each_split_and_column_with_success_and_progress(tmp_path: Path) -> None:
    runs = {LoopColumn.greedy: _run(tmp_path / "g", [WIN, LOSS, LOSS, LOSS],
                                    [(False, 0.5), (False, 0.5)]),
            LoopColumn.best_of_n: _run(tmp_path / "b", [WIN, WIN, WIN, LOSS], [WIN, LOSS])}
    columns = [LoopColumn.greedy, LoopColumn.best_of_n]
    cells = load_cells(runs)
    table = write_outputs(tmp_path, cells, columns, {"seconds": {"total": 1.0}})
    lines = table.splitlines()
    assert lines[0] == "| split | greedy | BoN (explicit RM) |"
    assert lines[2] == "| held-in/test | 25% / 25% (n=4) | 75% / 75% (n=4) |"
    assert lines[3] == "| held-out/test | 0% / 50% (n=2) | 50% / 50% (n=2) |"
    saved = json.loads((tmp_path / "quickstart.json").read_text())
    assert saved["cells"]["held-in/test"]["best_of_n"]["success"] == 0.75
    assert (tmp_path / "quickstart.png").stat().st_size > 10_000


def test_failed_tasks_are_shown_apart_never_as_zero_success(tmp_path: Path) -> None:
    run = _run(tmp_path / "beam", [None] * 4, [WIN, (False, 0.25), (False, 0.25), None])
    table = write_outputs(tmp_path, load_cells({LoopColumn.beam: run}), [LoopColumn.beam], {})
    lines = table.splitlines()
    assert lines[2] == "| held-in/test | failed (n=4, 4 failed) |"
    assert lines[3] == "| held-out/test | 33% / 50% (n=4, 1 failed) |"
