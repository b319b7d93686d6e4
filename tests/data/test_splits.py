"""Train/validation splits by task, with and without strata."""

from __future__ import annotations

import pytest

from agentrm_ray.data.splits import validation_tasks

SOLVED = [f"s{i}" for i in range(8)]
UNSOLVED = [f"u{i}" for i in range(4)]
STRATA = {**{g: "solved" for g in SOLVED}, **{g: "unsolved" for g in UNSOLVED}}


def test_each_stratum_gives_its_share() -> None:
    held_out = validation_tasks(SOLVED + UNSOLVED, 0.25, seed=3, strata=STRATA)
    assert len(held_out & set(SOLVED)) == 2  # 8 x 0.25
    assert len(held_out & set(UNSOLVED)) == 1  # 4 x 0.25


def test_strata_split_is_seeded_and_order_independent() -> None:
    groups = SOLVED + UNSOLVED
    first = validation_tasks(groups, 0.25, seed=3, strata=STRATA)
    assert validation_tasks(list(reversed(groups)), 0.25, seed=3, strata=STRATA) == first
    seeds = {frozenset(validation_tasks(groups, 0.25, seed=s, strata=STRATA)) for s in range(8)}
    assert len(seeds) > 1


def test_without_strata_a_small_unsolved_share_can_be_missed_by_chance() -> None:
    """The reason for strata: an unstratified draw of 2 of 12 often holds no unsolved task."""
    groups = SOLVED + UNSOLVED
    misses = sum(not validation_tasks(groups, 0.2, seed=s) & set(UNSOLVED) for s in range(50))
    assert misses > 0
    assert all(validation_tasks(groups, 0.2, seed=s, strata=STRATA) & set(UNSOLVED)
               for s in range(50))


def test_strata_too_small_for_a_share_still_hold_one_group_out() -> None:
    strata = {"a": "solved", "b": "unsolved", "c": "other"}
    held_out = validation_tasks(["a", "b", "c"], 0.2, seed=0, strata=strata)
    assert len(held_out) == 1


def test_at_least_one_group_stays_for_training() -> None:
    strata = {"a": "solved", "b": "unsolved"}
    held_out = validation_tasks(["a", "b"], 0.9, seed=0, strata=strata)
    assert len(held_out) == 1


def test_bad_fraction_is_an_error() -> None:
    with pytest.raises(ValueError, match="val_fraction"):
        validation_tasks(["a", "b"], 1.0, seed=0, strata={})
