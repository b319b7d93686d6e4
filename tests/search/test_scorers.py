"""A pool scorer says which states its RM could not score, once per task, with the reason."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.search.expander import SearchState
from agentrm_ray.search.scorers import PoolScorer
from agentrm_ray.types import Step, Task, Trajectory


class FakeRewardPool:
    """Stands in for `RewardPool`: scores states whose trajectory has an even step count,
    and fails the others the way the judge does when it cannot parse its own answer."""

    async def score(self, states: list[RMState], affinity_key: str | None = None
                    ) -> list[ScoreResult]:
        return [
            ScoreResult(score=0.5) if len(s.trajectory.steps) % 2 == 0
            else ScoreResult(score=None, error="no 'Score: N' in judge answer 'I think'")
            for s in states
        ]


def _states(task_id: str, step_counts: list[int]) -> list[SearchState]:
    task = Task(env_id="fake", task_id=task_id)
    return [
        SearchState(trajectory=Trajectory(
            task=task, goal="g", initial_observation="o",
            steps=[Step(action="a", observation="o") for _ in range(n)]))
        for n in step_counts
    ]


def test_unscored_states_rank_as_none_and_are_warned_once_per_task(
        caplog: pytest.LogCaptureFixture) -> None:
    scorer = PoolScorer(FakeRewardPool(), lambda task: "instruction")
    with caplog.at_level(logging.WARNING, logger="agentrm_ray.search.scorers"):
        first = asyncio.run(scorer.score(_states("t1", [0, 1, 2, 3])))
        asyncio.run(scorer.score(_states("t1", [1])))
        asyncio.run(scorer.score(_states("t2", [2, 4])))  # all scored: nothing to say
        asyncio.run(scorer.score(_states("t3", [5])))

    assert first == [0.5, None, 0.5, None]
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert f"task {Task(env_id='fake', task_id='t1').key}: 2 of 4 states unscored" in warnings[0]
    assert "no 'Score: N' in judge answer" in warnings[0]
    assert f"task {Task(env_id='fake', task_id='t3').key}: 1 of 1 states unscored" in warnings[1]
