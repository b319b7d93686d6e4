"""Policy replicas as real Ray actors: generation through the pool, routing and failover."""

from __future__ import annotations

import asyncio

import pytest
import ray

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.config import load_config
from agentrm_ray.models import ModelNotFoundError

pytestmark = pytest.mark.integration


def _pool(tiny_model: str, replicas: int) -> PolicyPool:
    cfg = load_config(
        overrides=[
            f"policy.replicas={replicas}",
            "policy.num_cpus_per_replica=0.25",
            f"policy.model={tiny_model}",
            "policy.backend=hf",
        ]
    )
    return PolicyPool(cfg, settings=BackendSettings(model_path=tiny_model, max_model_len=1024))


def test_pool_generates_and_routes_to_least_busy(ray_cluster, tiny_model) -> None:
    async def go():
        pool = _pool(tiny_model, replicas=2)
        await pool.start()
        requests = [
            GenerationRequest(prompt=f"Task {i}:", n=2, max_tokens=6, seed=i) for i in range(6)
        ]
        results = await asyncio.gather(*(pool.generate(r) for r in requests))
        stats = await pool.stats()
        await pool.shutdown()
        return results, stats

    results, stats = asyncio.run(go())
    assert all(len(r.samples) == 2 for r in results)
    assert {r.replica for r in results} == {"policy-0", "policy-1"}
    assert sum(s["requests"] for s in stats) == 6


def test_affinity_key_sticks_to_one_replica(ray_cluster, tiny_model) -> None:
    async def go():
        pool = _pool(tiny_model, replicas=2)
        await pool.start()
        served = []
        for i in range(4):
            r = await pool.generate(
                GenerationRequest(prompt="Same prefix", max_tokens=2, seed=i, affinity_key="node-7")
            )
            served.append(r.replica)
        await pool.shutdown()
        return served

    served = asyncio.run(go())
    assert len(set(served)) == 1


def test_killing_a_replica_mid_request_still_completes(ray_cluster, tiny_model) -> None:
    async def go():
        pool = _pool(tiny_model, replicas=2)
        await pool.start()
        request = GenerationRequest(
            prompt="A long story:", max_tokens=400, temperature=1.0, seed=1, affinity_key="victim"
        )
        pool.replica_set.router.remember("victim", 0)  # route the request to replica 0
        task = asyncio.create_task(pool.generate(request))
        victim = pool.replica_set.replicas[0].handle
        for _ in range(200):
            if (await victim.stats.remote())["outstanding"] == 1:
                break
            await asyncio.sleep(0.02)
        ray.kill(victim, no_restart=False)
        result = await task
        failures = pool.replica_set.replicas[0].failures
        # the killed replica is restarted by Ray and serves again
        again = await pool.replica_set.replicas[0].handle.generate.remote(
            GenerationRequest(prompt="hi", max_tokens=2)
        )
        await pool.shutdown()
        return result, failures, again

    result, failures, again = asyncio.run(go())
    assert failures == 1
    assert result.replica == "policy-1" and result.samples[0].num_tokens > 0
    assert again.replica == "policy-0"


def test_missing_model_path_fails_before_any_actor_starts(ray_cluster) -> None:
    cfg = load_config(overrides=["policy.model=/no/such/model"])
    with pytest.raises(ModelNotFoundError, match="policy.model: '/no/such/model'"):
        PolicyPool(cfg)
