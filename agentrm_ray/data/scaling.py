"""Test-time scaling curves from one sampling run, re-ranked (as search-and-learn builds them).

Each test task is sampled once, N_max candidates. Best-of-N for any N <= N_max and any scorer
is then a question about subsets of those candidates: draw N of them uniformly without
replacement and keep the one the scorer ranks highest (ties to the earlier candidate, as the
`best_of_n` strategy breaks them). Nothing is sampled again per N or per scorer, so every
point of every curve is paired with every other on the same samples.

* The point estimate is exact: the candidate at rank r (0-based, best first) of M is the pick
  of a random N-subset with probability C(M-1-r, N-1) / C(M, N), so a task's expected outcome
  is a dot product. For the oracle scorer (the outcome itself) this is the unbiased pass@N
  estimator; for the random pick it is the mean outcome.
* The 95% interval is a bootstrap over tasks and subsets: each replicate resamples the tasks
  with replacement and draws one N-subset per resampled task.

Scorers are named columns of per-candidate scores; "oracle" and "random" need no scores,
"ended" is the 0/1 column of whether each candidate's episode was ended by the env. A
task whose sampling failed has no candidates: it is left out and counted as failed, never
averaged in as a zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

ORACLE = "oracle"  # pick the candidate with the best outcome: pass@N, the upper bound
RANDOM = "random"  # pick uniformly: the floor any scorer must beat
# Pick an episode the env ended (terminated) within the step budget, reading nothing else: a
# no-model baseline. Where an env ends episodes only on success (or prints its verdict in the
# last observation), it equals pass@N, and an RM that matches it may only be reading the end.
ENDED = "ended"
METRICS = ("success", "progress")
DEFAULT_NS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class TaskCandidates:
    """One test task's N_max sampled candidates: their outcomes and every scorer's scores."""

    key: str
    family: str
    group: str  # "held-in" or "held-out"
    success: np.ndarray  # (M,) 0/1
    progress: np.ndarray  # (M,) in [0, 1]
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # scorer -> (M,), nan: none
    tokens: float = 0.0  # policy tokens spent sampling all M candidates

    @property
    def size(self) -> int:
        return len(self.success)

    def outcome(self, metric: str) -> np.ndarray:
        return np.asarray(getattr(self, metric), dtype=float)

    def ranking_scores(self, scorer: str, metric: str) -> np.ndarray:
        """Scores a scorer ranks by; missing ones rank below every scored candidate."""
        if scorer == ORACLE:
            return self.outcome(metric)
        if scorer == RANDOM:
            return np.zeros(self.size)
        values = np.asarray(self.scores[scorer], dtype=float)
        return np.where(np.isnan(values), -np.inf, values)


def pick_probabilities(scores: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """P(candidate i is the pick of a uniform n-subset), best score first, ties to lower i."""
    scores = np.asarray(scores, dtype=float)
    m = len(scores)
    if not 1 <= n <= m:
        raise ValueError(f"n must be in [1, {m}] for {m} candidates, got {n}")
    order = sorted(range(m), key=lambda i: (-scores[i], i))
    total = math.comb(m, n)
    probs = np.zeros(m)
    for rank, i in enumerate(order):
        probs[i] = math.comb(m - 1 - rank, n - 1) / total
    return probs


def expected_pick(task: TaskCandidates, scorer: str, metric: str, n: int) -> float:
    """The exact expected `metric` of Best-of-n with `scorer` on one task."""
    values = task.outcome(metric)
    if scorer == RANDOM:
        return float(values.mean())
    return float(pick_probabilities(task.ranking_scores(scorer, metric), n) @ values)


def _subset_picks(task: TaskCandidates, scorer: str, metric: str, n: int, draws: int,
                  rng: np.random.Generator) -> np.ndarray:
    """`draws` values of Best-of-n on one task, each on a fresh uniform n-subset."""
    m = task.size
    subsets = np.sort(np.argsort(rng.random((draws, m)), axis=1)[:, :n], axis=1)
    values = task.outcome(metric)
    if scorer == RANDOM:
        chosen = subsets[np.arange(draws), rng.integers(0, n, draws)]
    else:  # argmax returns the first maximum: the lowest index, subsets being sorted
        chosen = subsets[np.arange(draws),
                         np.argmax(task.ranking_scores(scorer, metric)[subsets], axis=1)]
    return values[chosen]


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% bootstrap interval over `tasks` tasks."""

    mean: float
    low: float
    high: float
    tasks: int

    def as_dict(self) -> dict[str, float]:
        return {"mean": self.mean, "low": self.low, "high": self.high, "tasks": self.tasks}


def bootstrap_best_of_n(tasks: list[TaskCandidates], scorer: str, metric: str, n: int,
                        replicates: int, seed: int) -> Estimate:
    """Best-of-n's mean `metric` over tasks: exact mean, 95% interval over tasks and subsets."""
    if not tasks:
        raise ValueError("no completed task to estimate from")
    rng = np.random.default_rng(seed)
    mean = float(np.mean([expected_pick(t, scorer, metric, n) for t in tasks]))
    picks = np.stack([_subset_picks(t, scorer, metric, n, replicates, rng) for t in tasks])
    resampled = rng.integers(0, len(tasks), (replicates, len(tasks)))
    per_replicate = picks[resampled, np.arange(replicates)[:, None]].mean(axis=1)
    low, high = np.percentile(per_replicate, [2.5, 97.5])
    return Estimate(mean, float(low), float(high), len(tasks))


def bootstrap_mean(values: Sequence[float], replicates: int, seed: int) -> Estimate:
    """Mean of per-task values (a greedy or beam run) with a 95% bootstrap interval."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError("no completed task to estimate from")
    rng = np.random.default_rng(seed)
    resampled = values[rng.integers(0, values.size, (replicates, values.size))].mean(axis=1)
    low, high = np.percentile(resampled, [2.5, 97.5])
    return Estimate(float(values.mean()), float(low), float(high), int(values.size))


@dataclass(frozen=True)
class PairedComparison:
    """b - a over the tasks both completed: mean, 95% bootstrap interval, and a sign test."""

    mean: float
    low: float
    high: float
    tasks: int
    wins: int  # tasks where b is better
    losses: int
    sign_test_p: float  # two-sided, ties dropped

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of wins vs losses under p = 1/2."""
    trials = wins + losses
    if trials == 0:
        return 1.0
    tail = sum(math.comb(trials, k) for k in range(min(wins, losses) + 1)) / 2 ** trials
    return min(1.0, 2 * tail)


def paired_comparison(a: Sequence[float], b: Sequence[float], replicates: int, seed: int
                      ) -> PairedComparison:
    """How much b beats a on the same tasks (per-task values in the same order)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("paired comparison needs the same, non-empty list of tasks")
    diff = b - a
    est = bootstrap_mean(diff, replicates, seed)
    wins, losses = int((diff > 1e-12).sum()), int((diff < -1e-12).sum())
    return PairedComparison(est.mean, est.low, est.high, int(diff.size), wins, losses,
                            sign_test(wins, losses))
