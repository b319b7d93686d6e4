"""ReplicaSet timeouts on real Ray actors: a slow replica is waited for, a hung one restarted."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
import ray

from agentrm_ray.actors.replicas import PoolExhaustedError, ReplicaSet

pytestmark = pytest.mark.integration


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=0, max_concurrency=100)
class _Worker:
    """An async actor whose `work` either awaits (slow, loop free) or blocks its loop (hung).

    A blocking call hangs only the first process: once restarted, the actor answers at once.
    """

    def __init__(self) -> None:
        self.completed = 0

    async def work(self, seconds: float, block_loop: bool) -> int:
        if not block_loop:
            await asyncio.sleep(seconds)
        elif not ray.get_runtime_context().was_current_actor_reconstructed:
            time.sleep(seconds)  # the event loop cannot answer a probe meanwhile
        self.completed += 1
        return os.getpid()

    def stats(self) -> dict[str, int]:
        return {"completed": self.completed, "pid": os.getpid()}


def _one_replica(timeout_s: float, max_attempts: int) -> tuple[ReplicaSet, object]:
    handle = _Worker.remote()
    replicas = ReplicaSet("test", timeout_s=timeout_s, max_attempts=max_attempts)
    replicas.add("worker-0", handle)
    return replicas, handle


def test_slow_but_alive_replica_is_waited_for_not_restarted(ray_cluster) -> None:
    replicas, handle = _one_replica(timeout_s=1.0, max_attempts=5)
    pid = ray.get(handle.stats.remote())["pid"]

    async def go() -> list[int]:
        # Two calls in flight on one replica, both outliving the timeout: neither may be lost.
        return list(await asyncio.gather(*(replicas.call("work", 2.5, False) for _ in range(2))))

    assert asyncio.run(go()) == [pid, pid]
    stats = ray.get(handle.stats.remote())
    assert stats == {"completed": 2, "pid": pid}  # same process: never restarted
    ray.kill(handle)


def test_slow_replica_gives_up_after_max_attempts(ray_cluster) -> None:
    replicas, handle = _one_replica(timeout_s=0.5, max_attempts=2)
    with pytest.raises(PoolExhaustedError, match="failed on 2 attempts"):
        asyncio.run(replicas.call("work", 30.0, False))
    ray.kill(handle)


def test_hung_replica_is_restarted_and_the_call_retried(ray_cluster) -> None:
    replicas, handle = _one_replica(timeout_s=1.0, max_attempts=5)
    pid = ray.get(handle.stats.remote())["pid"]
    served_by = asyncio.run(replicas.call("work", 8.0, True))
    assert served_by != pid  # the blocked process was killed; a restarted one answered
    assert replicas.replicas[0].failures >= 1
    ray.kill(handle)
