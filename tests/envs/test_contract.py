"""The text-env contract, checked for every registered family that can run here.

Each family gets the same checks: gymnasium's env_checker, the info keys, invalid actions as
observations, an error when stepping a finished episode, determinism, fork == continue for
100 random action sequences (snapshot and replay), and oracle vs random success rates.
"""

from __future__ import annotations

import random
import warnings

import pytest
from gymnasium.utils.env_checker import check_env

from agentrm_ray.envs import EpisodeFinishedError, TextEnv, family_statuses, make_env

FAMILIES = [s.spec for s in family_statuses() if s.available]
IDS = [f.name for f in FAMILIES]
# Random fork trials per family: ScienceWorld's fork replays its actions on a JVM-backed env
# (~0.5 s a trial, 60 s for 100): fewer of its trials keep CI's time, each still a random
# task, prefix and suffix.
FORK_TRIALS = {"sciworld": 30}


def _fresh(spec) -> TextEnv:
    return make_env(spec.env_id)


def _test_tasks(spec, limit: int | None = None):
    tasks = spec.split("test")
    return tasks[:limit] if limit else tasks


def _run_oracle(env: TextEnv, task) -> tuple[bool, list[str]]:
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    info = {"success": False}
    while not env.finished:
        _, _, _, _, info = env.step(env.oracle_action())
    return bool(info["success"]), env.actions_taken


def _random_action(env: TextEnv, rng: random.Random) -> str:
    actions = env.admissible_actions()
    if actions and rng.random() < 0.9:
        return rng.choice(actions)
    return rng.choice(["look around", "dance", "move diagonally", "", "xyzzy 42"])


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_env_checker_passes(spec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # render-fps style warnings are not contract breaches
        check_env(_fresh(spec), skip_render_check=False)


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_reset_and_step_info_keys(spec) -> None:
    env = _fresh(spec)
    task = _test_tasks(spec)[0]
    obs, info = env.reset(seed=task.seed, options={"task_id": task.task_id})
    assert isinstance(obs, str) and obs
    assert info["task_id"] == task.task_id and isinstance(info["goal"], str) and info["goal"]
    obs, reward, _, _, info = env.step(env.oracle_action())
    assert isinstance(obs, str) and isinstance(reward, float)
    assert 0.0 <= info["progress"] <= 1.0
    assert isinstance(info["success"], bool) and info["valid_action"] is True


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_invalid_action_is_an_observation(spec) -> None:
    env = _fresh(spec)
    task = _test_tasks(spec)[0]
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    for bad in ["", "fly to the moon", "Action: ???", "{not json"]:
        obs, _, _, _, info = env.step(bad)
        assert info["valid_action"] is False, bad
        assert "invalid" in obs.lower()
        if env.finished:
            break
    assert len(env.actions_taken) >= 1  # invalid actions count as steps


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_step_after_termination_raises(spec) -> None:
    env = _fresh(spec)
    task = _test_tasks(spec)[0]
    _run_oracle(env, task)
    with pytest.raises(EpisodeFinishedError, match="finished"):
        env.step(env.admissible_actions()[0] if env.admissible_actions() else "look")


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_unknown_task_names_the_suite(spec) -> None:
    env = _fresh(spec)
    with pytest.raises(KeyError, match=spec.name):
        env.reset(seed=0, options={"task_id": "no-such-task"})


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_same_seed_same_actions_same_observations(spec) -> None:
    rng = random.Random(0)
    for task in _test_tasks(spec, limit=3):
        a, b = _fresh(spec), _fresh(spec)
        obs_a, _ = a.reset(seed=task.seed, options={"task_id": task.task_id})
        obs_b, _ = b.reset(seed=task.seed, options={"task_id": task.task_id})
        assert obs_a == obs_b
        while not a.finished:
            action = _random_action(a, rng)
            assert a.step(action)[:4] == b.step(action)[:4]


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
@pytest.mark.parametrize("how", ["fork", "replay_fork"])
def test_fork_then_continue_equals_continue(spec, how: str) -> None:
    rng = random.Random(1)
    tasks = _test_tasks(spec)
    for i in range(FORK_TRIALS.get(spec.name, 100)):
        task = tasks[i % len(tasks)]
        env = _fresh(spec)
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        prefix = rng.randint(0, 5)
        for _ in range(prefix):
            if env.finished:
                break
            env.step(_random_action(env, rng))
        if env.finished:
            continue
        clone = getattr(env, how)()
        assert clone.actions_taken == env.actions_taken
        suffix = [_random_action(env, rng) for _ in range(4)]
        for action in suffix:
            if env.finished:
                assert clone.finished
                break
            assert env.step(action)[:4] == clone.step(action)[:4], (task.task_id, action)


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_fork_is_independent_of_the_original(spec) -> None:
    env = _fresh(spec)
    task = _test_tasks(spec)[0]
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    clone = env.fork()
    before = clone.render()
    env.step(env.oracle_action())
    assert clone.render() == before and clone.actions_taken == []


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_oracle_solves_test_suite_and_random_does_worse(spec) -> None:
    tasks = _test_tasks(spec)
    env = _fresh(spec)
    solved = sum(_run_oracle(env, task)[0] for task in tasks)
    oracle_rate = solved / len(tasks)
    rng = random.Random(2)
    random_solved = 0
    for task in tasks:
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        info = {"success": False}
        while not env.finished:
            _, _, _, _, info = env.step(_random_action(env, rng))
        random_solved += bool(info["success"])
    random_rate = random_solved / len(tasks)
    print(f"{spec.name}: oracle {oracle_rate:.1%} random {random_rate:.1%} on {len(tasks)} tasks")
    assert oracle_rate >= 0.95
    assert random_rate < oracle_rate - 0.2


@pytest.mark.parametrize("spec", FAMILIES, ids=IDS)
def test_suite_has_all_splits_and_stable_ids(spec) -> None:
    tasks = spec.tasks()
    ids = [t.task_id for t in tasks]
    assert len(ids) == len(set(ids))
    assert {t.split for t in tasks} == {"train", "dev", "test"}
    assert [t.task_id for t in spec.tasks()] == ids
    assert spec.prompt.instruction and "Action:" in spec.prompt.example


def test_every_registered_family_runs_here() -> None:
    """setup installs every extra, so an unavailable family is a broken install, not a skip."""
    missing = {s.spec.name: s.reason for s in family_statuses() if not s.available}
    assert missing == {}
