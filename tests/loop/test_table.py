"""The quickstart table and plot, from column summaries on disk."""

from __future__ import annotations

import json
from pathlib import Path

from agentrm_ray.config.models import LoopColumn
from agentrm_ray.loop.table import load_cells, write_outputs


def _summary(run: Path, held_in: float, held_out: float) -> Path:
    run.mkdir(parents=True)
    groups = {"held-in/test": {"n": 4, "success": held_in, "progress": held_in},
              "held-out/test": {"n": 2, "success": held_out, "progress": 0.5}}
    (run / "summary.json").write_text(json.dumps({"groups": groups, "rows": {}}))
    return run


def test_table_lists_each_split_and_column_with_success_and_progress(tmp_path: Path) -> None:
    runs = {LoopColumn.greedy: _summary(tmp_path / "g", 0.25, 0.0),
            LoopColumn.best_of_n: _summary(tmp_path / "b", 0.75, 0.5)}
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
    run = tmp_path / "beam"
    run.mkdir()
    groups = {"held-in/test": {"n": 4, "completed": 0, "failed": 4, "success": None,
                               "progress": None},
              "held-out/test": {"n": 4, "completed": 3, "failed": 1, "success": 1 / 3,
                                "progress": 0.5}}
    (run / "summary.json").write_text(json.dumps({"groups": groups, "rows": {}}))
    table = write_outputs(tmp_path, load_cells({LoopColumn.beam: run}), [LoopColumn.beam], {})
    lines = table.splitlines()
    assert lines[2] == "| held-in/test | failed (n=4, 4 failed) |"
    assert lines[3] == "| held-out/test | 33% / 50% (n=4, 1 failed) |"
