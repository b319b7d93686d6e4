"""ALFWorld family behaviour beyond the shared contract: world rules, goals, expert, suite."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from agentrm_ray.envs import make_env
from agentrm_ray.envs.alfworld.catalog import TASK_TYPES
from agentrm_ray.envs.alfworld.commands import admissible, parse
from agentrm_ray.envs.alfworld.env import ALFWorldEnv
from agentrm_ray.envs.alfworld.family import FAMILY, alfworld_tasks, oracle_length
from agentrm_ray.envs.alfworld.generator import generate_world
from agentrm_ray.envs.alfworld.goals import satisfied
from agentrm_ray.envs.alfworld.rules import execute
from agentrm_ray.envs.alfworld.state import World


def _env_for(task_type: str, pick: int = 0) -> ALFWorldEnv:
    task = [t for t in alfworld_tasks() if t.param("task_type") == task_type][pick]
    env = make_env(FAMILY.env_id)
    assert isinstance(env, ALFWorldEnv)
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    return env


def _layout(world: World) -> tuple:
    return (
        world.goal,
        [(r.name, r.is_open, tuple(r.contents)) for r in world.receptacles.values()],
        [(i.name, i.location) for i in world.items.values()],
    )


def test_generator_is_deterministic_and_seeds_differ() -> None:
    a = generate_world("kitchen", "pick_heat_then_place", 5)
    b = generate_world("kitchen", "pick_heat_then_place", 5)
    assert _layout(a) == _layout(b)
    layouts = {repr(_layout(generate_world("kitchen", "pick_heat_then_place", s)))
               for s in range(8)}
    assert len(layouts) == 8


def test_generated_worlds_follow_alfworld_conventions() -> None:
    for task in alfworld_tasks():
        world = generate_world(task.param("room"), task.param("task_type"),
                               task.param("layout_seed"))
        assert not satisfied(world), task.task_id
        for recep in world.receptacles.values():
            assert re.fullmatch(r"[a-z]+ \d+", recep.name)
            assert recep.is_open == (not recep.openable)  # openables start closed
            for name in recep.contents:
                assert world.items[name].location == recep.name
        goal_objects = world.items_of(world.goal.object_kind)
        needed = 2 if task.param("task_type") == "pick_two_obj_and_place" else 1
        assert len(goal_objects) >= needed


def test_first_observation_and_goal_phrasing() -> None:
    env = _env_for("pick_clean_then_place")
    obs = env.render()
    assert obs is not None
    assert "You are in the middle of a room. Looking quickly around you, you see a " in obs
    assert "\n\nYour task is to: " in obs
    assert re.fullmatch(r"(put a clean \w+ in \w+|clean some \w+ and put it in \w+)\.", env.goal)


def _world_with_closed_contents() -> tuple[ALFWorldEnv, str]:
    for task in alfworld_tasks():
        env = make_env(FAMILY.env_id)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        for recep in env.world.receptacles.values():
            if recep.openable and recep.contents:
                return env, recep.name
    raise AssertionError("no closed receptacle with contents in the suite")


def test_opening_a_closed_receptacle_reveals_its_contents() -> None:
    env, name = _world_with_closed_contents()
    inside = list(env.world.receptacles[name].contents)
    obs, *_ = env.step(f"go to {name}")
    assert obs == f"You arrive at {name}. The {name} is closed."
    obs, _, _, _, info = env.step(f"take {inside[0]} from {name}")
    assert info["valid_action"] is False and "closed" in obs
    obs, _, _, _, info = env.step(f"open {name}")
    assert info["valid_action"] is True
    assert obs.startswith(f"You open the {name}. The {name} is open. In it, you see ")
    assert all(f"a {item}" in obs for item in inside)
    assert f"take {inside[0]} from {name}" in info["admissible_actions"]
    obs, _, _, _, info = env.step(f"close {name}")
    assert obs == f"You close the {name}." and f"open {name}" in info["admissible_actions"]


def test_take_and_put_move_objects() -> None:
    env = _env_for("pick_and_place")
    world = env.world
    source = next(r for r in world.receptacles.values() if not r.openable and r.contents)
    item = next(world.items[n] for n in source.contents if world.items[n].takeable)
    env.step(f"go to {source.name}")
    obs, *_ = env.step(f"take {item.name} from {source.name}")
    assert obs == f"You pick up the {item.name} from the {source.name}."
    assert world.held == item.name and item.location is None
    assert item.name not in source.contents
    obs, *_ = env.step("inventory")
    assert obs == f"You are carrying: a {item.name}."
    other = next(r for r in world.receptacles.values()
                 if not r.openable and r.name != source.name)
    _, _, _, _, info = env.step(f"put {item.name} in/on {other.name}")
    assert info["valid_action"] is False  # not there yet
    env.step(f"go to {other.name}")
    obs, _, _, _, info = env.step(f"put {item.name} on {other.name}")
    assert obs == f"You put the {item.name} in/on the {other.name}."
    assert world.held is None and item.location == other.name
    assert other.contents[-1] == item.name


def _hold_something(env: ALFWorldEnv) -> str:
    world = env.world
    while world.held is None:
        action = env.oracle_action()
        env.step(action)
    return world.held


def test_heat_works_only_with_the_microwave() -> None:
    env = _env_for("pick_heat_then_place")
    name = _hold_something(env)
    item = env.world.items[name]
    for appliance in ("fridge 1", "sinkbasin 1"):
        env.step(f"go to {appliance}")
        obs, _, _, _, info = env.step(f"heat {name} with {appliance}")
        assert info["valid_action"] is False and "Invalid" in obs and not item.hot
    env.step("go to microwave 1")
    obs, _, _, _, info = env.step(f"heat {name} with microwave 1")
    assert info["valid_action"] is True and item.hot
    assert obs == f"You heat the {name} using the microwave 1."
    env.step("go to fridge 1")
    env.step(f"cool {name} with fridge 1")
    assert item.cool and not item.hot


def test_transform_task_needs_the_transform() -> None:
    env = _env_for("pick_cool_then_place")
    world = env.world
    name = _hold_something(env)
    target = world.receptacles_of(world.goal.target_kind)[0]
    env.step(f"go to {target.name}")
    if not target.accessible:
        env.step(f"open {target.name}")
    _, reward, terminated, _, info = env.step(f"put {name} in/on {target.name}")
    assert info["valid_action"] and not terminated and reward == 0.0 and not info["success"]


def test_two_object_task_requires_both() -> None:
    env = _env_for("pick_two_obj_and_place")
    puts = 0
    info: dict = {"success": False}
    while not env.finished:
        action = env.oracle_action()
        _, reward, _, _, info = env.step(action)
        if action.startswith("put"):
            puts += 1
            if puts == 1:
                assert not info["success"] and reward == 0.0 and info["progress"] == 0.75
    assert info["success"] and puts == 2


def test_look_task_needs_the_object_in_hand_under_the_lit_lamp() -> None:
    env = _env_for("look_at_obj_in_light")
    world = env.world
    lamp = next(i for i in world.items.values() if not i.takeable)
    env.step(f"go to {lamp.location}")
    obs, _, terminated, _, info = env.step(f"use {lamp.name}")
    assert obs == f"You turn on the {lamp.name}." and lamp.switched_on
    assert not terminated and not info["success"]
    assert info["valid_action"] and env.step(f"take {lamp.name} from {lamp.location}")[4][
        "valid_action"] is False
    while not env.finished:
        _, _, _, _, info = env.step(env.oracle_action())
    assert info["success"] and world.items[world.held].kind == world.goal.object_kind


@pytest.mark.parametrize("bad, reason", [
    ("fly to the moon", "not a command"),
    ("go to fridge 9", "there is no fridge 9"),
    ("open countertop 1", "not at the countertop 1"),
    ("take apple 7 from countertop 1", "not at the countertop 1"),
    ("put mug 1 in/on countertop 1", "not carrying"),
    ("use countertop 1", "there is no countertop 1"),
])
def test_invalid_actions_explain_themselves(bad: str, reason: str) -> None:
    env = _env_for("pick_heat_then_place")
    before = repr(_layout(env.world))
    obs, reward, terminated, _, info = env.step(bad)
    assert info["valid_action"] is False and reward == 0.0 and not terminated
    assert obs.startswith("Nothing happens. Invalid action:") and reason in obs
    assert "Valid actions are: go to " in obs
    assert repr(_layout(env.world)) == before


def test_lenient_parsing_of_alfworld_commands() -> None:
    assert parse("Go to the Cabinet 1.") == parse("go to cabinet 1")
    assert parse("put mug 1 in coffeemachine 1") == parse("put mug 1 in/on coffeemachine 1")
    assert parse("move mug 1 to coffeemachine 1") == parse("put mug 1 on coffeemachine 1")
    assert parse("put mug in coffeemachine") is None


def test_every_admissible_action_is_valid() -> None:
    rng = random.Random(3)
    for task in alfworld_tasks()[::7]:
        world = generate_world(task.param("room"), task.param("task_type"),
                               task.param("layout_seed"))
        for _ in range(25):
            if satisfied(world):
                break
            for action in admissible(world):
                command = parse(action)
                assert command is not None, action
                assert execute(world.copy(), command).valid, (task.task_id, action)
            execute(world, parse(rng.choice(admissible(world))))


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_oracle_solves_every_task_of_each_type(task_type: str) -> None:
    env = make_env(FAMILY.env_id)
    for task in [t for t in alfworld_tasks() if t.param("task_type") == task_type]:
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        last = 0.0
        info: dict = {"success": False}
        while not env.finished:
            _, reward, _, _, info = env.step(env.oracle_action())
            assert info["valid_action"] and info["progress"] >= last
            last = info["progress"]
        assert info["success"] and reward == 1.0 and info["progress"] == 1.0, task.task_id


def test_oracle_recovers_after_random_actions() -> None:
    rng = random.Random(4)
    for task in alfworld_tasks()[::3]:
        world = generate_world(task.param("room"), task.param("task_type"),
                               task.param("layout_seed"))
        for _ in range(rng.randint(5, 30)):
            if satisfied(world):
                break
            execute(world, parse(rng.choice(admissible(world))))
        env = make_env(FAMILY.env_id)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        env._restore(world)  # start the expert from the scrambled state
        for _ in range(40):
            if satisfied(world):
                break
            assert env.step(env.oracle_action())[4]["valid_action"]
        assert satisfied(world), task.task_id


def test_suite_ids_splits_and_step_limits() -> None:
    tasks = alfworld_tasks()
    assert 120 <= len(tasks) <= 200
    assert all(re.fullmatch(r"alfworld-[a-z_]+-\d{4}", t.task_id) for t in tasks)
    per_split = Counter((t.param("task_type"), t.split) for t in tasks)
    assert all(per_split[(kind, split)] > 0 for kind in TASK_TYPES
               for split in ("train", "dev", "test"))
    assert len({t.param("room") for t in tasks}) == 4
    for task in tasks[::10]:
        expert = oracle_length(task.param("room"), task.param("task_type"),
                               task.param("layout_seed"))
        assert 30 <= task.param("max_steps") <= 50 and task.param("max_steps") >= 2 * expert


def test_fork_copies_the_world() -> None:
    env = _env_for("pick_clean_then_place")
    env.step(env.oracle_action())
    clone = env.fork()
    assert isinstance(clone, ALFWorldEnv) and clone.world is not env.world
    assert _layout(clone.world) == _layout(env.world)
    env.step(env.oracle_action())
    assert _layout(clone.world) != _layout(env.world)  # the clone did not move
