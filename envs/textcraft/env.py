"""The TextCraft env: get base items and craft up the recipe tree until the goal item is held.

Progress is the fraction of the target's crafting-tree nodes below the target (base items,
intermediate items, and tag slots such as 'planks', which count once any member is held)
that the inventory has held at some point in the episode; success (holding the target) is 1.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.suites import TaskSpec
from agentrm_ray.envs.textcraft.crafting import Inventory, apply_command
from agentrm_ray.envs.textcraft.recipes import Ingredient, display_name, load_book
from agentrm_ray.envs.textcraft.solver import bill_of_materials, next_action
from agentrm_ray.envs.textcraft.task_setup import Node, TaskSetup, build_setup, describe_task


@lru_cache(maxsize=512)
def task_material(target: str, seed: int) -> tuple[TaskSetup, tuple[str, ...]]:
    """A task's setup and its admissible actions: 'inventory', getting each base item of the
    tree in the amount the whole tree needs, and each listed craft at its recipe's counts."""
    setup = build_setup(load_book(), target, seed)
    gets, _ = bill_of_materials(setup, {})
    fetches = [f"get {gets[leaf]} {display_name(leaf)}" for leaf in setup.leaves() if leaf in gets]
    return setup, ("inventory", *sorted(fetches), *sorted(setup.commands))


class TextCraftEnv(TextEnv):
    """Crafting from recipe text; actions 'get ...', 'craft ... using ...', 'inventory'."""

    family = "textcraft"
    default_max_steps = 40

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._book = load_book()
        self._setup: TaskSetup | None = None
        self._admissible: tuple[str, ...] = ()
        self._inventory: Inventory = {}
        self._seen: set[Node] = set()

    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.textcraft.family import textcraft_tasks

        return textcraft_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        self._setup, self._admissible = task_material(task.param("target"), task.seed)
        self._inventory = {}
        self._seen = set()
        commands = list(self._setup.commands)
        listing = [commands[i] for i in rng.permutation(len(commands))]
        goal = f"craft {display_name(self._setup.target)}"
        return describe_task(self._book, self._setup, listing), goal

    def _apply(self, action: str) -> Transition:
        assert self._setup is not None
        outcome = apply_command(self._book, self._inventory, action)
        if not outcome.parsed:
            return Transition(self.invalid_observation(action), valid=False)
        self._note_held()
        target = self._setup.target
        if self._inventory.get(target, 0) >= 1:
            message = f"{outcome.message}. You have crafted {display_name(target)}: goal reached!"
            return Transition(message, reward=1.0, done=True, success=True, progress=1.0)
        return Transition(outcome.message, valid=outcome.valid, progress=self._progress_now())

    def admissible_actions(self) -> list[str]:
        return list(self._admissible)

    def oracle_action(self) -> str:
        assert self._setup is not None
        return next_action(self._setup, self._inventory)

    def _snapshot(self) -> Any:
        return dict(self._inventory), set(self._seen)

    def _restore(self, snapshot: Any) -> None:
        task = self.task
        assert task is not None
        self._setup, self._admissible = task_material(task.param("target"), task.seed)
        inventory, seen = snapshot
        self._inventory, self._seen = dict(inventory), set(seen)

    @property
    def inventory(self) -> dict[str, int]:
        """A copy of the inventory (item id -> count)."""
        return dict(self._inventory)

    def _note_held(self) -> None:
        assert self._setup is not None
        for node in self._setup.progress_nodes:
            members = node.options if isinstance(node, Ingredient) else (node,)
            if any(self._inventory.get(m, 0) > 0 for m in members):
                self._seen.add(node)

    def _progress_now(self) -> float:
        assert self._setup is not None
        return len(self._seen) / (len(self._setup.progress_nodes) + 1)
