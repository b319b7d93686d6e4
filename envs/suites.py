"""Task suites: the named, split lists of tasks each family offers, and how a family is described.

A task is identified by a stable string id inside its family; `split` is train/dev/test. The
held-in/held-out distinction of the AgentRM paper is a property of the *family* (held-in
families are the ones RMs are trained on), recorded in `FamilySpec.held_in`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

SPLITS = ("train", "dev", "test")
# Difficulty levels a family may sort its tasks into (FamilySpec.difficulty); a suite picks one
# per family to put the tasks where a given policy is neither hopeless nor perfect.
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class TaskSpec:
    """One task of a family: stable id, split, seed, and family-specific parameters."""

    task_id: str
    split: str
    seed: int = 0
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


@dataclass(frozen=True)
class PromptSpec:
    """What the policy is told about a family: the instruction and a one-shot example."""

    instruction: str
    example: str


@dataclass(frozen=True)
class FamilySpec:
    """Everything the registry, the CLI and the coordinator need to know about a family."""

    name: str
    env_id: str
    entry_point: str
    description: str
    held_in: bool
    prompt: PromptSpec
    tasks: Callable[[], list[TaskSpec]]
    max_steps: int = 30
    requires: tuple[str, ...] = ()
    extra: str | None = None
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    # The level (one of DIFFICULTIES) of a task, from its params; None: no levels. Filtering
    # by level keeps every task id as it is, so runs and caches stay valid.
    difficulty: Callable[[TaskSpec], str] | None = None

    def split(self, split: str, levels: Collection[str] | None = None) -> list[TaskSpec]:
        """The split's tasks; only those of the given difficulty levels when `levels`."""
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
        tasks = [t for t in self.tasks() if t.split == split]
        if levels is None:
            return tasks
        if self.difficulty is None:
            raise ValueError(f"family {self.name} has no difficulty levels")
        unknown = sorted(set(levels) - set(DIFFICULTIES))
        if unknown:
            raise ValueError(f"unknown difficulty {', '.join(unknown)}; expected one of "
                             f"{', '.join(DIFFICULTIES)}")
        return [t for t in tasks if self.difficulty(t) in levels]


def assign_splits(ids: list[str], seed: int, dev: float = 0.2, test: float = 0.4) -> dict[str, str]:
    """Deterministically split ids into train/dev/test by a seeded shuffle."""
    import random

    order = list(ids)
    random.Random(seed).shuffle(order)
    n_test = max(1, round(len(order) * test))
    n_dev = max(1, round(len(order) * dev)) if len(order) > 2 else 0
    splits: dict[str, str] = {}
    for i, task_id in enumerate(order):
        splits[task_id] = "test" if i < n_test else "dev" if i < n_test + n_dev else "train"
    return splits
