"""The two Ray Serve deployments: the FastAPI ingress and the backend that owns the pools.

`SearchBackend` (one replica) starts the policy, env and RM actor pools and runs searches;
`SearchIngress` (autoscaled by `serve.autoscaling`) serves HTTP and calls the backend through
a `DeploymentHandle`. Neither reserves a CPU: the ingress parses and forwards, the backend
coordinates; the CPUs belong to the actors doing the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from ray import serve
from ray.serve.handle import DeploymentHandle

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.config import RootConfig
from agentrm_ray.serve.api import IngressSettings, create_api
from agentrm_ray.serve.loopback import keep_replica_grpc_on_loopback
from agentrm_ray.serve.metrics import ServeMetrics
from agentrm_ray.serve.schemas import (
    ErrorReply,
    ScoreResponse,
    SearchRequest,
    SearchResponse,
    StatsResponse,
    SwapRequest,
    SwapResponse,
)
from agentrm_ray.serve.service import SearchService, StreamItem
from agentrm_ray.types import Budget, Task


class SearchBackend:
    """Owns the SearchStack's actor pools (they die with this replica) and runs searches."""

    async def __init__(self, cfg: RootConfig, default_max_steps: int | None = None) -> None:
        keep_replica_grpc_on_loopback()
        self.metrics = ServeMetrics()
        self.service = await SearchService.start(cfg, default_max_steps, self._record)

    def _record(self, strategy: str, outcome: str, budget: Budget) -> None:
        self.metrics.record_search(strategy, outcome, budget.policy_tokens_in,
                                   budget.policy_tokens_out, budget.env_steps)

    async def search(self, req: SearchRequest, task: Task) -> SearchResponse | ErrorReply:
        return await self.service.search(req, task)

    async def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[StreamItem]:
        async for item in self.service.stream(req, task):
            yield item

    async def score(self, states: list[RMState]) -> ScoreResponse | ErrorReply:
        return await self.service.score(states)

    async def swap(self, req: SwapRequest) -> SwapResponse | ErrorReply:
        return await self.service.swap(req)

    async def stats(self) -> StatsResponse:
        return await self.service.stats()

    async def health(self) -> dict[str, Any]:
        return await self.service.health()

    async def __del__(self) -> None:
        await self.service.shutdown()


class HandleClient:
    """`BackendClient` over a Serve handle; a cancelled caller cancels the backend call."""

    def __init__(self, handle: DeploymentHandle) -> None:
        self.handle = handle

    async def search(self, req: SearchRequest, task: Task) -> SearchResponse | ErrorReply:
        return await self._call("search", req, task)

    async def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[StreamItem]:
        response = self.handle.options(stream=True).stream.remote(req, task)
        try:
            async for item in response:
                yield item
        finally:
            response.cancel()  # no-op once finished; stops the search if the client left

    async def score(self, states: list[RMState]) -> ScoreResponse | ErrorReply:
        return await self._call("score", states)

    async def swap(self, req: SwapRequest) -> SwapResponse | ErrorReply:
        return await self._call("swap", req)

    async def stats(self) -> StatsResponse:
        return await self._call("stats")

    async def health(self) -> dict[str, Any]:
        return await self._call("health")

    async def _call(self, method: str, *args: Any) -> Any:
        response = getattr(self.handle, method).remote(*args)
        try:
            return await response
        except asyncio.CancelledError:
            response.cancel()
            raise


@serve.ingress()
class SearchIngress:
    """HTTP front door; its FastAPI app is built per replica (settings arrive at init)."""

    def __init__(self, backend: DeploymentHandle, settings: IngressSettings) -> None:
        keep_replica_grpc_on_loopback()
        self.api = create_api(HandleClient(backend), settings, ServeMetrics())

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self.api
