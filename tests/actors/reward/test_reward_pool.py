"""RM replicas as real Ray actors: batched scoring through the pool and failover."""

from __future__ import annotations

import asyncio

import pytest
import ray
from reward_states import make_sibling_states

from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.config import load_config
from agentrm_ray.models import ModelNotFoundError

pytestmark = pytest.mark.integration


def test_pool_scores_and_survives_a_killed_replica(ray_cluster, tiny_value_model) -> None:
    cfg = load_config(overrides=["reward.replicas=2", "reward.num_cpus_per_replica=0.25"])

    async def go():
        pool = RewardPool(cfg, settings=RewardSettings(model_path=tiny_value_model))
        await pool.start()
        states = make_sibling_states(4)
        first = await pool.score(states)
        ray.kill(pool.replica_set.replicas[0].handle, no_restart=False)
        second = await asyncio.gather(*(pool.score(states) for _ in range(3)))
        await pool.shutdown()
        return first, second

    first, second = asyncio.run(go())
    assert all(r.score is not None for r in first)
    for again in second:
        assert [round(r.score, 5) for r in again] == [round(r.score, 5) for r in first]


def test_missing_rm_checkpoint_fails_before_actors_start(ray_cluster) -> None:
    cfg = load_config(overrides=["reward.model=/no/rm/here"])
    with pytest.raises(ModelNotFoundError, match="reward.model"):
        RewardPool(cfg)
