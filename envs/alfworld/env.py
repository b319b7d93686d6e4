"""The ALFWorld env: household tasks in ALFWorld's command language, simulated in Python.

ALFWorld answers an impossible command with "Nothing happens."; this env keeps that text and
adds "Invalid action: <why>. Valid actions are: ..." (and reports valid_action=False), which
the agentrm contract requires and which tells a policy what it may do instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agentrm_ray.envs.alfworld.commands import admissible, parse
from agentrm_ray.envs.alfworld.generator import generate_world
from agentrm_ray.envs.alfworld.goals import progress, satisfied
from agentrm_ray.envs.alfworld.planner import next_action
from agentrm_ray.envs.alfworld.rules import execute
from agentrm_ray.envs.alfworld.state import World
from agentrm_ray.envs.alfworld.text import first_observation
from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.suites import TaskSpec


class ALFWorldEnv(TextEnv):
    """One ALFWorld-style household per task; success when the task's goal condition holds."""

    family = "alfworld"
    default_max_steps = 50

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._world: World | None = None

    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.alfworld.family import alfworld_tasks

        return alfworld_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        # The household is fixed by the task (like an ALFWorld game file), not by the reset seed.
        self._world = generate_world(
            task.param("room"), task.param("task_type"), task.param("layout_seed")
        )
        return first_observation(self._world), self._world.goal.text

    def _apply(self, action: str) -> Transition:
        world = self._require_world()
        command = parse(action)
        if command is None:
            reason = "not a command; see the valid actions"
            return Transition(self._nothing_happens(action, reason), valid=False,
                              progress=progress(world))
        outcome = execute(world, command)
        if not outcome.valid:
            return Transition(self._nothing_happens(action, outcome.text), valid=False,
                              progress=progress(world))
        if satisfied(world):
            return Transition(outcome.text, reward=1.0, done=True, success=True, progress=1.0)
        return Transition(outcome.text, progress=progress(world))

    def admissible_actions(self) -> list[str] | None:
        return None if self._world is None else admissible(self._world)

    def oracle_action(self) -> str:
        world = self._require_world()
        return "look" if satisfied(world) else next_action(world)

    def _snapshot(self) -> Any:
        return None if self._world is None else self._world.copy()

    def _restore(self, snapshot: Any) -> None:
        # the base class hands over a private deep copy (World.copy), so no second copy here
        self._world = snapshot

    @property
    def world(self) -> World:
        """The simulator state (read it; changing it bypasses the rules)."""
        return self._require_world()

    def _nothing_happens(self, action: str, reason: str) -> str:
        valid = ", ".join(admissible(self._require_world()))
        return (f"Nothing happens. Invalid action: {action!r} ({reason}). "
                f"Valid actions are: {valid}.")

    def _require_world(self) -> World:
        if self._world is None:
            raise RuntimeError("alfworld: call reset() before acting")
        return self._world
