"""BabyAI family behaviour: the describer, macro actions, progress, and the oracle across forks."""

from __future__ import annotations

import contextlib
import io
import random

import gymnasium as gym
import minigrid  # noqa: F401  - setup installs every extra: missing must fail, not skip
import pytest
from minigrid.core.world_object import Ball

from agentrm_ray.envs.babyai.actions import parse_command
from agentrm_ray.envs.babyai.describe import describe_view, observe
from agentrm_ray.envs.babyai.env import BabyAIEnv
from agentrm_ray.envs.babyai.family import FAMILY
from agentrm_ray.envs.babyai.levels import LEVEL_NAMES, LEVEL_TABLE
from agentrm_ray.envs.babyai.survey import oracle_steps


def _env(task_id: str) -> BabyAIEnv:
    env = BabyAIEnv()
    env.reset(seed=0, options={"task_id": task_id})
    return env


def _single_ball_room():
    """An 8x8 room holding one red ball at (1, 3); the agent at (2, 5) facing north (-y)."""
    mg = gym.make("BabyAI-GoToRedBallNoDists-v0", disable_env_checker=True).unwrapped
    mg.reset(seed=0)
    for x in range(mg.width):
        for y in range(mg.height):
            cell = mg.grid.get(x, y)
            if cell is not None and cell.type != "wall":
                mg.grid.set(x, y, None)
    mg.grid.set(1, 3, Ball("red"))
    mg.agent_pos = (2, 5)
    mg.agent_dir = 3
    return mg


def test_describer_places_an_object_relative_to_the_agent() -> None:
    mg = _single_ball_room()
    view = observe(mg)
    assert [(i.label, i.ahead, i.right, i.world) for i in view.items] == [
        ("red ball 1", 2, -1, (1, 3))
    ]
    text = describe_view(mg, view)
    assert "- red ball 1: 2 steps ahead and 1 step to your left" in text
    assert "Straight ahead you can walk 4 steps before a wall." in text  # rows 4..1 free, wall at 0
    assert "To your left, a wall is 2 steps away." in text  # x=1 free, wall at x=0
    assert "You are not carrying anything." in text
    # Turning right (to face +x) puts the ball 2 steps to the left and 1 step behind: out of view.
    mg.agent_dir = 0
    assert observe(mg).items == ()
    assert "You see no objects." in describe_view(mg)


def test_describer_numbers_objects_of_one_kind_by_distance() -> None:
    mg = _single_ball_room()
    mg.grid.set(2, 4, Ball("red"))  # right in front of the agent
    labels = [(i.label, i.world) for i in observe(mg).items]
    assert labels == [("red ball 1", (2, 4)), ("red ball 2", (1, 3))]
    assert "- red ball 1: right in front of you" in describe_view(mg)


def test_go_to_macro_ends_facing_the_target() -> None:
    env = _env("GoToRedBallGrey-s00")
    mg = env.minigrid_env
    target = next(i for i in observe(mg).items if i.label == "grey key 4")
    before = mg.step_count
    obs, _, terminated, _, info = env.step("go to grey key 4")
    assert info["valid_action"] and not terminated and info["steps"] == 1
    assert tuple(int(v) for v in mg.front_pos) == target.world
    assert mg.grid.get(*mg.front_pos).type == "key"
    assert mg.step_count - before >= 2  # several primitive steps for one text step
    assert "now face it" in obs


def test_go_to_the_mission_target_succeeds_with_minigrid_reward() -> None:
    env = _env("GoToRedBallGrey-s00")
    _, reward, terminated, _, info = env.step("go to red ball 1")
    assert terminated and info["success"] and info["progress"] == 1.0
    mg = env.minigrid_env
    assert reward == pytest.approx(1 - 0.9 * mg.step_count / mg.max_steps)


def test_pick_up_macro_carries_the_object() -> None:
    env = _env("GoToRedBallGrey-s00")
    obs, _, _, _, info = env.step("pick up grey key 1")
    mg = env.minigrid_env
    assert info["valid_action"] and mg.carrying is not None
    assert (mg.carrying.color, mg.carrying.type) == ("grey", "key")
    assert "You are carrying a grey key." in obs
    assert not any(a.startswith("pick up ") for a in info["admissible_actions"])
    other = next(a for a in info["admissible_actions"] if a.startswith("go to grey"))
    obs, _, _, _, info = env.step(other.replace("go to", "pick up"))
    assert not info["valid_action"] and "Invalid" in obs and "already carrying" in obs
    obs, _, _, _, info = env.step("drop")
    assert info["valid_action"] and mg.carrying is None and "You dropped a grey key" in obs


def test_toggle_and_go_through_opens_the_door_and_crosses_it() -> None:
    env = _env("ActionObjDoor-s00")
    mg = env.minigrid_env
    door = next(i for i in observe(mg).items if i.label == "blue door 1")
    obs, _, _, _, info = env.step("toggle and go through blue door 1")
    assert info["valid_action"] and mg.grid.get(*door.world).is_open
    # one step past the door, in the direction the agent walked through it
    back = tuple(int(v) for v in mg.agent_pos - mg.dir_vec)
    assert back == door.world
    assert "went through the blue door" in obs


@pytest.mark.parametrize("action, reason", [
    ("go to purple ball 9", "do not see"),
    ("pick up grey door 1", "do not see"),
    ("go through red ball 1", "not a door"),
    ("pick up red ball 7", "do not see"),
])
def test_impossible_macros_are_invalid_observations(action: str, reason: str) -> None:
    env = _env("GoToRedBallGrey-s00")
    steps_before = env.minigrid_env.step_count
    obs, reward, terminated, _, info = env.step(action)
    assert obs.startswith("Invalid action") and reason in obs
    assert info["valid_action"] is False and reward == 0.0 and not terminated
    assert env.minigrid_env.step_count == steps_before  # nothing moved


def test_locked_door_needs_its_key() -> None:
    env = BabyAIEnv()
    for task in FAMILY.tasks():
        if task.param("level") != "BabyAI-UnlockLocal-v0":
            continue
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        for _ in range(4):
            door = [a for a in env.admissible_actions() if a.startswith("go to") and "door" in a]
            if door:
                break
            env.step("turn left")
        if door:
            label = door[0].removeprefix("go to ")
            obs, *_ = env.step(f"toggle and go through {label}")
            assert obs.startswith("Invalid action") and "locked" in obs
            return
    pytest.fail("no UnlockLocal task shows its locked door within four turns")


def test_check_available_actions_lists_them_without_moving() -> None:
    env = _env("PickupDist-s00")
    steps = env.minigrid_env.step_count
    obs, _, _, _, info = env.step("check available actions")
    assert info["valid_action"] and env.minigrid_env.step_count == steps
    assert "pick up green key 1" in obs and obs.startswith("Available actions:")


def test_parser_accepts_aliases_and_rejects_unknown_words() -> None:
    assert parse_command("Move Forward.").primitive == 2
    assert parse_command("pickup").primitive == 3
    command = parse_command("go to the red ball")
    assert (command.macro, command.target) == ("go to", "red ball 1")
    assert parse_command("pickup blue key 2").macro == "pick up"
    assert parse_command("go to pink ball 1") is None
    assert parse_command("fly to the moon") is None


def test_progress_counts_subgoals_monotonically() -> None:
    """UnlockLocal: holding the door's key is half the job, opening the door the rest."""
    env = _env("UnlockLocal-s00")
    seen = [0.0]
    key_progress = None
    while not env.finished:
        _, _, _, _, info = env.step(env.oracle_action())
        seen.append(info["progress"])
        carrying = env.minigrid_env.carrying
        if key_progress is None and carrying is not None and carrying.type == "key":
            key_progress = info["progress"]
    assert info["success"] and seen[-1] == 1.0
    assert key_progress == 0.5
    assert seen == sorted(seen)


def test_put_next_progress_has_three_subgoals() -> None:
    env = _env("PutNextS5N2-s00")
    values = {0.0}
    while not env.finished:
        values.add(env.step(env.oracle_action())[4]["progress"])
    assert sorted(values) == pytest.approx([0.0, 1 / 3, 2 / 3, 1.0])


@pytest.mark.parametrize("how", ["fork", "replay_fork"])
@pytest.mark.parametrize("task_id", ["UnlockLocal-s01", "PutNextLocal-s01", "OpenTwoDoors-s00"])
def test_oracle_after_fork_equals_oracle_on_original(how: str, task_id: str) -> None:
    rng = random.Random(7)
    env = _env(task_id)
    for _ in range(3):  # off-plan actions, so the bot has had to adapt its plan
        env.step(rng.choice(env.admissible_actions()))
    clone = getattr(env, how)()
    if how == "fork":
        assert clone.expert.bot.mission is clone.minigrid_env  # copied together, not shared
        assert clone.minigrid_env is not env.minigrid_env
    while not env.finished:
        action = env.oracle_action()
        assert clone.oracle_action() == action
        assert env.step(action)[:4] == clone.step(action)[:4]
    assert clone.finished


def test_oracle_recovers_after_random_detours() -> None:
    """The synced bot (or its rebuilt successor) still finishes tasks after off-plan moves."""
    class Unbounded(BabyAIEnv):  # detours cost steps; judge the advice, not the budget
        step_limit = 10_000

    rng = random.Random(11)
    env = Unbounded()
    solved = total = 0
    for task in FAMILY.split("test")[::3]:
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        for _ in range(4):
            if not env.finished:
                env.step(rng.choice(env.admissible_actions()))
        if env.finished:
            continue
        total += 1
        while not env.finished:
            _, _, _, _, info = env.step(env.oracle_action())
        solved += bool(info["success"])
    assert total >= 10 and solved >= total - 1


def test_level_table_matches_minigrid_for_first_seeds() -> None:
    """levels.py is generated data: the first seed of every level must still be silent and
    take the expert exactly the recorded number of steps (else rerun survey.py)."""
    for level in LEVEL_NAMES:
        seed, steps = LEVEL_TABLE[level][0]
        assert oracle_steps(level, seed) == (steps, False), level


def test_suite_covers_every_level_in_test_and_allows_the_oracle() -> None:
    tasks = FAMILY.tasks()
    assert len(tasks) == len(LEVEL_NAMES) * 6 >= 120
    test_levels = {t.param("level") for t in tasks if t.split == "test"}
    assert test_levels == {f"BabyAI-{name}-v0" for name in LEVEL_NAMES}
    assert all(t.param("max_steps") >= t.param("oracle_steps") for t in tasks)


def test_no_window_and_no_printing() -> None:
    import pygame

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        env = BabyAIEnv()
        for task in FAMILY.split("test")[:6]:
            env.reset(seed=task.seed, options={"task_id": task.task_id})
            env.step(env.oracle_action())
    assert printed.getvalue() == ""
    assert not pygame.display.get_init()
    assert env.minigrid_env.render_mode is None
