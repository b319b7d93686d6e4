"""The routing rule every actor group shares, without Ray."""

from __future__ import annotations

import pytest

from agentrm_ray.actors.routing import Router


def test_least_loaded_wins_and_ties_go_to_the_first() -> None:
    router = Router()
    assert router.choose([3, 1, 1], set()) == 1
    assert router.choose([0, 0, 0], {0}) == 1


def test_members_down_or_tried_are_used_only_when_nothing_else_is_left() -> None:
    router = Router()
    assert router.choose([0, 5, 9], set(), down=[True, False, False]) == 1
    assert router.choose([0, 5, 9], {1, 2}, down=[True, False, False]) == 0  # down, untried
    assert router.choose([4, 5], {0, 1}) == 0  # everything tried: any member, least loaded


def test_affinity_sticks_within_the_slack_and_yields_beyond_it() -> None:
    router = Router(slack=2)
    router.remember("node-7", 2)
    assert router.choose([0, 0, 2], set(), key="node-7") == 2  # 2 more in flight: still ok
    assert router.choose([0, 0, 3], set(), key="node-7") == 0  # too busy: least loaded
    assert router.choose([0, 0, 0], {2}, key="node-7") == 0  # tried for this call already
    router.forget(2)
    assert router.choose([1, 1, 0], set(), key="node-7") == 2  # by load, not by memory


def test_affinity_memory_drops_the_least_recently_used_key() -> None:
    router = Router(memory=2)
    for key, index in (("a", 1), ("b", 1), ("a", 1), ("c", 1)):
        router.remember(key, index)
    loads = [0, 0]
    assert router.choose(loads, set(), key="a") == 1 and router.choose(loads, set(), key="c") == 1
    assert router.choose(loads, set(), key="b") == 0  # forgotten: "a" was used after it


def test_an_empty_group_is_an_error() -> None:
    with pytest.raises(ValueError, match="no members"):
        Router().choose([], set())
