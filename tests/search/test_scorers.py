"""A pool scorer says which states its RM could not score, once per task, with the reason."""

from __future__ import annotations

import asyncio
import logging

import pytest

from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.search.expander import SearchState
from agentrm_ray.search.scorers import PoolScorer, VerdictBlindScorer
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


class FakeVerdictReader:
    """A scorer that reads only the last observation: 1 where it announces success."""

    def __init__(self) -> None:
        self.seen: list[SearchState] = []

    async def score(self, states: list[SearchState]) -> list[float | None]:
        self.seen += states
        return [1.0 if s.trajectory.steps and "completed" in s.trajectory.steps[-1].observation
                else 0.0 for s in states]


def test_the_verdict_blind_view_withholds_only_the_last_observation() -> None:
    task = Task(env_id="fake", task_id="t")
    won = SearchState(trajectory=Trajectory(
        task=task, goal="g", initial_observation="start",
        steps=[Step(thought="t1", action="go", observation="a door"),
               Step(thought="t2", action="open door", observation="You completed the mission")]),
        terminated=True, info={"success": True})
    empty = SearchState(trajectory=Trajectory(task=task, goal="g", initial_observation="start"))
    inner = FakeVerdictReader()
    assert asyncio.run(inner.score([won])) == [1.0]
    assert asyncio.run(VerdictBlindScorer(inner).score([won, empty])) == [0.0, 0.0]
    blind, untouched = inner.seen[1:]
    assert [s.observation for s in blind.trajectory.steps] == ["a door", ""]
    assert [(s.thought, s.action) for s in blind.trajectory.steps] == [
        ("t1", "go"), ("t2", "open door")]
    assert blind.terminated and blind.info == {"success": True}
    assert untouched is empty
    assert won.trajectory.steps[-1].observation == "You completed the mission"  # not mutated
