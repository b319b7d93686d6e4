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


def test_judge_on_vllm_from_config_answers_through_the_engine(ray_cluster, tiny_model) -> None:
    """reward.judge_backend=vllm: the judge replica runs a real vLLM engine. A random model's
    answers are unparseable (reported, not guessed); an over-long state is refused by length."""
    cfg = load_config(overrides=[
        "reward.method=judge", f"reward.model={tiny_model}", "reward.judge_backend=vllm",
        "reward.max_length=512", "reward.num_cpus_per_replica=1"])
    states = make_sibling_states(2)
    long_step = states[0].trajectory.steps[-1].model_copy(update={"observation": "wall " * 600})
    too_long = states[0].model_copy(update={"trajectory": states[0].trajectory.model_copy(
        update={"steps": [*states[0].trajectory.steps, long_step]})})

    async def go():
        pool = RewardPool(cfg)
        assert pool.settings.judge_backend == "vllm"
        await pool.start()
        try:
            scored = await pool.score([too_long, states[1]])
            return (await pool.stats())[0]["backend"], scored
        finally:
            await pool.shutdown()

    backend, (long_result, short_result) = asyncio.run(go())
    assert backend == "VLLMBackend"
    assert long_result.score is None and "context length" in long_result.error
    assert short_result.score is None and "judge answer" in short_result.error


def test_value_rm_on_vllm_scores_as_the_hf_method(ray_cluster, tiny_value_model) -> None:
    """reward.backend=vllm: the replica runs a vLLM pooling engine over the same checkpoint and
    returns the hf method's scores: siblings (the engine's prefix cache path) and a state longer
    than reward.max_length (left-truncated to its newest tokens by both)."""
    from agentrm_ray.actors.reward.methods.value import ValueMethod

    cfg = load_config(overrides=[
        f"reward.model={tiny_value_model}", "reward.backend=vllm", "reward.max_length=128",
        "reward.num_cpus_per_replica=1"])
    states = make_sibling_states(4)
    long_step = states[0].trajectory.steps[-1].model_copy(update={"observation": "wall " * 300})
    states.append(states[0].model_copy(update={"trajectory": states[0].trajectory.model_copy(
        update={"steps": [*states[0].trajectory.steps, long_step]})}))

    async def go():
        pool = RewardPool(cfg)
        await pool.start()
        try:
            return await pool.score(states)
        finally:
            await pool.shutdown()

    served = asyncio.run(go())
    reference = ValueMethod(RewardSettings(model_path=tiny_value_model, max_length=128))
    reference.load()
    expected = reference.score_batch(states)
    assert [r.error for r in served] == [None] * len(states)
    for got, want in zip(served, expected, strict=True):
        assert got.score == pytest.approx(want.score, abs=1e-4)
    assert len({round(r.score, 4) for r in served}) > 1  # the states are told apart
