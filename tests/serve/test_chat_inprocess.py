"""POST /v1/chat/completions in-process (no Ray), driven by the official `openai` client over
an ASGI transport: ranking, choices, streaming, auth and 422s. The policy and RM are fakes
(tests/serve/fakes.py): sample i proposes ("b", "c", "a")[i % 3] and the RM scores the share
of "a" actions, so the RM's pick is never the first sample."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import openai
import pytest
from fakes import World, fake_service

from agentrm_ray.serve.api import IngressSettings, create_api
from agentrm_ray.serve.auth import token_digest
from agentrm_ray.serve.limits import ServeLimits

MODEL = "smollm2-135m"  # IngressSettings' default policy model: the server's /v1/models id
KEY = "chat-test-key"
LIMITS = ServeLimits(max_n=6, max_completion_tokens=100)
CHAT = [
    {"role": "system", "content": "make every action an a"},
    {"role": "user", "content": "Your task is to: all a\nObservation: start"},
    {"role": "assistant", "content": "Thought: begin\nAction: a"},
    {"role": "user", "content": "Observation: ok"},
]


def _run(test: Callable[[openai.AsyncOpenAI, Any], Awaitable[Any]], *, reward_method: str =
         "value", key: str = KEY) -> Any:
    service, _ = fake_service(World())
    settings = IngressSettings(reward_method, 65536, token_digest(KEY), LIMITS)
    api = create_api(service, settings)

    async def go() -> Any:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport) as http:
            client = openai.AsyncOpenAI(base_url="http://t/v1", api_key=key, http_client=http,
                                        max_retries=0)
            return await test(client, service.stack.policy)

    return asyncio.run(go())


def _detail(exc: openai.APIStatusError) -> list[dict[str, Any]]:
    assert exc.status_code == 422, exc.response.text
    return exc.response.json()["detail"]


def test_the_rm_picks_the_best_of_the_sampled_next_turns() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(
            model=MODEL, messages=CHAT, n=2, seed=5, extra_body={"best_of": 3})

    reply = _run(test)
    assert [c.message.content for c in reply.choices] == [
        "Thought: try a\nAction: a", "Thought: try b\nAction: b"]  # 1.0, then the 0.5 tie's first
    assert [c.index for c in reply.choices] == [0, 1]
    ranking = reply.agentrm
    assert ranking["scorer"] == "reward_model" and ranking["best_of"] == 3
    assert ranking["chosen"] == [2, 0]
    assert [c["action"] for c in ranking["candidates"]] == ["b", "c", "a"]
    assert [c["score"] for c in ranking["candidates"]] == [0.5, 0.5, 1.0]
    assert reply.usage.completion_tokens == 15 and reply.usage.prompt_tokens == 11


def test_the_policy_gets_the_conversation_as_sent_with_the_requests_sampling() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        await client.chat.completions.create(model=MODEL, messages=CHAT, temperature=0.3,
                                             max_tokens=20, stop="END", seed=9)
        await client.chat.completions.create(model=MODEL, messages=CHAT)
        await client.chat.completions.create(model=MODEL, messages=CHAT)
        return policy.requests

    first, second, third = _run(test)
    assert first.messages == CHAT
    assert (first.n, first.temperature, first.max_tokens, first.stop, first.seed) == (
        4, 0.3, 20, ["END"], 9)  # n: search.best_of_n.n of the default config
    assert second.seed == third.seed  # no seed: the conversation fixes it, deterministically
    assert second.stop == ["\nObservation:", "\nobservation:"]  # the server's stop strings


def test_scorer_none_returns_the_first_sample_without_asking_the_rm() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(
            model=MODEL, messages=CHAT, extra_body={"scorer": "none", "best_of": 3})

    reply = _run(test)
    assert reply.choices[0].message.content.endswith("Action: b")
    assert [c["score"] for c in reply.agentrm["candidates"]] == [None, None, None]


def test_streaming_sends_the_role_then_the_chosen_text_then_done() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        stream = await client.chat.completions.create(
            model=MODEL, messages=CHAT, stream=True, extra_body={"best_of": 3})
        return [chunk async for chunk in stream]

    chunks = _run(test)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Thought: try a\nAction: a"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].agentrm["chosen"] == [2]


def test_models_lists_the_servers_policy() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return [m.id async for m in client.models.list()]

    assert _run(test) == [MODEL]


def test_a_wrong_key_is_refused() -> None:
    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(model=MODEL, messages=CHAT)

    with pytest.raises(openai.AuthenticationError):
        _run(test, key="wrong")


@pytest.mark.parametrize("body, loc", [
    ({"messages": [{"role": "system", "content": "hi"}]}, ["body", "messages"]),
    ({"messages": CHAT[:3]}, ["body", "messages", 2, "role"]),
    ({"model": "gpt-4o"}, ["body", "model"]),
    ({"extra_body": {"best_of": 7}}, ["body", "best_of"]),
    ({"n": 3, "extra_body": {"best_of": 2}}, ["body", "n"]),
    ({"max_tokens": 101}, ["body", "max_tokens"]),
    ({"extra_body": {"frequency_penalty": 0.5}}, ["body", "frequency_penalty"]),
    ({"messages": [{"role": "tool", "content": "x"}]}, ["body", "messages", 0, "role"]),
    ({"extra_body": {"task_start": 0}}, ["body", "task_start"]),
])
def test_bad_bodies_are_422_naming_the_field(body: dict[str, Any], loc: list[Any]) -> None:
    request = {"model": MODEL, "messages": CHAT, **body}

    async def test(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(**request)

    with pytest.raises(openai.UnprocessableEntityError) as exc:
        _run(test)
    assert loc in [e["loc"][: len(loc)] for e in _detail(exc.value)]


def test_a_server_without_an_rm_samples_and_refuses_ranking_by_one() -> None:
    async def plain(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(model=MODEL, messages=CHAT)

    assert _run(plain, reward_method="none").agentrm["scorer"] == "none"

    async def ranked(client: openai.AsyncOpenAI, policy: Any) -> Any:
        return await client.chat.completions.create(
            model=MODEL, messages=CHAT, extra_body={"scorer": "reward_model"})

    with pytest.raises(openai.UnprocessableEntityError) as exc:
        _run(ranked, reward_method="none")
    assert ["body", "scorer"] in [e["loc"] for e in _detail(exc.value)]
