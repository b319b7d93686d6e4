"""Env and task lookup for requests: turn a `TaskRef` into a `Task`, list the envs.

Resolution happens in the ingress, before any actor is touched, so an unknown env or task id
is a 422 naming `task.env_id` / `task.task_id` rather than a failed search. Task lists are
cached per family (some families build them in ~1 s).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

from agentrm_ray.envs import EnvUnavailableError, UnknownEnvError, family_by_env_id, family_statuses
from agentrm_ray.envs.registry import declared_family_names
from agentrm_ray.envs.suites import SPLITS, FamilySpec, TaskSpec
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.serve.errors import FieldProblem, RequestProblems
from agentrm_ray.serve.schemas import EnvInfo, ScoreItem, TaskRef
from agentrm_ray.types import Task


@lru_cache(maxsize=64)
def _tasks_by_id(env_id: str, tasks: Callable[[], list[TaskSpec]]) -> dict[str, TaskSpec]:
    """Keyed by the catalogue function too: a family declared again may list other tasks."""
    return {t.task_id: t for t in tasks()}


def family_of(env_id: str, loc: tuple[str | int, ...]) -> FamilySpec:
    """The family of an env id; unknown or unavailable ids are a problem at `loc`."""
    try:
        return family_by_env_id(env_id)
    except (UnknownEnvError, EnvUnavailableError) as exc:
        raise RequestProblems([FieldProblem(loc, str(exc))]) from None


def resolve_task(ref: TaskRef) -> Task:
    """The `Task` a reference names, with the suite's seed and split unless given."""
    spec = family_of(ref.env_id, ("body", "task", "env_id"))
    tasks = _tasks_by_id(spec.env_id, spec.tasks)
    found = tasks.get(ref.task_id)
    if found is None:
        examples = ", ".join(sorted(tasks)[:5])
        raise RequestProblems([FieldProblem(
            ("body", "task", "task_id"),
            f"unknown task {ref.task_id!r} of {spec.env_id} ({len(tasks)} tasks, e.g. {examples})",
        )])
    if ref.split is not None and ref.split != found.split:
        raise RequestProblems([FieldProblem(
            ("body", "task", "split"), f"task {ref.task_id!r} is in split {found.split!r}")])
    seed = found.seed if ref.seed is None else ref.seed
    return Task(env_id=spec.env_id, task_id=found.task_id, split=found.split, seed=seed)


def instructions_for(items: list[ScoreItem], prompts: PromptBook) -> list[str]:
    """The RM instruction of each item: its own, else its env family's (from the server's
    prompts: a pack's where `prompts` maps the family)."""
    out = []
    for i, item in enumerate(items):
        if item.instruction is not None:
            out.append(item.instruction)
            continue
        loc = ("body", "states", i, "trajectory", "task", "env_id")
        out.append(prompts.for_family(family_of(item.trajectory.task.env_id, loc).name)
                   .rm_instruction)
    return out


def env_catalogue() -> tuple[EnvInfo, ...]:
    """Every registered env with its task counts per split and whether it can run here."""
    return _catalogue(declared_family_names())


@lru_cache(maxsize=4)
def _catalogue(declared: frozenset[str]) -> tuple[EnvInfo, ...]:
    """Cached per set of declared families (a process may declare some after the first call)."""
    infos = []
    for status in family_statuses():
        spec = status.spec
        infos.append(EnvInfo(
            env_id=spec.env_id,
            family=spec.name,
            description=spec.description,
            held_in=spec.held_in,
            available=status.available,
            reason=status.reason,
            max_steps=spec.max_steps,
            tasks={s: len(spec.split(s)) for s in SPLITS} if status.available else {},
        ))
    return tuple(infos)


class TaskCatalog(Protocol):
    """Where the ingress looks tasks and instructions up: the env registry in production; an
    in-process test adds a toy env of its own (tests/serve/fakes.py) rather than passing a toy
    world off as a real env."""

    def resolve(self, ref: TaskRef) -> Task: ...

    def instructions(self, items: list[ScoreItem]) -> list[str]: ...


class RegistryCatalog:
    """The registered env families (`agentrm_ray.envs`), with the server's prompts."""

    def __init__(self, prompts: PromptBook | None = None) -> None:
        self.prompts = prompts or PromptBook()

    def resolve(self, ref: TaskRef) -> Task:
        return resolve_task(ref)

    def instructions(self, items: list[ScoreItem]) -> list[str]:
        return instructions_for(items, self.prompts)
