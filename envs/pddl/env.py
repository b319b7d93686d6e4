"""The PDDL env: play one generated planning problem by typing English commands.

The observation lists every visible true fact; progress is the share of goal facts that hold
(AgentBoard's progress rate) and the reward is 1 when all of them do. The oracle follows a plan
from the built-in planner, re-planning only when the state leaves the states that plan visits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.pddl.game import Game, load_game
from agentrm_ray.envs.pddl.strips import GroundAction, State
from agentrm_ray.envs.suites import TaskSpec

# The oracle's search budget: suite problems need a few hundred expansions from any solvable
# state; an exhausted budget (about a second) is taken as a dead end.
ORACLE_EXPANSIONS = 2000


class PDDLEnv(TextEnv):
    """Blocksworld, gripper, barman and tyreworld problems behind one text interface."""

    family = "pddl"
    default_max_steps = 60

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._game: Game | None = None
        self._state: State = frozenset()
        self._advice: dict[State, GroundAction] = {}
        self._dead_ends: set[State] = set()

    # ------------------------------------------------------------------ contract hooks
    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.pddl.family import pddl_tasks

        return pddl_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        game = self._bind(task)
        self._state = game.problem.init
        goal = game.goal_text()
        observation = (f"{game.lexicon.intro}\nYour goal is: {goal}\n"
                       f"The current state: {game.describe(self._state)}")
        return observation, goal

    def _apply(self, action: str) -> Transition:
        game = self._require_game()
        candidates = game.lookup(action)
        if not candidates:
            return Transition(self.invalid_observation(action), valid=False,
                              progress=game.progress(self._state))
        chosen = next((a for a in candidates if a.pre <= self._state), None)
        if chosen is None:
            return Transition(self._not_now(action, candidates), valid=False,
                              progress=game.progress(self._state))
        if self._state in self._dead_ends:  # no action leads out of a dead end
            self._dead_ends.add(chosen.apply(self._state))
        self._state = chosen.apply(self._state)
        progress = game.progress(self._state)
        report = f"You {game.commands[chosen]}.\nThe current state: {game.describe(self._state)}"
        if game.solved(self._state):
            return Transition(f"{report}\nThe goal is reached. Success!", reward=1.0,
                              done=True, success=True, progress=1.0)
        return Transition(report, progress=progress)

    def admissible_actions(self) -> list[str] | None:
        if self._game is None:
            return None
        return self._game.admissible(self._state)

    def oracle_action(self) -> str:
        """The next step of a plan to the goal (re-planned when the state left the plan).

        In a dead end (no plan exists, e.g. barman's shaker holding ingredients of no cocktail,
        or none was found within ORACLE_EXPANSIONS) the oracle falls back to the first
        admissible action; states reached from a dead end are dead ends too, so the search is
        not repeated there.
        """
        game = self._require_game()
        if self._state not in self._advice and self._state not in self._dead_ends:
            plan = game.planner.plan(self._state, max_expansions=ORACLE_EXPANSIONS)
            if not plan:
                self._dead_ends.add(self._state)
            else:
                state = self._state
                for step in plan:
                    self._advice[state] = step
                    state = step.apply(state)
        step = self._advice.get(self._state)
        if step is not None:
            return game.commands[step]
        admissible = game.admissible(self._state)
        return admissible[0] if admissible else next(iter(game.commands.values()))

    def _snapshot(self) -> Any:
        return self._state

    def _restore(self, snapshot: Any) -> None:
        assert self.task is not None
        self._bind(self.task)
        self._state = snapshot

    # ------------------------------------------------------------------ extras
    @property
    def state(self) -> State:
        """The true facts now (a frozenset of fact tuples)."""
        return self._state

    @property
    def game(self) -> Game:
        return self._require_game()

    # ------------------------------------------------------------------ internals
    def _bind(self, task: TaskSpec) -> Game:
        self._game = load_game(task.param("domain"), int(task.param("size")),
                               int(task.param("problem_seed")))
        self._advice = {}
        self._dead_ends = set()
        return self._game

    def _require_game(self) -> Game:
        if self._game is None:
            raise RuntimeError("pddl: call reset() first")
        return self._game

    def _not_now(self, action: str, candidates: list[GroundAction]) -> str:
        """Why a recognised command cannot be done now: its unmet conditions, in English."""
        game = self._require_game()
        closest = min(candidates, key=lambda a: len(a.missing(self._state)))
        unmet = game.describe_facts(closest.missing(self._state))
        reason = f"it needs {', '.join(unmet)}" if unmet else "its conditions do not hold"
        valid = ", ".join(game.admissible(self._state))
        return (f"Invalid action: {action!r} cannot be done now: {reason}. "
                f"Valid actions are: {valid}.")
