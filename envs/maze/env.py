"""The Maze env: move through a grid maze to the goal, told only the walls around you."""

from __future__ import annotations

from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.maze.layout import MOVES, MazeLayout, Position, double_t_maze, random_maze
from agentrm_ray.envs.suites import TaskSpec


def _direction_words(directions: list[str]) -> str:
    words = {
        "up": "above you",
        "down": "below you",
        "left": "to your left",
        "right": "to your right",
    }
    parts = [words[d] for d in directions]
    if not parts:
        return "There are no walls next to you."
    if len(parts) == 1:
        return f"There is a wall {parts[0]}."
    return f"There are walls {', '.join(parts[:-1])} and {parts[-1]}."


class MazeEnv(TextEnv):
    """Grid maze; actions 'move up|down|left|right'; success when standing on the goal."""

    family = "maze"
    default_max_steps = 50

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._layout: MazeLayout | None = None
        self._pos: Position = (0, 0)
        self._dist: dict[Position, int] = {}

    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.maze.family import maze_tasks

        return maze_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        kind = task.param("layout")
        if kind == "double_t":
            self._layout = double_t_maze()
        else:
            self._layout = random_maze(
                task.param("height"), task.param("width"), task.param("maze_seed")
            )
        self._dist = self._layout.distances_to_goal()
        self._pos = tuple(task.param("start"))  # type: ignore[assignment]
        goal = f"reach the goal at position {self._layout.goal}"
        return self._describe("You are in a maze."), goal

    def _apply(self, action: str) -> Transition:
        assert self._layout is not None
        direction = self._parse_move(action)
        if direction is None:
            return Transition(self.invalid_observation(action), valid=False)
        dr, dc = MOVES[direction]
        target = (self._pos[0] + dr, self._pos[1] + dc)
        if not self._layout.is_open(target):
            return Transition(self._describe(f"You cannot move {direction}: there is a wall."))
        self._pos = target
        if self._pos == self._layout.goal:
            return Transition(
                f"You moved {direction} and reached the goal at {self._pos}. Success!",
                reward=1.0,
                done=True,
                success=True,
            )
        return Transition(self._describe(f"You moved {direction}."))

    def admissible_actions(self) -> list[str]:
        return [f"move {d}" for d in MOVES]

    def oracle_action(self) -> str:
        assert self._layout is not None
        return f"move {self._layout.best_move(self._pos, self._dist)}"

    def _snapshot(self) -> Any:
        return self._pos

    def _restore(self, snapshot: Any) -> None:
        source_task = self.task
        assert source_task is not None
        self._load_task(source_task, np.random.default_rng(0))
        self._pos = snapshot

    @property
    def position(self) -> Position:
        return self._pos

    def _describe(self, lead: str) -> str:
        assert self._layout is not None
        walls = _direction_words(self._layout.blocked_directions(self._pos))
        return f"{lead} Your position is {self._pos}. {walls} The goal is at {self._layout.goal}."

    @staticmethod
    def _parse_move(action: str) -> str | None:
        words = action.lower().replace("_", " ").split()
        if words and words[0] in ("move", "go", "walk"):
            words = words[1:]
        if len(words) == 1 and words[0] in MOVES:
            return words[0]
        return None
