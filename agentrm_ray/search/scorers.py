"""How the search turns states into scores, by `reward.method`.

`PoolScorer` sends states to RM replicas (value, implicit, judge). `OracleScorer` reads the
env's own verdict (1 on success, else progress): not a reward model but the upper bound the
paper's tables compare against — it sees the true outcome, so never report it as an RM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.search.expander import SearchState
from agentrm_ray.types import Task

logger = logging.getLogger(__name__)


class Scorer(Protocol):
    async def score(self, states: list[SearchState]) -> list[float | None]: ...


class PoolScorer:
    def __init__(self, pool: RewardPool, instruction_for: Callable[[Task], str]) -> None:
        self.pool = pool
        self.instruction_for = instruction_for
        self._warned_tasks: set[str] = set()

    async def score(self, states: list[SearchState]) -> list[float | None]:
        if not states:
            return []
        task_key = states[0].trajectory.task.key
        rm_states = [
            RMState(instruction=self.instruction_for(s.trajectory.task), trajectory=s.trajectory)
            for s in states
        ]
        results = await self.pool.score(rm_states, affinity_key=task_key)
        errors = [r.error or "no score and no reason" for r in results if r.score is None]
        if errors and task_key not in self._warned_tasks:
            # An unscored state ranks below every scored one: a scorer that cannot read most
            # states quietly becomes "pick the first candidate". Once per task says so, and why.
            self._warned_tasks.add(task_key)
            logger.warning("task %s: %d of %d states unscored by the RM (ranked last), first "
                           "reason: %s", task_key, len(errors), len(results), errors[0])
        return [r.score for r in results]


class OracleScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        return [
            1.0 if s.info.get("success") else float(s.info.get("progress", 0.0)) for s in states
        ]


class NoScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        raise RuntimeError("this strategy needs a reward model; set reward.method")


def without_last_observation(state: SearchState) -> SearchState:
    """The state with the env's answer to its last action withheld (an empty observation)."""
    steps = state.trajectory.steps
    if not steps:
        return state
    hidden = steps[-1].model_copy(update={"observation": ""})
    trajectory = state.trajectory.model_copy(update={"steps": [*steps[:-1], hidden]})
    return replace(state, trajectory=trajectory)


class VerdictBlindScorer:
    """`inner`'s scores of states whose last observation is withheld.

    A finished episode's last observation often states its outcome ("You completed the
    mission", "Your score ...: 1.00"), so an RM can rank finished trajectories by reading the
    env's verdict. Withholding it asks whether the RM also judges the actions that led there:
    a diagnostic for Best-of-N over finished trajectories (scripts/verdict_blind.py), not a
    scorer for search.
    """

    def __init__(self, inner: Scorer) -> None:
        self.inner = inner

    async def score(self, states: list[SearchState]) -> list[float | None]:
        return await self.inner.score([without_last_observation(s) for s in states])
