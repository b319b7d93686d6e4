"""Re-ranking Best-of-N samples with another scorer equals a BoN search with that scorer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fake_expander import FakeExpander, FakeWorld, State

from agentrm_ray.config import load_config
from agentrm_ray.config.models import ScoreAggregate, SearchStrategy
from agentrm_ray.data.results import RunStore
from agentrm_ray.search.expander import SearchState
from agentrm_ray.search.rescore import RescoreError, can_rescore, rescore_best_of_n
from agentrm_ray.search.runs import rescore_run
from agentrm_ray.search.scorers import OracleScorer
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.types import SearchResult, Task

TASKS = [Task(env_id="fake", task_id=f"t{i}") for i in range(3)]
VALUE = {c: i for i, c in enumerate("abcde")}


def _world(rm) -> FakeWorld:
    return FakeWorld(depth=3, choices=lambda s: list("abcde"), rm=rm,
                     success=lambda s: s == ("e", "e", "e"),
                     progress=lambda s: sum(VALUE[a] for a in s) / 12)


def _digit_sum(s: State) -> float:
    return float(sum(VALUE[a] for a in s))


def _first_is_d(s: State) -> float | None:
    """Another RM: likes trajectories that start with 'd'; cannot score ones starting 'a'."""
    return None if s[0] == "a" else float(s[0] == "d")


def _bon(task: Task, rm, n: int = 6) -> SearchResult:
    cfg = load_config(overrides=[f"search.best_of_n.n={n}"])
    ctx = StrategyContext(cfg.search, max_steps=10, temperature=1.0, seed=0)
    expander = FakeExpander(_world(rm))
    out = asyncio.run(STRATEGIES["best_of_n"](expander, task, ctx))
    return SearchResult(task=task, strategy="best_of_n", best=out.best,
                        candidates=out.candidates, budget=expander.budget)


class FakeRMScorer:
    """The fake world's RM as a scorer of finished trajectories; counts what it scores."""

    def __init__(self, rm) -> None:
        self.rm = rm
        self.scored = 0

    async def score(self, states: list[SearchState]) -> list[float | None]:
        self.scored += len(states)
        return [self.rm(tuple(s.action for s in st.trajectory.steps)) for st in states]


@pytest.mark.parametrize("task", TASKS, ids=lambda t: t.task_id)
def test_reranking_equals_a_best_of_n_run_with_the_other_scorer(task: Task) -> None:
    sampled = _bon(task, _digit_sum)
    direct = _bon(task, _first_is_d)
    assert [c.trajectory for c in sampled.candidates] == [c.trajectory for c in direct.candidates]

    reranked = asyncio.run(rescore_best_of_n(sampled, FakeRMScorer(_first_is_d), "h"))

    assert reranked.best == direct.best
    assert [(c.score, c.step_scores) for c in reranked.candidates] == [
        (c.score, c.step_scores) for c in direct.candidates]
    assert reranked.config_hash == "h"
    assert reranked.budget.rm_calls == len(sampled.candidates)
    assert reranked.budget.env_steps == sampled.budget.env_steps
    assert reranked.budget.policy_tokens_out == sampled.budget.policy_tokens_out


def test_the_oracle_reads_each_candidates_final_verdict() -> None:
    sampled = _bon(TASKS[0], _digit_sum, n=8)
    reranked = asyncio.run(rescore_best_of_n(sampled, OracleScorer(), "h"))
    outcomes = [c.trajectory.outcome for c in sampled.candidates]
    best = max(1.0 if o.success else o.progress for o in outcomes)
    assert [c.score for c in reranked.candidates] == [
        1.0 if o.success else o.progress for o in outcomes]
    chosen = reranked.best.outcome
    assert (1.0 if chosen.success else chosen.progress) == best


def test_failed_tasks_stay_failed_and_other_strategies_are_refused() -> None:
    failed = SearchResult(task=TASKS[0], strategy="best_of_n", error="RuntimeError: boom")
    again = asyncio.run(rescore_best_of_n(failed, FakeRMScorer(_digit_sum), "h"))
    assert again.error == "RuntimeError: boom" and again.best is None
    with pytest.raises(RescoreError, match="beam"):
        asyncio.run(rescore_best_of_n(SearchResult(task=TASKS[0], strategy="beam"),
                                      FakeRMScorer(_digit_sum), "h"))
    assert can_rescore(SearchStrategy.best_of_n, ScoreAggregate.last)
    assert not can_rescore(SearchStrategy.best_of_n, ScoreAggregate.min)
    assert not can_rescore(SearchStrategy.beam, ScoreAggregate.last)


def test_rescoring_a_run_resumes_and_keeps_task_order(tmp_path: Path) -> None:
    cfg = load_config(overrides=[f"output.dir={tmp_path}", "search.strategy=best_of_n",
                                 "reward.method=oracle"])
    sampled = [_bon(t, _digit_sum) for t in TASKS]
    store = RunStore.open(tmp_path, cfg)
    first = asyncio.run(rescore_best_of_n(sampled[1], FakeRMScorer(_first_is_d), "h"))
    store.append(first)  # as if a killed stage had re-ranked one task

    scorer = FakeRMScorer(_first_is_d)
    results = asyncio.run(rescore_run(cfg, scorer, store, sampled))

    assert [r.task for r in results] == TASKS
    assert results[1] == first
    assert scorer.scored == 2 * len(sampled[0].candidates)  # only the two missing tasks
    assert len(store.results_path.read_text().splitlines()) == 3
