"""Subset re-ranking, bootstrap and paired comparison against values computed by hand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from agentrm_ray.data.scaling import (
    ORACLE,
    RANDOM,
    TaskCandidates,
    bootstrap_best_of_n,
    bootstrap_mean,
    expected_pick,
    paired_comparison,
    pick_probabilities,
    sign_test,
)


def _task(key: str, success, scores, progress=None) -> TaskCandidates:
    success = np.array(success, dtype=float)
    return TaskCandidates(key=key, family="f", group="held-in", success=success,
                          progress=np.array(progress if progress is not None else success,
                                            dtype=float),
                          scores={"rm": np.array(scores, dtype=float)}, tokens=400.0)


# 4 candidates; only candidate 2 succeeds. The RM ranks 3 > 2 > 0 > 1.
TASK = _task("a", [0, 0, 1, 0], [0.2, 0.1, 0.5, 0.9])


def test_pick_probabilities_by_hand() -> None:
    # N=2 of M=4: C(4,2)=6 subsets. Rank 0 (cand 3) is picked in C(3,1)=3 of them,
    # rank 1 (cand 2) in C(2,1)=2, rank 2 (cand 0) in 1, rank 3 (cand 1) in none.
    assert pick_probabilities(TASK.scores["rm"], 2).tolist() == pytest.approx(
        [1 / 6, 0, 2 / 6, 3 / 6])
    assert pick_probabilities(TASK.scores["rm"], 1).tolist() == pytest.approx([0.25] * 4)
    assert pick_probabilities(TASK.scores["rm"], 4).tolist() == [0, 0, 0, 1]


def test_ties_go_to_the_earlier_candidate() -> None:
    probs = pick_probabilities([1.0, 1.0, 0.0], 2)  # subsets {0,1}->0, {0,2}->0, {1,2}->1
    assert probs.tolist() == pytest.approx([2 / 3, 1 / 3, 0])


def test_pick_probabilities_match_enumerating_every_subset() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 3, 7).astype(float)  # many ties
    for n in range(1, 8):
        counts = np.zeros(7)
        subsets = list(itertools.combinations(range(7), n))
        for subset in subsets:
            counts[max(subset, key=lambda i: (scores[i], -i))] += 1
        assert pick_probabilities(scores, n) == pytest.approx(counts / len(subsets))


def test_expected_pick_for_each_scorer() -> None:
    assert expected_pick(TASK, "rm", "success", 2) == pytest.approx(2 / 6)
    assert expected_pick(TASK, "rm", "success", 4) == 0.0  # the RM's favourite fails
    assert expected_pick(TASK, RANDOM, "success", 3) == pytest.approx(0.25)
    # oracle = unbiased pass@k: 1 - C(3,2)/C(4,2) = 1 - 3/6
    assert expected_pick(TASK, ORACLE, "success", 2) == pytest.approx(0.5)
    assert expected_pick(TASK, ORACLE, "success", 4) == 1.0


def test_unscored_candidates_rank_last() -> None:
    task = _task("b", [1, 0], [math.nan, 0.1])
    assert expected_pick(task, "rm", "success", 2) == 0.0


def test_bootstrap_mean_is_exact_and_interval_covers_it() -> None:
    other = _task("b", [1, 1, 0, 0], [0.9, 0.8, 0.1, 0.0])  # the RM is right here: 1.0 at N>=2
    est = bootstrap_best_of_n([TASK, other], "rm", "success", 2, replicates=400, seed=0)
    assert est.mean == pytest.approx((2 / 6 + 5 / 6) / 2)  # other: only {2,3} picks a failure
    assert est.low <= est.mean <= est.high
    assert est.low >= 0.0 and est.high <= 1.0 and est.tasks == 2
    again = bootstrap_best_of_n([TASK, other], "rm", "success", 2, replicates=400, seed=0)
    assert again == est  # deterministic given the seed


def test_bootstrap_interval_collapses_when_nothing_varies() -> None:
    sure = _task("c", [1, 1, 1, 1], [0, 1, 2, 3])
    est = bootstrap_best_of_n([sure, sure], "rm", "success", 2, replicates=100, seed=1)
    assert (est.mean, est.low, est.high) == (1.0, 1.0, 1.0)


def test_bootstrap_random_pick_draws_from_the_subset() -> None:
    # mean over many replicates of random picks approaches the mean outcome (0.25)
    est = bootstrap_best_of_n([TASK] * 50, RANDOM, "success", 2, replicates=2000, seed=2)
    assert est.mean == pytest.approx(0.25)
    assert est.low < 0.25 < est.high


def test_bootstrap_mean_of_values() -> None:
    est = bootstrap_mean([0, 1, 1, 0], replicates=500, seed=0)
    assert est.mean == 0.5 and est.low < 0.5 < est.high and est.tasks == 4
    with pytest.raises(ValueError, match="no completed task"):
        bootstrap_mean([], replicates=10, seed=0)


def test_sign_test_by_hand() -> None:
    assert sign_test(0, 0) == 1.0
    assert sign_test(5, 0) == pytest.approx(2 / 32)  # two-sided: 2 * (1/2)^5
    assert sign_test(3, 1) == pytest.approx(2 * 5 / 16)  # P(X<=1) = (1+4)/16
    assert sign_test(10, 10) == 1.0


def test_paired_comparison_counts_wins_and_losses() -> None:
    cmp = paired_comparison([0, 0, 1, 0, 1], [1, 1, 1, 0, 0], replicates=300, seed=0)
    assert (cmp.wins, cmp.losses, cmp.tasks) == (2, 1, 5)
    assert cmp.mean == pytest.approx(0.2)
    assert cmp.low <= 0.2 <= cmp.high
    assert cmp.sign_test_p == pytest.approx(sign_test(2, 1))
    with pytest.raises(ValueError, match="same"):
        paired_comparison([0, 1], [1], replicates=10, seed=0)
