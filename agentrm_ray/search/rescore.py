"""Rank another Best-of-N run's candidates with a different scorer, without sampling again.

Best-of-N samples its N trajectories without looking at any score (seeds name the samples,
not the scorer), so two BoN runs that differ only in the scorer sample the same candidates;
only the pick differs. Comparing scorers (explicit RM, implicit RM, judge, oracle) on one set
of samples is therefore the same experiment at a fraction of the cost, and a paired one: any
difference between the columns is the scorer's alone. Only `aggregate: last` is supported:
the other aggregates score every intermediate state, which a finished trajectory no longer
carries the env verdicts of.
"""

from __future__ import annotations

import time

from agentrm_ray.config.models import ScoreAggregate, SearchStrategy
from agentrm_ray.search.expander import SearchState
from agentrm_ray.search.ranking import aggregate
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.types import Candidate, Outcome, SearchResult, Trajectory


class RescoreError(ValueError):
    """The run cannot be re-ranked (not Best-of-N, or an aggregate that needs every step)."""


def can_rescore(strategy: SearchStrategy, aggregate: ScoreAggregate) -> bool:
    return strategy is SearchStrategy.best_of_n and aggregate is ScoreAggregate.last


def finished_state(trajectory: Trajectory) -> SearchState:
    """A finished candidate as a scorer sees it: RMs read the trajectory, the oracle reads the
    env's final verdict, which the trajectory's outcome keeps."""
    outcome = trajectory.outcome or Outcome()
    return SearchState(
        trajectory=trajectory,
        terminated=outcome.terminated,
        truncated=outcome.truncated,
        info={"success": outcome.success, "progress": outcome.progress},
    )


async def rescore_best_of_n(sampled: SearchResult, scorer: Scorer, config_hash: str
                            ) -> SearchResult:
    """`sampled`'s candidates ranked by `scorer`: the result a BoN run with that scorer gives.

    Ties go to the earlier candidate, as in `best_of_n`. The budget is the sampled run's
    (these are its samples) with this scorer's RM calls and the sampling wall time plus the
    scoring time. A sampled task that failed stays failed, with its reason.
    """
    if sampled.strategy != SearchStrategy.best_of_n.value:
        raise RescoreError(f"only best_of_n results can be re-ranked, not {sampled.strategy}")
    base = sampled.model_copy(update={"config_hash": config_hash, "nodes": None})
    if sampled.failed:
        return base
    started = time.perf_counter()
    states = [finished_state(c.trajectory) for c in sampled.candidates]
    scores = await scorer.score(states)
    candidates = [  # exactly as best_of_n builds them from its `last` scores
        Candidate(trajectory=c.trajectory, score=aggregate([score], ScoreAggregate.last),
                  step_scores=[score] if score is not None else [])
        for c, score in zip(sampled.candidates, scores, strict=True)
    ]
    best = max(range(len(candidates)), key=lambda i: (candidates[i].score, -i))
    budget = sampled.budget.model_copy(update={
        "rm_calls": len(states),
        "wall_time_s": sampled.budget.wall_time_s + time.perf_counter() - started,
    })
    return base.model_copy(update={"best": candidates[best].trajectory,
                                   "candidates": candidates, "budget": budget})
