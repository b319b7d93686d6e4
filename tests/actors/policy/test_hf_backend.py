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


def test_token_ids_spell_the_text_without_a_cut_stop_strings_tokens(backend) -> None:
    request = dict(prompt="The maze", temperature=1.0, seed=4, max_tokens=12, logprobs=True)
    (full,) = _run(backend, GenerationRequest(**request))
    sample = full.samples[0]
    ids = sample.token_ids
    assert ids is not None and len(ids) == sample.num_tokens
    decode = backend.tokenizer.decode
    assert decode(ids) == sample.text
    # a stop string that is a whole token, first seen where that token starts
    k = next(k for k in range(1, len(ids)) if decode(ids[k:k + 1]).strip()
             and sample.text.find(decode(ids[k:k + 1])) == len(decode(ids[:k])))
    (cut,) = _run(backend, GenerationRequest(**request, stop=[decode(ids[k:k + 1])]))
    kept = cut.samples[0]
    assert kept.finish_reason == "stop" and kept.text == decode(ids[:k])
    assert kept.token_ids == ids[:k] and kept.num_tokens == k + 1  # the stop's token: dropped
    assert kept.logprobs is not None and len(kept.logprobs) == k


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


def _rows(n: int, temperature: float, top_p: float, seed: int = 0) -> list:
    import torch

    from agentrm_ray.actors.policy.backends.hf import _Row

    request = GenerationRequest(prompt="x", temperature=temperature, top_p=top_p, max_tokens=1)
    rows = []
    for i in range(n):
        generator = torch.Generator()
        generator.manual_seed(seed + i)
        rows.append(_Row(0, [1], request, generator))
    return rows


def _draw_frequencies(top_p: float, draws: int = 4000) -> list[float]:
    import torch

    from agentrm_ray.actors.policy.backends.hf import HFBackend, _SamplingParams

    backend = HFBackend(BackendSettings(model_path="unused"))
    backend._torch = torch
    rows = _rows(8, 1.0, top_p)
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1]] * len(rows)))
    params = _SamplingParams.of(torch, rows, "cpu")
    counts = torch.zeros(3)
    for _ in range(draws // len(rows)):
        counts += torch.bincount(backend._next_tokens(logits, params, rows), minlength=3)
    return (counts / counts.sum()).tolist()


def test_the_batched_draw_samples_the_distribution_and_respects_top_p() -> None:
    assert _draw_frequencies(1.0) == pytest.approx([0.7, 0.2, 0.1], abs=0.03)
    # top_p 0.75 keeps the tokens whose preceding mass is below it: 0.7 and 0.2
    assert _draw_frequencies(0.75) == pytest.approx([0.7 / 0.9, 0.2 / 0.9, 0.0], abs=0.03)


def test_a_long_stop_string_spanning_many_tokens_cuts_there(backend) -> None:
    request = GenerationRequest(prompt="The maze", temperature=0.0, max_tokens=40)
    (full,) = _run(backend, request)
    text = full.samples[0].text
    stop = text[8:24]  # 16 characters, several tokens
    (cut,) = _run(backend, GenerationRequest(prompt="The maze", temperature=0.0, max_tokens=40,
                                             stop=[stop]))
    assert cut.samples[0].finish_reason == "stop"
    assert cut.samples[0].text == text[: text.find(stop)]
