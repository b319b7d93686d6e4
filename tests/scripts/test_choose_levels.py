"""The fidelity suite's level rule (scripts/choose_levels.py) on hand-made dev outcomes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

from choose_levels import LevelSet, choose, level_sets, nearest


def _set(levels: tuple[str, ...] | None, solved: int, tried: int, test: int,
         family: str = "f") -> LevelSet:
    return LevelSet(family, levels, solved, tried, failed=0, test_tasks=test)


def test_the_largest_set_in_the_band_with_enough_test_tasks_wins() -> None:
    sets = [_set(("easy", "medium", "hard"), 1, 20, 60),   # 5%: below the band
            _set(("easy", "medium"), 4, 16, 44),          # 25%: in, 44 test tasks
            _set(("easy",), 4, 8, 24),                    # 50%: in, but smaller
            _set(("medium",), 3, 6, 20)]                  # 50%: in, smaller still
    assert choose(sets)["f"].levels == ("easy", "medium")
    # a set in the band with under 20 test tasks does not count; none left: None
    assert choose([_set(("easy",), 4, 8, 12), _set(("hard",), 0, 5, 30)])["f"] is None
    # none in the band: the fallback is the set nearest it among those with 20 test tasks
    below = [_set(("easy", "medium", "hard"), 2, 36, 66), _set(("easy",), 1, 12, 22),
             _set(("hard",), 1, 6, 11)]
    assert choose(below)["f"] is None and nearest(below, "f").levels == ("easy",)
    # equal size: the success nearer 40% wins
    tie = [_set(("easy",), 6, 10, 24), _set(("medium",), 4, 10, 24)]
    assert choose(tie)["f"].levels == ("medium",)


def test_errors_are_kept_apart_not_counted_as_unsolved(tmp_path: Path) -> None:
    def record(task_id: str, success: bool | None) -> str:
        return json.dumps({
            "task": {"env_id": "agentrm/TextCraft-v0", "task_id": task_id, "split": "dev"},
            "error": "EnvPoolError: boom" if success is None else None,
            "best": None if success is None else {"outcome": {"success": success}}})

    from agentrm_ray.envs.textcraft.family import FAMILY

    easy = [t.task_id for t in FAMILY.split("dev", ["easy"])][:3]
    (tmp_path / "results.jsonl").write_text("\n".join(
        [record(easy[0], True), record(easy[1], False), record(easy[2], None)]))
    only_easy = next(s for s in level_sets(tmp_path) if s.levels == ("easy",))
    assert (only_easy.solved, only_easy.tried, only_easy.failed) == (1, 2, 1)
    assert only_easy.success == 0.5 and only_easy.test_tasks == 24
