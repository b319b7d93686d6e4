"""The HF backend in-process: samples, log-probs, stops, seeds, batching, bad input."""

from __future__ import annotations

import asyncio

import pytest

from agentrm_ray.actors.policy.api import GenerationRequest, RequestError
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class

MESSAGES = [{"role": "user", "content": "You are in a maze. Which way do you go?"}]


@pytest.fixture(scope="module")
def backend(tiny_model):
    b = backend_class("hf")(BackendSettings(model_path=tiny_model, max_model_len=512))
    asyncio.run(b.start())
    return b


def _run(backend, *requests):
    async def go():
        return await asyncio.gather(*(backend.generate(r) for r in requests))

    return asyncio.run(go())


def test_n_samples_with_logprobs_and_token_counts(backend) -> None:
    (result,) = _run(
        backend,
        GenerationRequest(
            messages=MESSAGES, n=3, max_tokens=8, temperature=1.0, seed=3, logprobs=True
        ),
    )
    assert len(result.samples) == 3 and result.prompt_tokens > 5
    for sample in result.samples:
        assert sample.logprobs is not None and len(sample.logprobs) == sample.num_tokens
        assert all(lp <= 0 for lp in sample.logprobs)
        assert sample.finish_reason in ("stop", "length")
    assert len({s.text for s in result.samples}) > 1  # sampling really samples


def test_same_seed_same_samples_even_when_batched_with_others(backend) -> None:
    request = GenerationRequest(
        prompt="Count: one two", n=2, max_tokens=10, temperature=1.0, seed=11
    )
    (alone,) = _run(backend, request)
    batched = _run(
        backend,
        request,
        GenerationRequest(prompt="Other prompt, longer text here", n=3, max_tokens=6, seed=5),
    )
    assert [s.text for s in alone.samples] == [s.text for s in batched[0].samples]


def test_greedy_is_deterministic_and_stop_strings_cut(backend) -> None:
    request = GenerationRequest(prompt="The maze", temperature=0.0, max_tokens=12)
    (a,), (b,) = _run(backend, request), _run(backend, request)
    assert a.samples[0].text == b.samples[0].text
    text = a.samples[0].text
    stop = text[3:6]
    (cut,) = _run(
        backend, GenerationRequest(prompt="The maze", temperature=0.0, max_tokens=12, stop=[stop])
    )
    assert cut.samples[0].finish_reason == "stop"
    assert cut.samples[0].text == text[: text.find(stop)]


def test_over_context_length_names_the_limit(backend) -> None:
    long_prompt = "word " * 600
    with pytest.raises(RequestError, match="context length 512"):
        _run(backend, GenerationRequest(prompt=long_prompt, max_tokens=8))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prompt": "   "}, "prompt: must not be empty"),
        ({"messages": []}, "messages: must not be empty"),
        ({"prompt": "x", "n": 0}, "greater than or equal to 1"),
        ({}, "exactly one of 'messages' or 'prompt'"),
        ({"messages": [{"role": "user"}]}, "messages.0"),
    ],
)
def test_bad_requests_name_the_field(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GenerationRequest(**fields)


def test_unknown_backend_is_named() -> None:
    with pytest.raises(ValueError, match="policy.backend: unknown backend 'tgi'"):
        backend_class("tgi")
