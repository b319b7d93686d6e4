"""Strategies against the fake expander, where the right answer is known."""

from __future__ import annotations

import asyncio
import math

import pytest
from fake_expander import FakeExpander, FakeWorld

from agentrm_ray.config import load_config
from agentrm_ray.config.models import ScoreAggregate
from agentrm_ray.search.ranking import aggregate
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.search.strategies.mcts import backpropagate, select, ucb
from agentrm_ray.types import Task

TASK = Task(env_id="fake", task_id="t0")


def _ctx(*overrides: str, max_steps: int = 10, temperature: float = 1.0) -> StrategyContext:
    cfg = load_config(overrides=list(overrides))
    return StrategyContext(cfg.search, max_steps=max_steps, temperature=temperature, seed=0)


def _run(strategy: str, world: FakeWorld, ctx: StrategyContext):
    expander = FakeExpander(world)
    result = asyncio.run(STRATEGIES[strategy](expander, TASK, ctx))
    return result, expander


def _digits_world(depth: int = 3) -> FakeWorld:
    """Actions 'a'..'e'; the RM value of a state is its digit sum, so the best is all 'e'."""
    value = {c: i for i, c in enumerate("abcde")}
    return FakeWorld(depth=depth, choices=lambda s: list("abcde"),
                     rm=lambda s: float(sum(value[a] for a in s)),
                     success=lambda s: all(a == "e" for a in s), shuffle=False)


def test_greedy_takes_the_first_proposal_to_the_end() -> None:
    result, expander = _run("greedy", _digits_world(), _ctx())
    assert [s.action for s in result.best.steps] == ["a", "a", "a"]
    assert result.best.outcome.terminated and not result.best.outcome.success
    assert expander.budget.env_steps == 3 and expander.budget.rm_calls == 0
    assert expander.live == set()  # every env handle released


def test_beam_keeps_exactly_the_w1_best_children_each_step() -> None:
    world = _digits_world(depth=2)
    result, expander = _run("beam", world, _ctx("search.beam.width=2",
                                                "search.beam.expansions=3"))
    # step 1: root proposes W1*W2 = 6 -> 5 distinct children (a..e, 'a' repeated, merged);
    # kept: e (4) and d (3). step 2: each proposes 3 (a, b, c): children ea..ec, da..dc.
    assert expander.proposals_asked[0] == ((), 6)
    assert sorted(expander.proposals_asked[1:]) == [(("d",), 3), (("e",), 3)]
    assert [s.action for s in result.best.steps] == ["e", "c"]
    scores = [c.score for c in result.candidates]
    assert scores == sorted(scores, reverse=True) and len(scores) == 6
    assert expander.budget.rm_calls == 5 + 6
    assert expander.live == set()


def test_beam_merges_identical_sibling_actions() -> None:
    world = FakeWorld(depth=1, choices=lambda s: ["go", "Go ", "go"], rm=lambda s: 1.0,
                      shuffle=False)
    result, expander = _run("beam", world, _ctx("search.beam.width=1",
                                                "search.beam.expansions=3"))
    assert len(result.candidates) == 1 and expander.budget.env_steps == 1


def test_beam_finished_trajectories_compete_at_the_end() -> None:
    # "stop" ends early with a high score; it must win even though the beam goes on without it
    world = FakeWorld(depth=3, choices=lambda s: ["stop", "x", "y"],
                      rm=lambda s: 10.0 if s and s[-1] == "stop" and len(s) == 1 else float(len(s)),
                      shuffle=False)
    result, _ = _run("beam", world, _ctx("search.beam.width=1", "search.beam.expansions=3"))
    assert [s.action for s in result.best.steps] == ["stop"]
    assert any(len(c.trajectory.steps) == 3 for c in result.candidates)


def test_best_of_n_picks_the_argmax_of_the_rm() -> None:
    world = _digits_world(depth=2)
    world.shuffle = True
    result, expander = _run("best_of_n", world, _ctx("search.best_of_n.n=6"))
    assert len(result.candidates) == 6
    best_score = max(c.score for c in result.candidates)
    assert result.best == next(c.trajectory for c in result.candidates if c.score == best_score)
    assert expander.proposals_asked[0] == ((), 6)  # the first actions share one request
    assert expander.budget.rm_calls == 6  # aggregate=last scores only the final states
    assert expander.live == set()


@pytest.mark.parametrize("how", ["min", "mean", "product"])
def test_best_of_n_aggregates_every_step_when_asked(how: str) -> None:
    world = _digits_world(depth=3)
    world.shuffle = True
    result, expander = _run("best_of_n", world, _ctx("search.best_of_n.n=5",
                                                     f"search.best_of_n.aggregate={how}"))
    assert expander.budget.rm_calls == 5 * 3
    for cand in result.candidates:
        assert cand.score == aggregate(cand.step_scores, ScoreAggregate(how))
    assert result.best in [c.trajectory for c in result.candidates
                           if c.score == max(x.score for x in result.candidates)]


def test_aggregates() -> None:
    assert aggregate([0.5, 0.2, 0.9], ScoreAggregate.last) == 0.9
    assert aggregate([0.5, 0.2, 0.9], ScoreAggregate.min) == 0.2
    assert aggregate([0.5, 0.2, 0.9], ScoreAggregate.mean) == pytest.approx(1.6 / 3)
    assert aggregate([0.5, 0.2, 0.9], ScoreAggregate.product) == pytest.approx(0.09)
    assert aggregate([0.5, None], ScoreAggregate.last) == -math.inf


def test_same_seed_same_search() -> None:
    world = _digits_world(depth=3)
    world.shuffle = True
    a, _ = _run("beam", world, _ctx())
    b, _ = _run("beam", world, _ctx())
    assert a.best == b.best and a.candidates == b.candidates


def test_mcts_values_on_a_known_two_level_tree() -> None:
    # depth-1 world with two actions: "win" succeeds (value 1), "lose" fails (value 0).
    world = FakeWorld(depth=1, choices=lambda s: ["win", "lose"], rm=lambda s: None,
                      success=lambda s: s == ("win",), shuffle=False)
    ctx = _ctx("search.mcts.iterations=5", "search.mcts.expansions=2")
    result, expander = _run("mcts", world, ctx)
    nodes = {n.id: n for n in result.nodes}
    root, win, lose = nodes[0], nodes[1], nodes[2]
    assert [win.step.action, lose.step.action] == ["win", "lose"]
    # iteration 0 expands the root and simulates both children (visits 1 each, values 1 and 0);
    # iterations 1-4 select a terminal child by UCB and back up its own outcome.
    assert root.visits == 2 + 4 and win.visits + lose.visits == root.visits
    assert win.value == 1.0 and lose.value == 0.0
    assert root.value == pytest.approx(win.value_sum / root.visits)
    # UCB with c=1: after (1,1) visits, 'win' (1 + sqrt(ln2)) beats 'lose' (0 + sqrt(ln2)),
    # and keeps winning until ln(N)/n_win grows enough to pick 'lose' again.
    assert win.visits > lose.visits
    assert result.best.outcome.success
    assert expander.live == set()


def test_ucb_prefers_unvisited_then_balances() -> None:
    from agentrm_ray.search.strategies.mcts import _TreeNode

    root = _TreeNode(0, None, None, visits=10, expanded=True)  # type: ignore[arg-type]
    a = _TreeNode(1, None, root, visits=5, value_sum=4.0)  # type: ignore[arg-type]
    b = _TreeNode(2, None, root, visits=0)  # type: ignore[arg-type]
    assert ucb(b, 10, 1.0) == math.inf
    assert ucb(a, 10, 1.0) == pytest.approx(0.8 + math.sqrt(math.log(10) / 5))
    backpropagate(a, 1.0)
    assert (a.visits, a.value_sum, root.visits, root.value_sum) == (6, 5.0, 11, 1.0)
    assert select is not None
