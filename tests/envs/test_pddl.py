"""PDDL family: parser, STRIPS semantics, English actions, progress, planner and suite."""

from __future__ import annotations

import re
from fractions import Fraction

import pytest

from agentrm_ray.envs.pddl.env import PDDLEnv
from agentrm_ray.envs.pddl.family import EXAMPLE, FAMILY, SIZES, step_budget
from agentrm_ray.envs.pddl.game import Game, load_game
from agentrm_ray.envs.pddl.generators import generate
from agentrm_ray.envs.pddl.language import normalize
from agentrm_ray.envs.pddl.planner import Planner, validate
from agentrm_ray.envs.pddl.strips import PDDLError, goal_fraction, ground
from agentrm_ray.envs.pddl.syntax import (
    DOMAIN_NAMES,
    load_domain,
    parse_domain,
    parse_problem,
    read_sexpr,
)

TWO_BLOCKS = """
(define (problem two) (:domain blocksworld)
  (:objects b1 b2 b3 - block)
  (:init (on b1 b2) (ontable b2) (ontable b3) (clear b1) (clear b3) (handempty))
  (:goal (and (on b2 b1) (on b3 b2) (ontable b1))))
"""


def _custom_env(problem_text: str) -> PDDLEnv:
    """An env reset on a suite task, then switched to a hand-written problem."""
    env = PDDLEnv()
    task = FAMILY.split("test")[0]
    env.reset(seed=0, options={"task_id": task.task_id})
    game = Game(load_domain("blocksworld"), parse_problem(problem_text))
    env._game, env._state = game, game.problem.init
    return env


# ---------------------------------------------------------------------------- parser
@pytest.mark.parametrize("name", DOMAIN_NAMES)
def test_parser_reads_each_domain(name: str) -> None:
    domain = load_domain(name)
    assert domain.name == name
    expected = {
        "blocksworld": {"pick-up", "put-down", "stack", "unstack"},
        "gripper": {"move", "pick", "drop"},
        "barman": {"grasp", "leave", "fill-shot", "refill-shot", "empty-shot", "clean-shot",
                   "pour-shot-to-clean-shaker", "pour-shot-to-used-shaker", "empty-shaker",
                   "clean-shaker", "shake", "pour-shaker-to-shot"},
        "tyreworld": {"open", "close", "fetch", "put-away", "loosen", "tighten", "jack-up",
                      "jack-down", "undo", "do-up", "remove-wheel", "put-on-wheel", "inflate"},
    }[name]
    assert {a.name for a in domain.actions} == expected
    for schema in domain.actions:
        assert schema.add or schema.delete, schema.name


def test_parser_reads_types_parameters_and_effects() -> None:
    barman = load_domain("barman")
    assert barman.is_subtype("shot", "container") and barman.is_subtype("cocktail", "beverage")
    assert not barman.is_subtype("shot", "beverage")
    fill = barman.schema("fill-shot")
    assert fill.parameters == (("?s", "shot"), ("?i", "ingredient"), ("?h1", "hand"),
                               ("?h2", "hand"), ("?d", "dispenser"))
    assert {a.predicate for a in fill.delete} == {"empty", "clean"}
    assert load_domain("tyreworld").is_subtype("jack", "thing")


@pytest.mark.parametrize("name", DOMAIN_NAMES)
def test_generated_problems_round_trip_through_pddl_text(name: str) -> None:
    problem = generate(name, SIZES[name][-1], seed=3)
    again = parse_problem(problem.to_pddl())
    assert again.init == problem.init and set(again.goal) == set(problem.goal)
    assert dict(again.objects) == dict(problem.objects)
    ground(load_domain(name), again)  # and it fits its domain


@pytest.mark.parametrize(("text", "complaint"), [
    ("(define (domain d) (:requirements :strips) (:predicates (p ?x))", "missing"),
    ("(define (domain d) (:requirements :adl))", "unsupported requirements"),
    ("(define (domain d) (:predicates (p ?x)) (:action a :parameters (?x) "
     ":precondition (and (q ?x)) :effect (and (p ?x))))", "unknown predicate"),
    ("(define (domain d) (:predicates (p ?x)) (:action a :parameters (?x) "
     ":precondition (and (not (p ?x))) :effect (and (p ?x))))", "negative precondition"),
    ("(define (domain d) (:types t) (:predicates (p ?x - t)) (:action a :parameters (?y) "
     ":precondition (and (p ?y)) :effect (and (p ?y))))", "not a t"),
])
def test_parser_rejects_what_it_does_not_support(text: str, complaint: str) -> None:
    with pytest.raises(PDDLError, match=complaint):
        parse_domain(text)


def test_sexpr_ignores_comments_and_case() -> None:
    assert read_sexpr("(A (b C) ; comment (\n d)") == ["a", ["b", "c"], "d"]


def test_problem_must_fit_its_domain() -> None:
    bad = TWO_BLOCKS.replace("(handempty)", "(handempty b1)")
    with pytest.raises(PDDLError, match="handempty"):
        ground(load_domain("blocksworld"), parse_problem(bad))


# ---------------------------------------------------------------------------- semantics
def test_unstack_updates_facts_as_the_domain_says() -> None:
    env = _custom_env(TWO_BLOCKS)
    before = env.state
    obs, _, _, _, info = env.step("unstack b1 from b2")
    assert info["valid_action"] is True
    assert env.state == (before - {("on", "b1", "b2"), ("clear", "b1"), ("handempty",)}) | {
        ("holding", "b1"), ("clear", "b2")}
    assert "you are holding b1" in obs and "b1 is on b2" not in obs


def test_gripper_pick_and_drop_move_a_ball() -> None:
    game = load_game("gripper", 3, 11)
    state = game.problem.init
    room = next(f[1] for f in state if f[0] == "at-robby")
    ball = next((f[1] for f in sorted(state) if f[0] == "at" and f[2] == room), None)
    if ball is None:  # walk to a room with a ball first
        ball, target = next(f[1:] for f in sorted(state) if f[0] == "at")
        (move,) = game.lookup(f"move from {room} to {target}")
        state, room = move.apply(state), target
    (pick,) = game.lookup(f"pick {ball} in {room} with left")
    state = pick.apply(state)
    assert ("carry", ball, "left") in state and ("at", ball, room) not in state
    assert ("free", "left") not in state


def test_commands_are_parsed_tolerantly() -> None:
    game = Game(load_domain("blocksworld"), parse_problem(TWO_BLOCKS))
    (action,) = game.lookup("unstack b1 from b2")
    for text in ["  UNSTACK   b1 FROM b2. ", "unstack b1 from the b2", "(unstack b1 b2)",
                 "`unstack b1 from b2`", "Unstack B1 from B2!"]:
        assert game.lookup(text) == [action], text
    assert game.lookup("unstack b2 from b1") != [action]
    assert game.lookup("unstack b1") == []
    assert normalize("Pick-Up  b1") == "pick up b1"


def test_inapplicable_action_is_invalid_and_lists_valid_actions() -> None:
    env = _custom_env(TWO_BLOCKS)
    before = env.state
    obs, reward, terminated, _, info = env.step("stack b1 on b3")
    assert info["valid_action"] is False and reward == 0.0 and not terminated
    assert obs.startswith("Invalid action") and "you are holding b1" in obs
    listed = obs.split("Valid actions are: ", 1)[1].rstrip(".").split(", ")
    assert sorted(listed) == sorted(env.admissible_actions())
    assert sorted(listed) == ["pick up b3", "unstack b1 from b2"]
    assert env.state == before
    obs, _, _, _, info = env.step("fly to the moon")
    assert info["valid_action"] is False and "Invalid action" in obs and "pick up b3" in obs


def test_admissible_actions_are_exactly_the_applicable_ones() -> None:
    for domain in DOMAIN_NAMES:
        game = load_game(domain, SIZES[domain][0], 5)
        state = game.problem.init
        expected = {game.commands[a] for a in game.actions if a.pre <= state}
        assert set(game.admissible(state)) == expected
        for command in game.admissible(state):
            assert any(a.pre <= state for a in game.lookup(command))


# ---------------------------------------------------------------------------- progress
def test_progress_is_the_fraction_of_goal_facts() -> None:
    game = Game(load_domain("blocksworld"), parse_problem(TWO_BLOCKS))
    goal = game.problem.goal
    assert len(goal) == 3
    assert game.progress(game.problem.init) == 0.0  # b1 sits on b2: no goal fact holds
    assert game.progress(frozenset({("ontable", "b1")})) == pytest.approx(1 / 3)
    state = frozenset({("on", "b2", "b1"), ("on", "b3", "b2"), ("clear", "b3")})
    assert Fraction(game.progress(state)).limit_denominator(10) == Fraction(2, 3)
    assert game.progress(state | {("ontable", "b1")}) == 1.0
    assert goal_fraction((), state) == 1.0


def test_env_reports_progress_and_success() -> None:
    env = _custom_env(TWO_BLOCKS)
    seen = []
    for action in ["unstack b1 from b2", "put down b1", "pick up b2", "stack b2 on b1",
                   "pick up b3", "stack b3 on b2"]:
        _, reward, terminated, _, info = env.step(action)
        seen.append(info["progress"])
        assert info["progress"] == pytest.approx(
            sum(f in env.state for f in env.game.problem.goal) / 3)
    assert seen == pytest.approx([0.0, 1 / 3, 1 / 3, 2 / 3, 2 / 3, 1.0])
    assert terminated and reward == 1.0 and info["success"] is True


# ---------------------------------------------------------------------------- planner
@pytest.mark.parametrize("domain", DOMAIN_NAMES)
def test_planner_plans_are_valid_for_generated_problems(domain: str) -> None:
    for size in SIZES[domain]:
        for seed in range(3):
            game = load_game(domain, size, 500 + seed)
            plan = game.planner.plan(game.problem.init)
            assert plan, (domain, size, seed)
            assert validate(game.problem.init, plan, game.problem.goal)
            assert not validate(game.problem.init, plan[:-1], game.problem.goal)


def test_planner_reports_unsolvable_goals() -> None:
    impossible = TWO_BLOCKS.replace("(on b3 b2) (ontable b1)", "(on b1 b2)")
    game = Game(load_domain("blocksworld"), parse_problem(impossible))
    assert game.planner.plan(game.problem.init) is None
    planner = Planner(game.actions, (("ontable", "b4"),))  # no action adds it: h says so
    assert planner.heuristic(game.problem.init) is None


@pytest.mark.parametrize("domain", DOMAIN_NAMES)
def test_oracle_solves_every_domain_also_after_a_detour(domain: str) -> None:
    env = PDDLEnv()
    tasks = [t for t in FAMILY.split("test") if t.param("domain") == domain][:3]
    assert tasks
    for task in tasks:
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        detour = [a for a in env.admissible_actions() if a != env.oracle_action()]
        if detour and domain != "barman":  # barman detours can be dead ends
            env.step(detour[0])
        info = {"success": False}
        while not env.finished:
            _, _, _, _, info = env.step(env.oracle_action())
        assert info["success"], task.task_id


# ---------------------------------------------------------------------------- suite & prompt
def test_suite_covers_every_domain_in_every_split() -> None:
    tasks = FAMILY.tasks()
    for split in ("train", "dev", "test"):
        assert {t.param("domain") for t in tasks if t.split == split} == set(DOMAIN_NAMES)
    for task in tasks:
        assert re.fullmatch(r"[a-z]+-\d{3}", task.task_id)
        assert task.task_id.startswith(task.param("domain"))
        assert task.param("max_steps") == step_budget(task.param("plan_length")) > 10


def test_fork_snapshot_is_the_fact_set() -> None:
    env = _custom_env(TWO_BLOCKS)
    env.step("unstack b1 from b2")
    assert env._snapshot() == env.state and isinstance(env.state, frozenset)


def test_prompt_example_matches_what_the_env_prints() -> None:
    problem = """(define (problem ex) (:domain blocksworld) (:objects b1 b2 - block)
      (:init (on b1 b2) (ontable b2) (clear b1) (handempty)) (:goal (and (on b2 b1))))"""
    env = _custom_env(problem)
    assert f"Goal: {env.game.goal_text()}" in EXAMPLE
    assert f"The current state: {env.game.describe(env.state)}" in EXAMPLE
    turns = EXAMPLE.split("\nAction: ")[1:]
    assert len(turns) == 4
    for turn in turns:
        action, expected = turn.split("\nObservation: ", 1)
        expected = expected.split("\nThought:")[0]
        obs, *_ = env.step(action)
        assert obs == expected
    assert env.finished
