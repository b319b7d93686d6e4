"""The BabyAI text env: minigrid BabyAI levels played through text.

Each step the agent reads a description of its egocentric view (describe.py) and answers with
a primitive or a macro action (actions.py). Macros are expanded into minigrid primitive steps
over a shortest path (planner.py); every primitive step is shown to the BabyAIBot expert
(oracle.py) and to the sub-goal tracker (progress.py). Reward is minigrid's own
(1 - 0.9 * primitive_steps / level_max_steps on success, else 0), and success is the
verifier's "mission complete". Progress is AgentBoard-style sub-goal progress (progress.py):
go to X = [facing X]; open door = [holding its key, if locked], [door open]; pick up X =
[facing X], [holding X]; put X next to Y = [holding X], [beside Y with X], [placed]; sequenced
missions concatenate these. A macro is one text step however many primitive steps it takes.

No rendering, no window: minigrid is created with render_mode=None and only its grid is read.
Forks deep-copy the minigrid env together with the bot that points at it (walls are shared).
"""

from __future__ import annotations

import copy
from typing import Any

import gymnasium as gym
import minigrid  # noqa: F401  (importing registers the BabyAI-* ids with gymnasium)
import numpy as np

from agentrm_ray.envs.babyai.actions import CHECK, PRIMITIVES, Command, parse_command
from agentrm_ray.envs.babyai.describe import (
    View,
    describe_view,
    door_state,
    object_phrase,
    observe,
    plural,
)
from agentrm_ray.envs.babyai.oracle import BotExpert
from agentrm_ray.envs.babyai.planner import FORWARD, PathFinder, passable
from agentrm_ray.envs.babyai.progress import ProgressTracker
from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.suites import TaskSpec

PICKUP, DROP, TOGGLE = 3, 4, 5
CARRIABLE = ("ball", "box", "key")


class _Snapshot:
    """The mutable episode state for a fork; deep-copies without duplicating the walls.

    Walls never change in BabyAI, so the copy shares them (and the gym spaces) with the
    original, which makes a fork roughly three times cheaper than a plain deepcopy.
    """

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def __deepcopy__(self, memo: dict[int, Any]) -> _Snapshot:
        mg = self.payload["mg"]
        shared: list[Any] = [mg.observation_space, mg.action_space, mg.spec]
        shared += [cell for cell in mg.grid.grid if cell is not None and cell.type == "wall"]
        for obj in shared:
            memo[id(obj)] = obj
        return _Snapshot(copy.deepcopy(self.payload, memo))


class BabyAIEnv(TextEnv):
    """BabyAI levels with a text describer, primitive + macro actions and the BabyAIBot oracle."""

    family = "babyai"
    default_max_steps = 64

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._mg: Any = None
        self._level_id = ""
        self._expert: BotExpert | None = None
        self._tracker: ProgressTracker | None = None
        self._view_cache: View | None = None
        self._paths_cache: PathFinder | None = None

    # ----------------------------------------------------------------- TextEnv hooks
    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.babyai.family import babyai_tasks

        return babyai_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        # The layout depends on the task alone (its level seed), never on the reset seed.
        level = str(task.param("level"))
        if self._mg is None or self._level_id != level:
            self._mg = gym.make(level, render_mode=None, disable_env_checker=True).unwrapped
            self._level_id = level
        self._mg.reset(seed=int(task.param("level_seed")))
        self._expert = BotExpert(self._mg)
        self._tracker = ProgressTracker(self._mg)
        self._invalidate()
        mission = str(self._mg.mission)
        return f"Your mission: {mission}.\n{self._describe()}", mission

    def _apply(self, action: str) -> Transition:
        command = parse_command(action)
        if command is None:
            return Transition(self.invalid_observation(action), valid=False)
        if command.check:
            return Transition(f"Available actions: {', '.join(self.admissible_actions())}.")
        outcome = _Outcome()
        if command.primitive is not None:
            lead = self._primitive(command.primitive, outcome)
        else:
            problem = self._macro_problem(command)
            if problem:
                return self._invalid(action, problem)
            lead = self._macro(command, outcome)
        return self._transition(lead, outcome)

    def admissible_actions(self) -> list[str]:
        if self._mg is None:
            return [*PRIMITIVES, CHECK]
        actions = list(PRIMITIVES)
        carrying = self._mg.carrying
        paths = self._paths()
        for item in self._view().items:
            if paths.path_to_face(item.world) is None:
                continue
            actions.append(f"go to {item.label}")
            if item.kind in CARRIABLE and carrying is None:
                actions.append(f"pick up {item.label}")
            if item.kind == "door":
                if item.door_state == "open":
                    actions.append(f"go through {item.label}")
                elif item.door_state == "closed" or self._holds_key_for(item.color):
                    actions.append(f"toggle and go through {item.label}")
        actions.append(CHECK)
        return actions

    def oracle_action(self) -> str:
        assert self._expert is not None, "call reset() first"
        return self._expert.advice()

    def _snapshot(self) -> Any:
        if self._mg is None:
            return None
        return _Snapshot({"mg": self._mg, "expert": self._expert, "tracker": self._tracker,
                          "level": self._level_id})

    def _restore(self, snapshot: Any) -> None:
        payload = snapshot.payload
        self._mg = payload["mg"]
        self._expert = payload["expert"]
        self._tracker = payload["tracker"]
        self._level_id = payload["level"]
        self._invalidate()

    # ----------------------------------------------------------------- read-only views
    @property
    def minigrid_env(self) -> Any:
        """The underlying minigrid env (for tests and analysis; do not step it directly)."""
        return self._mg

    @property
    def expert(self) -> BotExpert | None:
        return self._expert

    # ----------------------------------------------------------------- internals
    def _invalidate(self) -> None:
        self._view_cache = None
        self._paths_cache = None

    def _view(self) -> View:
        if self._view_cache is None:
            self._view_cache = observe(self._mg)
        return self._view_cache

    def _paths(self) -> PathFinder:
        if self._paths_cache is None:
            self._paths_cache = PathFinder(self._mg)
        return self._paths_cache

    def _describe(self) -> str:
        return describe_view(self._mg, self._view())

    def _holds_key_for(self, color: str) -> bool:
        carrying = self._mg.carrying
        return carrying is not None and carrying.type == "key" and carrying.color == color

    def _invalid(self, action: str, reason: str) -> Transition:
        valid = ", ".join(self.admissible_actions())
        return Transition(
            f"Invalid action: {action!r}: {reason}. Valid actions are: {valid}.", valid=False
        )

    def _transition(self, lead: str, outcome: _Outcome) -> Transition:
        assert self._tracker is not None
        if outcome.success:
            text = f"{lead}\nYou completed the mission: {self._mg.mission}."
        elif outcome.failed:
            text = (f"{lead}\nThe mission has failed: that action broke the mission's rules "
                    "(wrong object or wrong order).")
        elif outcome.out_of_time:
            text = f"{lead}\nYou ran out of time: this level allows {self._mg.max_steps} moves."
        else:
            text = f"{lead}\n{self._describe()}"
        return Transition(text, reward=outcome.reward, done=outcome.over, success=outcome.success,
                          progress=self._tracker.progress)

    def _primitive(self, action: int, outcome: _Outcome) -> str:
        """One minigrid step; returns what happened, in words."""
        mg = self._mg
        front = mg.grid.get(*mg.front_pos)
        front_state = door_state(front) if front is not None and front.type == "door" else ""
        carried = mg.carrying
        position = tuple(mg.agent_pos)
        _, reward, terminated, truncated, _ = mg.step(action)
        outcome.record(float(reward), bool(terminated), bool(truncated))
        if not outcome.over:
            assert self._expert is not None
            self._expert.observe(action)
        assert self._tracker is not None
        self._tracker.update(mg, outcome.success)
        self._invalidate()
        return _primitive_message(action, front, front_state, carried, position, mg)

    def _macro_problem(self, command: Command) -> str:
        """Why a macro cannot run now ('' if it can)."""
        item = self._view().find(command.color, command.kind, command.number)
        if item is None:
            return f"you do not see a {command.target} right now"
        if command.macro == "pick up":
            if item.kind not in CARRIABLE:
                return f"a {item.kind} cannot be picked up"
            if self._mg.carrying is not None:
                return f"you are already carrying {object_phrase(self._mg.carrying)}; drop it first"
        if command.macro in ("go through", "toggle and go through") and item.kind != "door":
            return f"{command.target} is not a door"
        if command.macro == "go through" and item.door_state != "open":
            return f"{command.target} is {item.door_state}; use 'toggle and go through'"
        if command.macro == "toggle and go through":
            if item.door_state == "open":
                return f"{command.target} is already open; use 'go through'"
            if item.door_state == "locked" and not self._holds_key_for(item.color):
                return f"{command.target} is locked and you do not carry a {item.color} key"
        if self._paths().path_to_face(item.world) is None:
            return f"there is no free path to {command.target}"
        return ""

    def _macro(self, command: Command, outcome: _Outcome) -> str:
        """Run a (checked) macro as primitive steps, stopping if the episode ends."""
        item = self._view().find(command.color, command.kind, command.number)
        assert item is not None
        path = self._paths().path_to_face(item.world)
        assert path is not None
        name = f"the {item.color} {item.kind}"
        for action in path:
            self._primitive(action, outcome)
            if outcome.over:
                return f"You walked towards {name}."
        walked = (f"You walked to {name} ({plural(len(path), 'step')}) and now face it."
                  if path else f"You are already facing {name}.")
        if command.macro == "go to":
            return walked
        if command.macro == "pick up":
            self._primitive(PICKUP, outcome)
            if self._mg.carrying is not None:
                return f"You walked to {name} and picked it up."
            return f"{walked} You could not pick it up."
        lead = ""
        if command.macro == "toggle and go through":
            was_locked = item.door_state == "locked"
            self._primitive(TOGGLE, outcome)
            door = self._mg.grid.get(*item.world)
            if outcome.over:
                return f"You walked to {name} and opened it."
            if door is None or door.type != "door" or not door.is_open:
                return f"{walked} It did not open."
            lead = f"You {'unlocked and ' if was_locked else ''}opened {name}. "
        return lead + self._walk_through(name, outcome)

    def _walk_through(self, name: str, outcome: _Outcome) -> str:
        self._primitive(FORWARD, outcome)
        if outcome.over:
            return f"You stepped into the doorway of {name}."
        beyond = self._mg.grid.get(*self._mg.front_pos)
        if not passable(beyond):
            return (f"You stepped into the doorway of {name}, but {object_phrase(beyond)} "
                    "blocks the way beyond it.")
        self._primitive(FORWARD, outcome)
        return f"You went through {name}."


class _Outcome:
    """What the primitive steps of one text action added up to."""

    def __init__(self) -> None:
        self.reward = 0.0
        self.success = False
        self.failed = False
        self.out_of_time = False

    def record(self, reward: float, terminated: bool, truncated: bool) -> None:
        self.reward += reward
        if terminated:
            self.success = reward > 0
            self.failed = not self.success
        elif truncated:
            self.out_of_time = True

    @property
    def over(self) -> bool:
        return self.success or self.failed or self.out_of_time


def _primitive_message(action: int, front: Any, front_state: str, carried: Any,
                       position: tuple[int, ...], mg: Any) -> str:
    """Describe the effect of one primitive, from the state before it and the env after it."""
    if action in (0, 1):
        return f"You turned {'left' if action == 0 else 'right'}."
    if action == FORWARD:
        if tuple(mg.agent_pos) != position:
            return "You moved forward."
        return f"You cannot move forward: {object_phrase(front)} is in the way."
    if action == PICKUP:
        if carried is not None:
            return (f"You are already carrying {object_phrase(carried)}; drop it before "
                    "picking up anything else.")
        if mg.carrying is not None:
            return f"You picked up {object_phrase(mg.carrying)}."
        if front is None:
            return "There is nothing in front of you to pick up."
        return f"You cannot pick up {object_phrase(front)}."
    if action == DROP:
        if carried is None:
            return "You are not carrying anything to drop."
        if mg.carrying is None:
            return f"You dropped {object_phrase(carried)} in front of you."
        blocker = object_phrase(front)
        return f"You cannot drop {object_phrase(carried)} here: {blocker} is in the way."
    # toggle
    if front is None or front.type == "wall":
        return "There is nothing in front of you to toggle."
    if front.type == "door":
        now = door_state(front)
        if front_state == "locked" and now != "locked":
            return f"You unlocked the {front.color} door with your key and opened it."
        if now == "locked":
            return f"The {front.color} door is locked; you need a {front.color} key to open it."
        return f"You {'opened' if now == 'open' else 'closed'} the {front.color} door."
    if front.type == "box":
        inside = mg.grid.get(*mg.front_pos)
        found = f"it held {object_phrase(inside)}" if inside is not None else "it was empty"
        return f"You opened the {front.color} box; {found}."
    return f"Toggling {object_phrase(front)} does nothing."
