"""Apply the fidelity suite's level rule to a greedy run on the dev split (issue 17).

The rule is written in the tuning suite's header (configs/suites/fidelity-tuning-2.yaml):
per family, of the level sets {all, easy+medium, medium+hard, easy, medium, hard}, the largest
(most test tasks) whose pooled dev greedy success is within 15-70% and whose test split holds at
least 20 tasks; a tie goes to the success nearer 40%. Families without levels have one set.
Only the dev run's results and the families' task lists are read: never a test outcome.
For a family with no set in the band it names the set nearest the band that holds 20 test
tasks (the rule's fallback for held-in families); which families the suite keeps is then read
off the output by the rule's other steps.

    python scripts/choose_levels.py runs/tuning-2-dev
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

from agentrm_ray.envs.registry import family_by_env_id
from agentrm_ray.envs.suites import FamilySpec, TaskSpec

LEVEL_SETS: tuple[tuple[str, ...], ...] = (
    ("easy", "medium", "hard"), ("easy", "medium"), ("medium", "hard"),
    ("easy",), ("medium",), ("hard",))
BAND = (0.15, 0.70)
MIN_TEST_TASKS = 20


@dataclass(frozen=True)
class LevelSet:
    """One family's candidate level set with its dev greedy success and test-split size."""

    family: str
    levels: tuple[str, ...] | None  # None: the family has no levels
    solved: int
    tried: int
    failed: int  # tasks that ended on an error: reported, never counted as unsolved
    test_tasks: int

    @property
    def success(self) -> float | None:
        return self.solved / self.tried if self.tried else None

    @property
    def eligible(self) -> bool:
        s = self.success
        return s is not None and BAND[0] <= s <= BAND[1] and self.test_tasks >= MIN_TEST_TASKS


def level_sets(run_dir: Path) -> list[LevelSet]:
    """Every family's candidate sets, from a run's results.jsonl (errors kept apart)."""
    specs: dict[str, FamilySpec] = {}
    tasks_of: dict[str, dict[str, TaskSpec]] = {}  # each family's tasks by id, built once
    outcomes: dict[str, list[tuple[str, bool | None]]] = {}
    for line in (run_dir / "results.jsonl").read_text().splitlines():
        record = json.loads(line)
        spec = family_by_env_id(record["task"]["env_id"])
        if spec.name not in specs:
            specs[spec.name] = spec
            tasks_of[spec.name] = {t.task_id: t for t in spec.tasks()}
        task = tasks_of[spec.name][record["task"]["task_id"]]
        level = spec.difficulty(task) if spec.difficulty else "-"
        solved = None if record.get("error") else bool(record["best"]["outcome"]["success"])
        outcomes.setdefault(spec.name, []).append((level, solved))
    sets = []
    for name, rows in sorted(outcomes.items()):
        spec = specs[name]
        for levels in LEVEL_SETS if spec.difficulty else (None,):
            chosen = [s for lv, s in rows if levels is None or lv in levels]
            if chosen:
                sets.append(LevelSet(
                    name, levels, solved=sum(s is True for s in chosen),
                    tried=sum(s is not None for s in chosen),
                    failed=sum(s is None for s in chosen),
                    test_tasks=len(spec.split("test", levels))))
    return sets


def choose(sets: list[LevelSet]) -> dict[str, LevelSet | None]:
    """Per family, the rule's set, or None where no set is in the band."""
    chosen: dict[str, LevelSet | None] = {}
    for family in sorted({s.family for s in sets}):
        eligible = [s for s in sets if s.family == family and s.eligible]
        chosen[family] = max(eligible, key=lambda s: (s.test_tasks, -abs(s.success - 0.4))
                             ) if eligible else None
    return chosen


def nearest(sets: list[LevelSet], family: str) -> LevelSet | None:
    """The family's set with enough test tasks whose dev success is nearest the band."""
    def distance(s: LevelSet) -> float:
        return max(BAND[0] - s.success, s.success - BAND[1], 0.0)

    sized = [s for s in sets if s.family == family and s.success is not None
             and s.test_tasks >= MIN_TEST_TASKS]
    return min(sized, key=lambda s: (distance(s), -s.test_tasks)) if sized else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a greedy run on the dev split")
    args = parser.parse_args()
    sets = level_sets(args.run_dir)
    print("| family | levels | dev greedy | test tasks | failed | in band, >= 20 test |")
    print("|---|---|---|---|---|---|")
    for s in sets:
        levels = "+".join(s.levels) if s.levels else "all (no levels)"
        rate = f"{s.solved}/{s.tried} ({s.success:.0%})" if s.tried else "—"
        print(f"| {s.family} | {levels} | {rate} | {s.test_tasks} | {s.failed} | "
              f"{'yes' if s.eligible else ''} |")
    print()
    for family, pick in choose(sets).items():
        if pick is None:
            near = nearest(sets, family)
            print(f"{family}: no set in {BAND[0]:.0%}-{BAND[1]:.0%} with >= {MIN_TEST_TASKS} "
                  "test tasks" + (f"; nearest: {'+'.join(near.levels) if near.levels else 'all'}"
                                  f" ({near.success:.0%})" if near else ""))
        else:
            levels = "+".join(pick.levels) if pick.levels else "all"
            print(f"{family}: {levels} ({pick.success:.0%} on dev, {pick.test_tasks} test tasks)")


if __name__ == "__main__":
    main()
