"""TextWorld Express family: gold paths, score mapping, invalid actions, oracle detours, JVMs."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
import textworld_express  # noqa: F401  - setup installs every extra: missing must fail, not skip

from agentrm_ray.envs import make_env
from agentrm_ray.envs.jvm.gold import GoldPathFollower
from agentrm_ray.envs.jvm.pool import shutdown_jvms
from agentrm_ray.envs.twx.engine import twx_pool
from agentrm_ray.envs.twx.env import TwxEnv
from agentrm_ray.envs.twx.family import FAMILY
from agentrm_ray.envs.twx.games import GAMES, fold_of_seed


@pytest.fixture(autouse=True, scope="module")
def _stop_jvms_after_module() -> Iterator[None]:
    yield
    shutdown_jvms()


@pytest.fixture
def env() -> Iterator[TwxEnv]:
    made = TwxEnv()
    yield made
    made.close()


def _play(env: TwxEnv, actions: list[str]) -> list[tuple]:
    return [env.step(a) for a in actions if not env.finished]


def test_suite_layout_uses_twx_folds() -> None:
    tasks = FAMILY.tasks()
    games = {t.param("game") for t in tasks}
    assert games == {g.name for g in GAMES}
    for task in tasks:
        assert task.task_id == f"{task.param('game')}-{task.seed}"
        assert fold_of_seed(task.seed) == task.split == task.param("fold")
    assert 10 <= len(FAMILY.split("test")) <= 20


@pytest.mark.parametrize("game", [g.name for g in GAMES])
def test_gold_path_reaches_success(env: TwxEnv, game: str) -> None:
    task = next(t for t in FAMILY.split("dev") if t.param("game") == game)
    env.reset(seed=0, options={"task_id": task.task_id})
    gold = env.gold_actions
    assert gold and len(gold) < env.step_limit
    rewards = []
    for action in gold:
        if env.finished:  # some gold paths end with actions after the win (e.g. twc)
            break
        assert action in env.admissible_actions()
        _, reward, terminated, _, info = env.step(action)
        rewards.append(reward)
        assert info["valid_action"] is True
    assert terminated and info["success"] is True and info["progress"] == 1.0
    assert sum(rewards) == pytest.approx(1.0)


def test_progress_is_the_normalised_score_and_failure_ends(env: TwxEnv) -> None:
    env.reset(seed=0, options={"task_id": "cookingworld-0"})
    seen = []
    failed = None
    for action in env.gold_actions:
        info = env.step(action)[4]
        seen.append(info["progress"])
        if info["score_raw"] > 0:
            eat = [a for a in env.admissible_actions() if a.startswith("eat ") and a != "eat meal"]
            if eat:  # eating a raw ingredient fails the task
                _, _, failed, _, info = env.step(eat[0])
                break
    assert seen == sorted(seen) and 0.0 < seen[-1] < 1.0
    assert failed is True and info["success"] is False and env.finished
    assert info["progress"] == pytest.approx(seen[-1])


def test_invalid_action_is_wrapped_with_the_valid_ones(env: TwxEnv) -> None:
    env.reset(seed=0, options={"task_id": "coin-20000"})
    obs, reward, terminated, _, info = env.step("fly to the moon")
    assert obs.startswith("Invalid action: 'fly to the moon'. Valid actions are: ")
    assert "look around" in obs and info["valid_action"] is False
    assert reward == 0.0 and not terminated
    assert info["admissible_actions"] == sorted(info["admissible_actions"])
    assert all(ch.isascii() for ch in obs)


def test_oracle_walks_back_after_a_detour(env: TwxEnv) -> None:
    env.reset(seed=0, options={"task_id": "mapreader-10000"})
    gold = env.gold_actions
    detours = 0
    for _ in range(2):  # leave the gold route by moves it does not take next
        off = [a for a in env.admissible_actions()
               if a.startswith("move ") and a != env.oracle_action()]
        if off:
            env.step(off[0])
            detours += 1
    assert detours >= 1 and not env.oracle_on_path
    assert env.oracle_action().startswith("move ")  # walking back first
    while not env.finished:
        _, _, _, _, info = env.step(env.oracle_action())
    assert info["success"] is True
    assert len(env.actions_taken) == len(gold) + 2 * detours  # each detour walked back once


def test_oracle_recovers_from_random_detours_on_the_test_split(env: TwxEnv) -> None:
    rng = random.Random(0)
    results = []
    for task in FAMILY.split("test"):
        for detour in (1, 2, 3):
            env.reset(seed=0, options={"task_id": task.task_id})
            for _ in range(detour):
                if not env.finished:
                    env.step(rng.choice(env.admissible_actions()))
            info = {"success": False}
            while not env.finished:
                info = env.step(env.oracle_action())[4]
            results.append(info["success"])
    assert sum(results) / len(results) >= 0.9, results


def test_follower_skips_done_gold_actions_and_takes_prerequisites() -> None:
    gold = ["take apple", "put apple in box", "take pear", "put pear in box"]
    follower = GoldPathFollower(gold)
    follower.record("take pear", valid=True)  # the agent got ahead of the gold path
    assert follower.next_action() == "take apple" and not follower.on_path
    follower.record("take apple", valid=True)
    follower.record("put apple in box", valid=True)
    need_take = {"put pear in box": "take pear"}.get
    # 'take pear' is no longer possible (done already): skipped
    assert follower.next_admissible(["put pear in box", "look around"], need_take) == (
        "put pear in box")
    follower.record("put pear in shelf", valid=True)  # ... then put it in the wrong place
    assert follower.next_admissible(["take pear"], need_take) == "take pear"
    follower.record("invalid thing", valid=False)
    follower.record("move east", valid=True, undo="move west")
    assert follower.next_admissible(["take pear"], need_take) == "move west"
    follower.record("move west", valid=True)
    assert follower.next_action() == "put pear in box"


def test_gold_path_is_kept_for_the_process_and_does_not_change_the_game() -> None:
    """coin's gold agent walks randomly; resets and forks must still agree on the oracle."""
    first, second = TwxEnv(), TwxEnv()
    try:
        obs_a, _ = first.reset(seed=0, options={"task_id": "coin-10001"})
        obs_b, _ = second.reset(seed=0, options={"task_id": "coin-10001"})
        assert obs_a == obs_b and first.gold_actions == second.gold_actions
        first.step(first.oracle_action())
        assert first.replay_fork().oracle_action() == first.oracle_action()
    finally:
        first.close()
        second.close()


def test_games_of_two_envs_do_not_share_state() -> None:
    """Two games of the same seed in one JVM see each other's moves; the pool prevents it."""
    solo, a, b = TwxEnv(), TwxEnv(), TwxEnv()
    try:
        for each in (solo, a, b):
            each.reset(seed=0, options={"task_id": "sorting-20000"})
        actions = list(solo.gold_actions)
        expected = [solo.step(x)[:4] for x in actions]
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


def test_env_reuses_its_jvm_across_resets_and_close_returns_it() -> None:
    pool = twx_pool()
    before = pool.borrowed
    env = make_env("agentrm/TextWorldExpress-v0")
    env.reset(seed=0, options={"task_id": "arithmetic-0"})
    pid = env._lease.java_pid
    env.reset(seed=0, options={"task_id": "twc-1"})
    assert env._lease.java_pid == pid and pool.borrowed == before + 1
    env.close()
    assert pool.borrowed == before
    env.reset(seed=0, options={"task_id": "coin-1"})  # usable again after close
    env.close()
