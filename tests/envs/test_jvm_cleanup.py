"""JVM-backed families leave no Java processes behind: close, forks, idle timeouts, GC."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import replace

import psutil
import pytest
import scienceworld  # noqa: F401  - setup installs every extra: missing must fail, not skip
import textworld_express  # noqa: F401  - setup installs every extra: missing must fail, not skip

from agentrm_ray.envs import make_env
from agentrm_ray.envs.jvm.pool import JvmPool, running_jvm_pids, shutdown_jvms
from agentrm_ray.envs.sciworld.family import FAMILY as SCIWORLD
from agentrm_ray.envs.sciworld.simulator import sciworld_pool
from agentrm_ray.envs.twx.engine import twx_pool
from agentrm_ray.envs.twx.env import TwxEnv
from agentrm_ray.envs.twx.family import FAMILY as TWX


def _java_children() -> list[psutil.Process]:
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.name() == "java" or child.cmdline()[:1] == ["java"]:
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _wait_until(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(autouse=True)
def _no_jvm_outlives_a_test() -> Iterator[None]:
    yield
    shutdown_jvms()
    assert _wait_until(lambda: not _java_children()), _java_children()


def test_create_fork_and_close_leaves_no_java_process() -> None:
    envs = []
    for spec in (SCIWORLD, TWX):
        env = make_env(spec.env_id)
        task = spec.split("test")[0]
        env.reset(seed=task.seed, options={"task_id": task.task_id})
        env.step(env.oracle_action())
        envs += [env, env.fork(), env.replay_fork()]
    children = {p.pid for p in _java_children()}
    assert set(running_jvm_pids()) == children and len(children) >= 2
    for env in envs:
        env.close()
    shutdown_jvms()
    assert _wait_until(lambda: not _java_children())


def test_an_unused_jvm_stops_after_its_linger_time() -> None:
    pool = JvmPool(replace(twx_pool().spec, linger_seconds=0.2))
    lease = pool.acquire()
    pid = lease.java_pid
    assert pid in {p.pid for p in _java_children()}
    lease.release()
    assert _wait_until(lambda: not psutil.pid_exists(pid) or
                       psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    assert pool.java_pids == []


def test_a_garbage_collected_env_returns_its_jvm() -> None:
    pool = twx_pool()
    env = TwxEnv()
    env.reset(seed=0, options={"task_id": "coin-0"})
    assert pool.borrowed == 1
    del env
    gc.collect()
    assert pool.borrowed == 0


def test_idle_jvms_beyond_the_cap_stop_at_once() -> None:
    pool = twx_pool()
    envs = [TwxEnv() for _ in range(4)]
    for env in envs:
        env.reset(seed=0, options={"task_id": "arithmetic-0"})
    assert len(pool.java_pids) == 4  # one game per JVM for TextWorld Express
    for env in envs:
        env.close()
    assert len(pool.java_pids) == pool.spec.max_idle_jvms
    reused = TwxEnv()
    reused.reset(seed=0, options={"task_id": "arithmetic-0"})
    assert len(pool.java_pids) == pool.spec.max_idle_jvms  # an idle JVM was reused
    reused.close()


def test_a_full_jvm_sends_further_games_to_another() -> None:
    pool = JvmPool(replace(sciworld_pool().spec, games_per_jvm=2, linger_seconds=0))
    leases = [pool.acquire() for _ in range(3)]
    assert len({lease.java_pid for lease in leases}) == 2 and len(pool.java_pids) == 2
    for lease in leases:
        lease.release()
    assert pool.java_pids == []  # no linger: stopped as soon as unused
