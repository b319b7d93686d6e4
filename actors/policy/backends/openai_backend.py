"""OpenAI-compatible backend: any server speaking /v1/chat/completions and /v1/completions
(e.g. an existing `vllm serve`). Timeouts and retries with backoff on transient failures;
a 4xx answer is the request's fault and is reported, not retried."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from agentrm_ray.actors.policy.api import (
    GenerationRequest,
    GenerationResult,
    RequestError,
    Sample,
)
from agentrm_ray.actors.policy.backends.base import GenerationBackend
from agentrm_ray.errors import AgentRMError


class EndpointError(AgentRMError):
    """The endpoint could not be reached or kept failing after the configured retries."""


class OpenAIBackend(GenerationBackend):
    async def start(self) -> None:
        s = self.settings
        if not s.base_url:
            raise RequestError("policy.openai.base_url: required for the openai backend")
        headers = {"Authorization": f"Bearer {s.api_key}"} if s.api_key else {}
        self.client = httpx.AsyncClient(
            base_url=s.base_url.rstrip("/"), timeout=s.timeout_s, headers=headers
        )
        self.model_name = s.model_name or await self._served_model()

    async def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            await client.aclose()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        body: dict[str, Any] = {
            "model": self.model_name,
            "n": request.n,
            "temperature": request.temperature,
            "top_p": request.top_p,
            "max_tokens": request.max_tokens,
        }
        if request.stop:
            body["stop"] = request.stop
        if request.seed is not None:
            body["seed"] = request.seed
        if request.messages is not None:
            path = "/chat/completions"
            body["messages"] = request.messages
            if request.logprobs:
                body["logprobs"] = True
        else:
            path = "/completions"
            body["prompt"] = request.prompt
            if request.logprobs:
                body["logprobs"] = 1
        data = await self._post(path, body)
        chat = request.messages is not None
        samples = [_sample(choice, chat, request.logprobs) for choice in data["choices"]]
        usage = data.get("usage") or {}
        return GenerationResult(samples=samples, prompt_tokens=int(usage.get("prompt_tokens", 0)))

    async def _served_model(self) -> str:
        response = await self._request("GET", "/models", None)
        models = response.get("data") or []
        if not models:
            raise EndpointError(f"{self.settings.base_url}/models lists no model")
        return str(models[0]["id"])

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._request("POST", path, body)

    async def _request(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        s = self.settings
        delay = 0.5
        last = ""
        for attempt in range(s.max_retries + 1):
            try:
                response = await self.client.request(method, path, json=body)
            except (httpx.TransportError, httpx.TimeoutException) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response.json()
                if 400 <= response.status_code < 500 and response.status_code != 429:
                    raise RequestError(
                        f"{s.base_url}{path} rejected the request "
                        f"(HTTP {response.status_code}): {response.text[:500]}"
                    )
                last = f"HTTP {response.status_code}: {response.text[:200]}"
            if attempt < s.max_retries:
                await asyncio.sleep(delay)
                delay *= 2
        raise EndpointError(
            f"{s.base_url}{path} failed after {s.max_retries + 1} attempts; last error: {last}"
        )


def _sample(choice: dict[str, Any], chat: bool, want_logprobs: bool) -> Sample:
    text = choice["message"]["content"] if chat else choice["text"]
    logprobs = None
    lp = choice.get("logprobs")
    if want_logprobs and lp:
        if chat:
            logprobs = [float(t["logprob"]) for t in lp.get("content") or []]
        else:
            logprobs = [float(x) for x in lp.get("token_logprobs") or [] if x is not None]
    num_tokens = len(logprobs) if logprobs is not None else 0
    finish = "length" if choice.get("finish_reason") == "length" else "stop"
    return Sample(text=text or "", num_tokens=num_tokens, finish_reason=finish, logprobs=logprobs)
