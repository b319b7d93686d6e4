"""A policy replica killed with SIGKILL takes its vLLM engine processes with it.

The review found three engine processes (2.5 GB) left running, parentless, after the Ray
cluster died under a quickstart. Here the raylet lives on, and it also kills a dead worker's
children; `actors/lifeline.py` covers the case where it cannot (tests/actors/test_lifeline.py
shows an orphan surviving without it). This test holds the end result in place on a real
replica: no engine process outlives it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time

import psutil
import pytest
import ray

from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.config import load_config

pytestmark = pytest.mark.integration


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass
    return running


def test_sigkilled_policy_replica_leaves_no_engine_process(ray_cluster, tiny_model) -> None:
    cfg = load_config(overrides=[
        "policy.backend=vllm", f"policy.model={tiny_model}", "policy.num_cpus_per_replica=0.5"])
    pool = PolicyPool(cfg, settings=BackendSettings(
        model_path=tiny_model, max_model_len=512, enforce_eager=True))  # as CPU replicas run
    asyncio.run(pool.start())
    handle = pool.replicas[0]
    try:
        pid = ray.get(handle.__ray_call__.remote(lambda _self: os.getpid()))
        engine = psutil.Process(pid).children(recursive=True)
        assert _alive(engine), "the vLLM engine runs in child processes of the replica"
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while _alive(engine) and time.monotonic() < deadline:
            time.sleep(0.5)
        left = [(p.pid, p.name()) for p in _alive(engine)]
        for process in _alive(engine):
            process.kill()  # do not leak them into the rest of the suite either way
        assert left == [], f"engine processes outlived their replica: {left}"
    finally:
        ray.kill(handle, no_restart=True)
