"""ScienceWorld family: gold paths, score mapping, invalid actions, oracle detours, the JVM."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import scienceworld  # noqa: F401  - setup installs every extra: missing must fail, not skip

from agentrm_ray.envs import make_env
from agentrm_ray.envs.jvm.pool import shutdown_jvms
from agentrm_ray.envs.sciworld import simulator
from agentrm_ray.envs.sciworld.catalogue import (
    FAST_TASKS,
    TASKS_BY_NAME,
    sciworld_tasks,
)
from agentrm_ray.envs.sciworld.env import SciWorldEnv
from agentrm_ray.envs.sciworld.family import FAMILY

DOOR = re.compile(r"A door to the (.+?) \(that is")


@pytest.fixture(autouse=True, scope="module")
def _stop_jvms_after_module() -> Iterator[None]:
    yield
    shutdown_jvms()


@pytest.fixture
def env() -> Iterator[SciWorldEnv]:
    made = SciWorldEnv()
    yield made
    made.close()


def _test_task(name: str) -> str:
    return next(t.task_id for t in FAMILY.split("test") if t.param("task_name") == name)


def test_suites_are_sized_and_ids_name_task_and_variation() -> None:
    fast = sciworld_tasks("fast")
    assert 10 <= len(FAMILY.split("test")) <= 20
    assert {t.param("task_name") for t in fast} == set(FAST_TASKS)
    for task in fast + sciworld_tasks("all")[::97]:
        name, variation = task.param("task_name"), task.param("variation")
        assert task.task_id == f"{name}-{variation}"
        assert variation in TASKS_BY_NAME[name].variations(task.split)
    with pytest.raises(ValueError, match="suite"):
        SciWorldEnv(suite="tiny")


def test_variation_splits_match_the_simulator() -> None:
    lease = simulator.sciworld_pool().acquire()
    try:
        for name in (*FAST_TASKS, "boil"):
            task = TASKS_BY_NAME[name]
            lease.server.load(name, 0, "", False)
            assert list(lease.server.getVariationsTrain()) == list(task.variations("train"))
            assert list(lease.server.getVariationsDev()) == list(task.variations("dev"))
            assert list(lease.server.getVariationsTest()) == list(task.variations("test"))
    finally:
        lease.release()


@pytest.mark.parametrize("name", ["find-animal", "use-thermometer", "chemistry-mix"])
def test_gold_path_reaches_success_and_progress_is_score(env: SciWorldEnv, name: str) -> None:
    env.reset(seed=0, options={"task_id": _test_task(name)})
    rewards = []
    while not env.finished:
        obs, reward, terminated, _, info = env.step(env.oracle_action())
        rewards.append(reward)
        assert info["valid_action"] is True and obs.isascii()
        assert info["progress"] == max(0, info["score"]) / 100
    assert terminated and info["success"] is True and info["score"] == 100
    assert sum(rewards) == pytest.approx(1.0) and env.oracle_on_path


def test_wrong_focus_fails_and_ends_the_episode(env: SciWorldEnv) -> None:
    env.reset(seed=0, options={"task_id": "lifespan-longest-lived-105"})
    _, reward, terminated, _, info = env.step("focus on air")
    assert terminated and info["success"] is False
    assert info["score"] < 0 and info["progress"] == 0.0 and reward == 0.0


def test_unparsed_input_is_an_invalid_action(env: SciWorldEnv) -> None:
    env.reset(seed=0, options={"task_id": _test_task("find-plant")})
    obs, reward, terminated, _, info = env.step("dance wildly")
    assert obs.startswith("Invalid action: 'dance wildly'.")
    assert "No known action matches that input" in obs and "look around" in obs
    assert info["valid_action"] is False and reward == 0.0 and not terminated
    assert "admissible_actions" not in info  # listing them per step would be too slow


def test_valid_actions_can_be_listed_on_request(env: SciWorldEnv) -> None:
    env.reset(seed=0, options={"task_id": _test_task("power-component")})
    valid = env.valid_actions()
    assert len(valid) > 50 and valid == sorted(valid)
    assert env.oracle_action() in valid


def test_oracle_walks_back_after_a_detour(env: SciWorldEnv) -> None:
    env.reset(seed=0, options={"task_id": _test_task("find-animal")})
    gold = list(simulator.gold_actions(*_name_and_variation(env)))
    while not env.step(env.oracle_action())[0].startswith("You move to the"):
        pass
    here = env.step("look around")[0]
    ahead = gold[env._oracle().position:]
    next_room = next(a[len("go to "):] for a in ahead if a.startswith("go to "))
    detour = next(d for d in DOOR.findall(here) if d != next_room)
    env.step(f"open door to {detour}")
    obs = env.step(f"go to {detour}")[0]
    assert obs == f"You move to the {detour}." and not env.oracle_on_path
    assert env.oracle_action().startswith("go to ")  # walking back first
    while not env.finished:
        _, _, _, _, info = env.step(env.oracle_action())
    assert info["success"] is True


def test_same_task_interleaved_on_one_jvm_matches_playing_alone() -> None:
    task_id = _test_task("use-thermometer")
    solo, a, b = SciWorldEnv(), SciWorldEnv(), SciWorldEnv()
    try:
        for each in (solo, a, b):
            each.reset(seed=0, options={"task_id": task_id})
        expected = []
        for action in simulator.gold_actions(*_name_and_variation(solo)):
            if solo.finished:  # gold paths may go on after the win (e.g. a last 'wait1')
                break
            expected.append(solo.step(action)[:4])
        actions = solo.actions_taken
        lagged = []
        for i, action in enumerate(actions):
            a.step(action)
            if i >= 2:
                lagged.append(b.step(actions[i - 2])[:4])
        lagged += [b.step(x)[:4] for x in actions[-2:]]
        assert lagged == expected
    finally:
        for each in (solo, a, b):
            each.close()


def test_reset_does_not_depend_on_what_the_jvm_ran_before() -> None:
    """Object listings follow hash order; the pool's JVM flags make it history-free."""
    env = SciWorldEnv(suite="all")
    seen = set()
    try:
        for other in ("melt-0", "find-animal-225", "chemistry-mix-0", "boil-2", "melt-1"):
            seen.add(env.reset(seed=0, options={"task_id": "boil-1"})[0])
            env.step("open door to hallway")
            env.reset(seed=0, options={"task_id": other})
            env.step("look around")
    finally:
        env.close()
    assert len(seen) == 1


def test_close_returns_the_game_and_a_closed_env_can_reset_again() -> None:
    pool = simulator.sciworld_pool()
    before = pool.borrowed
    env = make_env("agentrm/SciWorld-v0")
    env.reset(seed=0, options={"task_id": _test_task("find-plant")})
    assert pool.borrowed == before + 1 and env._lease.java_pid in pool.java_pids
    env.close()
    assert pool.borrowed == before
    env.reset(seed=0, options={"task_id": _test_task("find-plant")})
    env.close()


def _name_and_variation(env: SciWorldEnv) -> tuple[str, int]:
    assert env.task is not None
    return env.task.param("task_name"), int(env.task.param("variation"))
