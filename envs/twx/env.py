"""The TextWorld Express env: six small procedurally generated text games.

Progress is the game's own normalised score (0..1; negative scores clamp to 0), the reward of a
step is the change in progress, success is the game's task-success flag, and task failure (e.g.
eating an unprepared meal) ends the episode. The game lists its valid actions after every step
(cheaply), so `admissible_actions()` returns them, sorted for a stable order.

The oracle replays the gold action sequence TextWorld Express generates for the game (the
first one generated in the process: coin's and twc's gold agents walk randomly; see
agentrm_ray.envs.jvm.gold for how the oracle treats the agent's own detours).

TextWorld Express games share state inside one JVM, so each env borrows a JVM of its own from
the process's pool on its first reset, keeps it across resets, and returns it on close() or
when garbage-collected; the pool keeps returned JVMs for the next env. Forks replay (steps take
~1 ms) on a pooled JVM.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.jvm.gold import GoldPathFollower
from agentrm_ray.envs.jvm.pool import GameLease
from agentrm_ray.envs.suites import TaskSpec
from agentrm_ray.envs.twx import engine
from agentrm_ray.envs.twx.games import MAX_STEPS, fold_of_seed, twx_tasks


class TwxEnv(TextEnv):
    """TextWorld Express games; tasks '<game>-<seed>'."""

    family = "twx"
    default_max_steps = MAX_STEPS

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._lease: GameLease | None = None
        self._release_lease: weakref.finalize | None = None
        self._loaded: tuple[str, str] | None = None  # game and params the game object holds
        self._valid: list[str] = []
        self._follower = GoldPathFollower([])

    # ----------------------------------------------------------------- TextEnv hooks
    def task_catalogue(self) -> list[TaskSpec]:
        return twx_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        server = self._server(fresh=True)
        game = (str(task.param("game")), str(task.param("game_params", "")))
        if self._loaded != game:
            message = server.load(*game)
            if message:
                raise ValueError(f"twx: cannot load {game[0]!r} with {game[1]!r}: {message}")
            self._loaded = game
        fold = task.param("fold") or fold_of_seed(task.seed)
        key = (*game, fold, task.seed)
        gold = engine.cached_gold(key)
        reply = engine.parse_reply(server.generateNewGameJSON(task.seed, fold, gold is None))
        if gold is None:
            gold = engine.keep_gold(key, tuple(str(a) for a in server.getGoldActionSequence()))
        self._follower = GoldPathFollower(gold)
        self._valid = sorted(reply["validActions"])
        return reply["observation"], str(server.getTaskDescription())

    def _apply(self, action: str) -> Transition:
        reply = engine.parse_reply(self._server().stepJSON(action))
        observation = reply["observation"]
        self._valid = sorted(reply["validActions"])
        if engine.is_unknown(observation):
            self._follower.record(action, valid=False)
            return Transition(self.invalid_observation(action), valid=False)
        self._follower.record(action, valid=True, undo=engine.undo_move(action, observation))
        progress = max(0.0, min(1.0, float(reply["score"])))
        success = bool(reply["tasksuccess"])
        return Transition(
            observation,
            reward=progress - self._progress,
            done=success or bool(reply["taskfailure"]),
            success=success,
            progress=progress,
            extra={"score_raw": float(reply["scoreRaw"])},
        )

    def admissible_actions(self) -> list[str]:
        return list(self._valid)

    def oracle_action(self) -> str:
        follower = self._follower
        if follower.on_path:
            action = follower.next_action()
        else:  # after a detour, get past gold actions it made impossible
            action = follower.next_admissible(self._valid, engine.prerequisite)
        return action or "look around"

    def close(self) -> None:
        """Give the JVM back to the pool (which stops it after a short idle time)."""
        if self._release_lease is not None:
            self._release_lease()
        self._lease = None
        self._release_lease = None
        self._loaded = None
        super().close()

    # ----------------------------------------------------------------- extras
    @property
    def gold_actions(self) -> list[str]:
        """The gold action sequence generated at the last reset."""
        return self._follower.gold

    @property
    def oracle_on_path(self) -> bool:
        """True while the episode is an exact prefix of the gold path (oracle is exact)."""
        return self._follower.on_path

    # ----------------------------------------------------------------- internals
    def _server(self, fresh: bool = False) -> Any:
        """The game object; `fresh` (at reset) replaces one whose JVM has stopped."""
        if self._lease is None or (fresh and not self._lease.alive):
            if self._release_lease is not None:
                self._release_lease()  # a lease of a stopped JVM: releasing it is a no-op
            lease = engine.twx_pool().acquire()
            self._lease = lease
            self._release_lease = weakref.finalize(self, lease.release)
            self._loaded = None
        return self._lease.server
