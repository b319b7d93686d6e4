"""Task suites: which tasks a run covers (configs/suites/*.yaml + the `tasks` config section).

A suite names families and how many tasks of each split to take; tasks are taken in a fixed
seeded order from the family's split, so the same suite always means the same tasks.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from agentrm_ray.config import ConfigError, ConfigProblem
from agentrm_ray.config.models import TasksConfig
from agentrm_ray.config.safe_yaml import load_yaml, read_text
from agentrm_ray.types import Task


class FamilyEntry(BaseModel):
    """One family of a suite in its long form: how many tasks, of which difficulty levels."""

    model_config = ConfigDict(extra="forbid")

    tasks: int = Field(ge=1, description="Tasks per split (the first ones in seeded order).")
    difficulty: list[Literal["easy", "medium", "hard"]] | None = Field(
        None, min_length=1, description="Only tasks of these levels (each family documents "
        "what its levels mean: `<family>_difficulty` in envs/<family>/family.py); null: all.")


class SuiteSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    seed: int = 0
    families: dict[str, FamilyEntry] = Field(
        description="family name -> tasks per split (N, short for {tasks: N}), or "
        "{tasks: N, difficulty: [easy, …]}")

    @field_validator("families", mode="before")
    @classmethod
    def _short_form(cls, value: Any) -> Any:
        """`maze: 12` is `maze: {tasks: 12}`."""
        if isinstance(value, dict):
            return {k: {"tasks": v} if isinstance(v, int) else v for k, v in value.items()}
        return value

    def entry(self, family: str) -> FamilyEntry:
        return self.families[family]


@dataclass(frozen=True)
class SelectedTasks:
    tasks: list[Task]
    held_in: dict[str, bool]


def load_suite(name_or_path: str) -> SuiteSpec:
    path = Path(name_or_path)
    if path.is_file():
        text, label = read_text(path), str(path)
    else:
        bundled = resources.files("agentrm_ray.configs").joinpath("suites", f"{name_or_path}.yaml")
        if not bundled.is_file():
            names = sorted(
                p.name[:-5]
                for p in resources.files("agentrm_ray.configs").joinpath("suites").iterdir()
                if p.name.endswith(".yaml")
            )
            raise ConfigError(
                [
                    ConfigProblem(
                        "tasks.suite",
                        f"{name_or_path!r} is neither a file nor a bundled suite "
                        f"({', '.join(names)})",
                    )
                ]
            )
        text, label = bundled.read_text(), f"<bundled suite {name_or_path}>"
    try:
        return SuiteSpec.model_validate(load_yaml(text, label))
    except ValidationError as exc:
        problems = [
            ConfigProblem("tasks.suite." + ".".join(map(str, e["loc"])), e["msg"])
            for e in exc.errors()
        ]
        raise ConfigError(problems, label) from None


def select_tasks(cfg: TasksConfig) -> SelectedTasks:
    """The run's tasks; unknown or unavailable families are config errors naming them.

    `tasks.families` may also name declared AgentGym families (`envs.agentgym`) that the
    suite does not list: they contribute every task of their split ranges (up to
    `limit_per_family`), so a config alone can run them."""
    from agentrm_ray.envs import family_statuses
    from agentrm_ray.envs.registry import declared_family_names

    suite = load_suite(cfg.suite)
    statuses = {s.spec.name: s for s in family_statuses()}
    wanted = cfg.families or list(suite.families)
    declared = declared_family_names()
    problems = []
    for name in wanted:
        if name in declared and name not in suite.families:
            continue  # a declared AgentGym family: every task of its splits
        if name not in suite.families:
            problems.append(
                ConfigProblem(
                    "tasks.families",
                    f"{name!r} is not in suite {suite.name!r} ({', '.join(suite.families)})",
                )
            )
        elif name not in statuses:
            problems.append(
                ConfigProblem(
                    f"tasks.suite.families.{name}", f"unknown family; known: {', '.join(statuses)}"
                )
            )
        elif not statuses[name].available:
            problems.append(
                ConfigProblem(
                    f"tasks.suite.families.{name}", f"not available here: {statuses[name].reason}"
                )
            )
        elif suite.entry(name).difficulty and statuses[name].spec.difficulty is None:
            problems.append(
                ConfigProblem(
                    f"tasks.suite.families.{name}.difficulty",
                    f"family {name} has no difficulty levels; remove the setting",
                )
            )
    if problems:
        raise ConfigError(problems)
    tasks: list[Task] = []
    for name in wanted:
        spec = statuses[name].spec
        entry = suite.families.get(name) or FamilyEntry(tasks=len(spec.tasks()))
        count = entry.tasks
        if cfg.limit_per_family:
            count = min(count, cfg.limit_per_family)
        for split in cfg.splits:
            pool = spec.split(split, entry.difficulty)
            random.Random(f"{suite.seed}/{name}/{split}").shuffle(pool)
            tasks += [
                Task(env_id=spec.env_id, task_id=t.task_id, split=split, seed=t.seed)
                for t in pool[:count]
            ]
    held_in = {name: statuses[name].spec.held_in for name in wanted}
    return SelectedTasks(tasks, held_in)


def task_list_digest(tasks: list[Task]) -> str:
    """A short key of which tasks these are (env, id, split, seed), order aside: what a cached
    stage output was made from, so a family whose task list changed does not reuse it."""
    lines = sorted(f"{t.env_id} {t.task_id} {t.split} {t.seed}" for t in tasks)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]
