"""How good a reward model is on its own, apart from the search it guides.

Search can only be as good as the ranking it gets, so each RM is judged on the test split's
sampled candidates directly:

* pairwise accuracy: over every pair of one task's finished candidates whose outcomes differ
  (success first, then progress), the share the RM orders the right way (a tie counts half,
  an unscored candidate is a wrong call; the unscored share is reported beside it, since a
  scorer that cannot read most candidates, such as a small judge that rarely answers in its
  format, otherwise looks like one that ranks backwards);
* recovered share: how much of pass@N's gain over a random pick the RM's Best-of-N keeps at
  the same N, (rm - random) / (oracle - random);
* value correlation (explicit RM): Pearson and Spearman correlation of the RM's value with
  the MCTS value estimate of held-out tree states.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agentrm_ray.data.scaling import TaskCandidates


@dataclass(frozen=True)
class PairwiseAccuracy:
    accuracy: float | None  # None when no pair of candidates had different outcomes
    pairs: int
    tasks_with_pairs: int
    unscored: float = 0.0  # share of all candidates the scorer gave no score (ranked last)

    def as_dict(self) -> dict[str, float | None]:
        return dict(self.__dict__)


def pairwise_accuracy(tasks: list[TaskCandidates], scorer: str) -> PairwiseAccuracy:
    """Share of outcome-ordered candidate pairs (within a task) the scorer orders correctly."""
    correct, pairs, tasks_with_pairs, unscored, candidates = 0.0, 0, 0, 0, 0
    for task in tasks:
        outcome = list(zip(task.success.tolist(), task.progress.tolist(), strict=True))
        scores = np.asarray(task.scores[scorer], dtype=float)
        unscored += int(np.isnan(scores).sum())
        candidates += task.size
        before = pairs
        for i in range(task.size):
            for j in range(i + 1, task.size):
                if outcome[i] == outcome[j]:
                    continue
                better, worse = (i, j) if outcome[i] > outcome[j] else (j, i)
                pairs += 1
                if np.isnan(scores[better]) or np.isnan(scores[worse]):
                    continue  # an unscored candidate is a wrong call
                if scores[better] > scores[worse]:
                    correct += 1
                elif scores[better] == scores[worse]:
                    correct += 0.5
        tasks_with_pairs += pairs > before
    return PairwiseAccuracy(correct / pairs if pairs else None, pairs, tasks_with_pairs,
                            unscored / candidates if candidates else 0.0)


def recovered_share(scorer_value: float, random_value: float, oracle_value: float
                    ) -> float | None:
    """(scorer - random) / (oracle - random); None when sampling left no headroom to recover."""
    headroom = oracle_value - random_value
    if headroom <= 1e-12:
        return None
    return (scorer_value - random_value) / headroom


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


@dataclass(frozen=True)
class ValueCorrelation:
    pearson: float | None
    spearman: float | None
    states: int

    def as_dict(self) -> dict[str, float | None]:
        return dict(self.__dict__)


def value_correlation(predicted: Sequence[float], target: Sequence[float]) -> ValueCorrelation:
    """Pearson and Spearman correlation of RM values with MCTS values (None if one is flat)."""
    x, y = np.asarray(predicted, dtype=float), np.asarray(target, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"{x.size} predictions for {y.size} targets")
    if x.size < 2:
        return ValueCorrelation(None, None, int(x.size))
    return ValueCorrelation(_pearson(x, y), _pearson(_ranks(x), _ranks(y)), int(x.size))
