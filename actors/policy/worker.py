"""`PolicyWorker`: the Ray actor that hosts one generation backend.

An async actor: each `generate` call awaits its backend, so many calls are in flight at once
and the backend batches them (vLLM continuous batching, HF dynamic batching). The actor also
keeps the counters the pool routes by and the benchmarks read (busy time, tokens).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ray

from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class


class PolicyWorkerImpl:
    """The actor body (plain class so tests and benchmarks can also run it in-process)."""

    def __init__(self, backend: str, settings: BackendSettings, name: str = "policy-0") -> None:
        self.name = name
        self.backend = backend_class(backend)(settings)
        self._started = False
        self._start_lock = asyncio.Lock()  # a restarted actor gets many first calls at once
        self._outstanding = 0
        self._busy_since: float | None = None
        self._busy_s = 0.0
        self._created = time.perf_counter()
        self._tokens_out = 0
        self._requests = 0

    async def start(self) -> str:
        async with self._start_lock:
            if not self._started:
                await self.backend.start()
                self._started = True
        return self.name

    async def generate(self, request: GenerationRequest | dict[str, Any]) -> GenerationResult:
        if not self._started:
            await self.start()
        if isinstance(request, dict):
            request = GenerationRequest.model_validate(request)
        self._enter()
        try:
            result = await self.backend.generate(request)
        finally:
            self._leave()
        self._tokens_out += result.completion_tokens
        self._requests += 1
        result.replica = self.name
        return result

    def stats(self) -> dict[str, float]:
        busy = self._busy_s + (time.perf_counter() - self._busy_since if self._busy_since else 0.0)
        return {
            "outstanding": self._outstanding,
            "busy_s": busy,
            "uptime_s": time.perf_counter() - self._created,
            "tokens_out": self._tokens_out,
            "requests": self._requests,
        }

    def reset_stats(self) -> None:
        self._busy_s, self._tokens_out, self._requests = 0.0, 0, 0
        self._created = time.perf_counter()
        if self._busy_since is not None:
            self._busy_since = time.perf_counter()

    async def shutdown(self) -> None:
        await self.backend.close()

    def _enter(self) -> None:
        if self._outstanding == 0:
            self._busy_since = time.perf_counter()
        self._outstanding += 1

    def _leave(self) -> None:
        self._outstanding -= 1
        if self._outstanding == 0 and self._busy_since is not None:
            self._busy_s += time.perf_counter() - self._busy_since
            self._busy_since = None


PolicyWorker = ray.remote(PolicyWorkerImpl)
