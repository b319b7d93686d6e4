"""How the search turns states into scores, by `reward.method`.

`PoolScorer` sends states to RM replicas (value, implicit, judge). `OracleScorer` reads the
env's own verdict (1 on success, else progress): not a reward model but the upper bound the
paper's tables compare against — it sees the true outcome, so never report it as an RM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.search.expander import SearchState
from agentrm_ray.types import Task


class Scorer(Protocol):
    async def score(self, states: list[SearchState]) -> list[float | None]: ...


class PoolScorer:
    def __init__(self, pool: RewardPool, instruction_for: Callable[[Task], str]) -> None:
        self.pool = pool
        self.instruction_for = instruction_for
        self.failures: list[str] = []

    async def score(self, states: list[SearchState]) -> list[float | None]:
        if not states:
            return []
        rm_states = [
            RMState(instruction=self.instruction_for(s.trajectory.task), trajectory=s.trajectory)
            for s in states
        ]
        results = await self.pool.score(rm_states, affinity_key=states[0].trajectory.task.key)
        self.failures += [r.error for r in results if r.error]
        return [r.score for r in results]


class OracleScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        return [
            1.0 if s.info.get("success") else float(s.info.get("progress", 0.0)) for s in states
        ]


class NoScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        raise RuntimeError("this strategy needs a reward model; set reward.method")
