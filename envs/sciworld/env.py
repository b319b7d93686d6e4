"""The ScienceWorld env: elementary-science tasks in a simulated house, garden and workshop.

Scoring follows ScienceWorld: the simulator's score runs 0..100 over the task's subgoals;
progress is score/100 (negative scores clamp to 0), the reward of a step is the change in
progress, success is a score of 100, and a negative score (the task failed, e.g. the agent
focused on the wrong object) ends the episode. Input the simulator cannot parse becomes an
"Invalid action" observation that lists the action templates.

`admissible_actions()` returns None: listing the valid actions costs the simulator 0.1-0.3 s
(hundreds of object combinations) and the base class would ask for it after every step. Call
`valid_actions()` explicitly when the full list is wanted.

The oracle replays the simulator's gold action sequence (see agentrm_ray.envs.jvm.gold for
how it treats the agent's own detours). Each env borrows one game object from the process's
ScienceWorld JVM pool (many games share a JVM) on its first reset, keeps it across resets, and
returns it on close() or when garbage-collected; forks replay the actions on their own game
object from the same pool, so forking starts no JVM.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.jvm.gold import GoldPathFollower
from agentrm_ray.envs.jvm.pool import GameLease
from agentrm_ray.envs.sciworld import simulator
from agentrm_ray.envs.sciworld.catalogue import FAST_MAX_STEPS, sciworld_tasks
from agentrm_ray.envs.suites import TaskSpec

FULL_SCORE = 100


class SciWorldEnv(TextEnv):
    """ScienceWorld over its simulator's fast interface; tasks '<task-name>-<variation>'."""

    family = "sciworld"
    default_max_steps = FAST_MAX_STEPS

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None,
                 suite: str = "fast") -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self.suite = suite
        sciworld_tasks(suite)  # fail early on an unknown suite name
        self._lease: GameLease | None = None
        self._release_lease: weakref.finalize | None = None
        self._score = 0
        self._room: str | None = None
        # (action, valid, undo move) per step: the oracle's follower is built from it lazily
        self._history: list[tuple[str, bool, str | None]] = []
        self._follower: GoldPathFollower | None = None

    # ----------------------------------------------------------------- TextEnv hooks
    def task_catalogue(self) -> list[TaskSpec]:
        return sciworld_tasks(self.suite)

    def _init_kwargs(self) -> dict[str, Any]:
        return {**super()._init_kwargs(), "suite": self.suite}

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        server = self._server(fresh=True)
        server.load(task.param("task_name"), int(task.param("variation")),
                    task.param("simplifications", ""), False)
        look = str(server.step("look around"))
        self._score = 0
        self._room = simulator.room_in_look(look)
        self._history = []
        self._follower = None
        return look, str(server.getTaskDescription())

    def _apply(self, action: str) -> Transition:
        server = self._server()
        reply = str(server.step(action))
        if simulator.is_unparsed(reply):
            self._record(action, valid=False, undo=None)
            return Transition(self._invalid_text(action, reply), valid=False)
        before = self._progress_of(self._score)
        self._score = round(FULL_SCORE * float(server.getScore()))
        completed = bool(server.getCompleted())
        undo = None
        entered = simulator.room_moved_to(reply)
        if entered is not None:
            undo = f"go to {self._room}" if self._room else None
            self._room = entered
        self._record(action, valid=True, undo=undo)
        progress = self._progress_of(self._score)
        success = self._score >= FULL_SCORE
        return Transition(
            reply,
            reward=progress - before,
            done=success or completed or self._score < 0,
            success=success,
            progress=progress,
            extra={"score": self._score},
        )

    def admissible_actions(self) -> list[str] | None:
        return None

    def oracle_action(self) -> str:
        follower = self._oracle()
        return follower.next_action() or "look around"

    def close(self) -> None:
        """Give the game object back to the pool (an unused JVM stops after a short idle time)."""
        if self._release_lease is not None:
            self._release_lease()
        self._lease = None
        self._release_lease = None
        super().close()

    # ----------------------------------------------------------------- extras
    def valid_actions(self) -> list[str]:
        """Every action the simulator accepts now (slow: 0.1-0.3 s; not used per step)."""
        return sorted(str(a) for a in self._server().getValidActionObjectCombinations())

    @property
    def score(self) -> int:
        """The simulator's score, -100..100."""
        return self._score

    @property
    def oracle_on_path(self) -> bool:
        """True while the episode is an exact prefix of the gold path (oracle is exact)."""
        return self._oracle().on_path

    # ----------------------------------------------------------------- internals
    def _server(self, fresh: bool = False) -> Any:
        """The game object; `fresh` (at reset) replaces one whose JVM has stopped."""
        if self._lease is None or (fresh and not self._lease.alive):
            if self._release_lease is not None:
                self._release_lease()  # a lease of a stopped JVM: releasing it is a no-op
            lease = simulator.sciworld_pool().acquire()
            self._lease = lease
            self._release_lease = weakref.finalize(self, lease.release)
        return self._lease.server

    def _record(self, action: str, *, valid: bool, undo: str | None) -> None:
        self._history.append((action, valid, undo))
        if self._follower is not None:
            self._follower.record(action, valid=valid, undo=undo)

    def _oracle(self) -> GoldPathFollower:
        if self._follower is None:
            task = self.task
            if task is None:
                raise RuntimeError("sciworld: call reset() before asking the oracle")
            gold = simulator.gold_actions(task.param("task_name"), int(task.param("variation")),
                                          task.param("simplifications", ""))
            follower = GoldPathFollower(gold, key=simulator.action_key)
            for action, valid, undo in self._history:
                follower.record(action, valid=valid, undo=undo)
            self._follower = follower
        return self._follower

    def _invalid_text(self, action: str, reply: str) -> str:
        templates = ", ".join(simulator.action_templates(self._server()))
        return (f"Invalid action: {action!r}. {reply.strip()} Actions take one of these "
                f"forms (OBJ is an object or place you can see): {templates}.")

    @staticmethod
    def _progress_of(score: int) -> float:
        return max(0, min(score, FULL_SCORE)) / FULL_SCORE
