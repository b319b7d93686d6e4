"""RM quality metrics against rankings whose answers are known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agentrm_ray.data.rm_quality import pairwise_accuracy, recovered_share, value_correlation
from agentrm_ray.data.scaling import TaskCandidates


def _task(success, progress, scores) -> TaskCandidates:
    return TaskCandidates(key="k", family="f", group="held-in",
                          success=np.array(success, dtype=float),
                          progress=np.array(progress, dtype=float),
                          scores={"rm": np.array(scores, dtype=float)})


def test_a_perfect_ranking_scores_one_and_a_reversed_one_zero() -> None:
    right = _task([1, 0, 0], [1.0, 0.5, 0.0], [3, 2, 1])
    wrong = _task([1, 0, 0], [1.0, 0.5, 0.0], [1, 2, 3])
    assert pairwise_accuracy([right], "rm").as_dict() == {
        "accuracy": 1.0, "pairs": 3, "tasks_with_pairs": 1, "unscored": 0.0}
    assert pairwise_accuracy([wrong], "rm").accuracy == 0.0


def test_pairs_with_equal_outcomes_are_skipped_and_ties_count_half() -> None:
    # candidates 0 and 1 have the same outcome (no pair); 2 is better than both.
    task = _task([0, 0, 1], [0.2, 0.2, 1.0], [0.5, 0.9, 0.5])
    acc = pairwise_accuracy([task], "rm")
    # pair (2,0): tie -> 0.5; pair (2,1): wrong -> 0
    assert (acc.pairs, acc.accuracy) == (2, pytest.approx(0.25))


def test_progress_orders_failures_and_unscored_candidates_are_wrong() -> None:
    task = _task([0, 0], [0.9, 0.1], [math.nan, 0.0])
    assert pairwise_accuracy([task], "rm").accuracy == 0.0
    flat = _task([1, 1], [1.0, 1.0], [0.0, 1.0])
    assert pairwise_accuracy([flat], "rm").as_dict() == {
        "accuracy": None, "pairs": 0, "tasks_with_pairs": 0, "unscored": 0.0}
    # 1 of the 4 candidates of the two tasks had no score
    assert pairwise_accuracy([task, flat], "rm").unscored == pytest.approx(0.25)


def test_pairs_pool_across_tasks() -> None:
    a = _task([1, 0], [1, 0], [1, 0])  # right
    b = _task([1, 0, 0], [1, 0, 0.5], [0, 2, 1])  # all 3 pairs wrong
    assert pairwise_accuracy([a, b], "rm").accuracy == pytest.approx(1 / 4)


def test_recovered_share() -> None:
    assert recovered_share(0.5, 0.2, 0.8) == pytest.approx(0.5)
    assert recovered_share(0.8, 0.2, 0.8) == pytest.approx(1.0)
    assert recovered_share(0.1, 0.2, 0.8) == pytest.approx(-1 / 6)
    assert recovered_share(0.3, 0.3, 0.3) is None  # no headroom: nothing to recover


def test_value_correlation() -> None:
    perfect = value_correlation([1, 2, 3, 4], [10, 20, 30, 40])
    assert perfect.pearson == pytest.approx(1.0) and perfect.spearman == pytest.approx(1.0)
    monotone = value_correlation([1, 2, 3, 4], [1, 4, 9, 100])
    assert monotone.spearman == pytest.approx(1.0) and monotone.pearson < 0.95
    reversed_ = value_correlation([1, 2, 3], [3, 2, 1])
    assert reversed_.spearman == pytest.approx(-1.0)
    # ties get average ranks: x ranks [1.5, 1.5, 3], y ranks [1, 2, 3]
    tied = value_correlation([0, 0, 1], [0, 1, 2])
    assert tied.spearman == pytest.approx(np.corrcoef([1.5, 1.5, 3], [1, 2, 3])[0, 1])
    assert value_correlation([1, 1, 1], [0, 1, 2]).pearson is None
    assert value_correlation([1], [1]).states == 1
