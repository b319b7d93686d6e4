"""ScienceWorld's tasks, their official variation splits, and the suites built from them.

ScienceWorld 1.2.3 numbers each task's variations 0..n-1 and splits them into contiguous
ranges: train first, then dev, then test. The counts below are what its simulator reports
(`getVariationsTrain/Dev/Test`); tests/envs/test_sciworld.py checks them against the installed
jar. Two suites:

- "fast" (the default): tasks that load in well under a second and whose gold paths are at
  most ~40 actions, a few variations each. Keeps searches and tests quick.
- "all": every task with every variation, split as ScienceWorld splits them. ScienceWorld's
  own gold path does not solve every variation (7 of chemistry-mix's 32 end below 100), so
  the oracle cannot solve those either.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from agentrm_ray.envs.suites import TaskSpec


@dataclass(frozen=True)
class SciTask:
    """One ScienceWorld task: its variation split sizes and a typical gold path length."""

    name: str
    n_train: int
    n_dev: int
    n_test: int
    gold_length: int

    def variations(self, split: str) -> range:
        start = {"train": 0, "dev": self.n_train, "test": self.n_train + self.n_dev}[split]
        size = {"train": self.n_train, "dev": self.n_dev, "test": self.n_test}[split]
        return range(start, start + size)


TASKS: tuple[SciTask, ...] = (
    SciTask("boil", 14, 7, 9, 39),
    SciTask("change-the-state-of-matter-of", 14, 7, 9, 28),
    SciTask("chemistry-mix", 16, 8, 8, 23),
    SciTask("chemistry-mix-paint-secondary-color", 18, 9, 9, 21),
    SciTask("chemistry-mix-paint-tertiary-color", 18, 9, 9, 16),
    SciTask("find-animal", 150, 75, 75, 12),
    SciTask("find-living-thing", 150, 75, 75, 12),
    SciTask("find-non-living-thing", 150, 75, 75, 7),
    SciTask("find-plant", 150, 75, 75, 12),
    SciTask("freeze", 14, 7, 9, 28),
    SciTask("grow-fruit", 62, 31, 33, 95),
    SciTask("grow-plant", 62, 31, 33, 66),
    SciTask("identify-life-stages-1", 6, 3, 5, 41),
    SciTask("identify-life-stages-2", 4, 2, 4, 17),
    SciTask("inclined-plane-determine-angle", 84, 42, 42, 57),
    SciTask("inclined-plane-friction-named-surfaces", 692, 346, 348, 53),
    SciTask("inclined-plane-friction-unnamed-surfaces", 80, 40, 42, 180),
    SciTask("lifespan-longest-lived", 62, 31, 32, 8),
    SciTask("lifespan-longest-lived-then-shortest-lived", 62, 31, 32, 9),
    SciTask("lifespan-shortest-lived", 62, 31, 32, 8),
    SciTask("measure-melting-point-known-substance", 218, 109, 109, 31),
    SciTask("measure-melting-point-unknown-substance", 150, 75, 75, 94),
    SciTask("melt", 14, 7, 9, 42),
    SciTask("mendelian-genetics-known-plant", 60, 30, 30, 144),
    SciTask("mendelian-genetics-unknown-plant", 240, 120, 120, 259),
    SciTask("power-component", 10, 5, 5, 13),
    SciTask("power-component-renewable-vs-nonrenewable-energy", 10, 5, 5, 26),
    SciTask("test-conductivity", 450, 225, 225, 29),
    SciTask("test-conductivity-of-unknown-substances", 300, 150, 150, 29),
    SciTask("use-thermometer", 270, 135, 135, 22),
)
TASKS_BY_NAME: dict[str, SciTask] = {t.name: t for t in TASKS}

# Measured (scienceworld 1.2.3, 2 busy cores): each loads in < 0.3 s and generates its gold
# path in < 1 s. Left out: the state-change tasks (boil, melt, freeze, change-the-state: long
# waits), growing plants, inclined planes, mendelian genetics and the unknown melting point
# (gold paths of 50-260 actions, gold generation 1-56 s).
FAST_TASKS: tuple[str, ...] = (
    "find-animal",
    "find-living-thing",
    "find-non-living-thing",
    "find-plant",
    "lifespan-longest-lived",
    "lifespan-longest-lived-then-shortest-lived",
    "lifespan-shortest-lived",
    "power-component",
    "power-component-renewable-vs-nonrenewable-energy",
    "use-thermometer",
    "test-conductivity",
    "test-conductivity-of-unknown-substances",
    "chemistry-mix",
    "chemistry-mix-paint-secondary-color",
    "chemistry-mix-paint-tertiary-color",
    "identify-life-stages-2",
)
# Variations the fast suite never picks: ScienceWorld's own gold path fails on them (all 32
# chemistry-mix variations were replayed; these 7 end at a score below 100), or it is longer
# than the fast suite's step budget leaves room for.
EXCLUDED_VARIATIONS: dict[str, frozenset[int]] = {
    "chemistry-mix": frozenset({5, 8, 9, 21, 27, 28, 30}),
    "test-conductivity": frozenset({780}),
}
# Variations per task and split in the fast suite.
FAST_PER_SPLIT: dict[str, int] = {"train": 8, "dev": 1, "test": 1}
FAST_MAX_STEPS = 50
SUITES = ("fast", "all")


def task_id(task_name: str, variation: int) -> str:
    return f"{task_name}-{variation}"


def _spec(task: SciTask, variation: int, split: str, max_steps: int | None) -> TaskSpec:
    params: tuple[tuple[str, object], ...] = (("task_name", task.name), ("variation", variation))
    if max_steps is not None:
        params = (*params, ("max_steps", max_steps))
    return TaskSpec(task_id(task.name, variation), split, seed=variation, params=params)


@cache
def _fast_suite() -> tuple[TaskSpec, ...]:
    specs = []
    for index, name in enumerate(FAST_TASKS):
        task = TASKS_BY_NAME[name]
        rng = random.Random(1000 + index)
        for split, count in FAST_PER_SPLIT.items():
            excluded = EXCLUDED_VARIATIONS.get(name, frozenset())
            pool = [v for v in task.variations(split) if v not in excluded]
            chosen = sorted(rng.sample(pool, min(count, len(pool))))
            specs.extend(_spec(task, v, split, None) for v in chosen)
    return tuple(specs)


@cache
def _full_suite() -> tuple[TaskSpec, ...]:
    specs = []
    for task in TASKS:
        # room for detours: twice the typical gold path, never below the fast-suite limit
        limit = max(FAST_MAX_STEPS, 2 * task.gold_length)
        for split in ("train", "dev", "test"):
            specs.extend(_spec(task, v, split, limit) for v in task.variations(split))
    return tuple(specs)


def sciworld_tasks(suite: str = "fast") -> list[TaskSpec]:
    """The tasks of a suite: "fast" (156: 16 tasks, up to 8/1/1 variations) or "all" (7,207)."""
    if suite == "fast":
        return list(_fast_suite())
    if suite == "all":
        return list(_full_suite())
    raise ValueError(f"unknown ScienceWorld suite {suite!r}; expected one of {', '.join(SUITES)}")
