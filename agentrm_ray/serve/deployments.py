"""The Ray Serve deployments: one search server by default, or an ingress and a backend.

`SearchServer` (the default, when `serve.autoscaling` fixes one replica) is a single replica
that serves the FastAPI app and runs the searches itself: its `SearchService` owns the policy,
env and RM actor pools, and a request makes one hop (proxy -> replica) instead of two.

When `serve.autoscaling` lets the HTTP layer scale (min != max, or more than one replica),
the pools must still exist once, so the app splits: `SearchIngress` (autoscaled) serves HTTP
and calls one `SearchBackend` through a `DeploymentHandle`. Responses cross that hop as JSON
bytes, serialized once by the backend and sent to the client as they are.

No deployment reserves a CPU: they parse, route and coordinate; the CPUs belong to the actors
doing the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from ray import serve
from ray.exceptions import NodeDiedError, RayActorError, RayTaskError, WorkerCrashedError
from ray.serve.exceptions import DeploymentUnavailableError
from ray.serve.handle import DeploymentHandle

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.config import RootConfig
from agentrm_ray.serve.api import IngressSettings, JSONBody, create_api
from agentrm_ray.serve.chat_schemas import NextTurnJob, NextTurns
from agentrm_ray.serve.errors import BackendUnavailable
from agentrm_ray.serve.loopback import keep_replica_grpc_on_loopback
from agentrm_ray.serve.metrics import ServeMetrics
from agentrm_ray.serve.schemas import (
    ErrorReply,
    SearchRequest,
    StatsResponse,
    SwapRequest,
    SwapResponse,
)
from agentrm_ray.serve.service import SearchService, StreamItem
from agentrm_ray.types import Task


async def _start_service(cfg: RootConfig, default_max_steps: int | None,
                         metrics: ServeMetrics) -> SearchService:
    def record(strategy: str, outcome: str, budget: Any) -> None:
        metrics.record_search(strategy, outcome, budget.policy_tokens_in,
                              budget.policy_tokens_out, budget.env_steps)

    return await SearchService.start(cfg, default_max_steps, record)


@serve.ingress()
class SearchServer:
    """HTTP and search in one replica: the FastAPI app calls the `SearchService` directly.

    A client that hangs up cancels the request's task here, which cancels its search (the
    runner releases its env sessions); an RM swap is the service's own.
    """

    async def __init__(self, cfg: RootConfig, settings: IngressSettings,
                       default_max_steps: int | None = None) -> None:
        keep_replica_grpc_on_loopback()
        metrics = ServeMetrics()
        self.service = await _start_service(cfg, default_max_steps, metrics)
        self.api = create_api(self.service, settings, metrics)

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self.api

    async def __del__(self) -> None:
        if hasattr(self, "service"):  # not if the pools failed to start
            await self.service.shutdown()
        parent = getattr(super(), "__del__", None)  # Serve's ASGI wrapper: lifespan shutdown
        if parent is not None:
            await parent()


class SearchBackend:
    """Owns the SearchStack's actor pools (they die with this replica) and runs searches."""

    async def __init__(self, cfg: RootConfig, default_max_steps: int | None = None) -> None:
        keep_replica_grpc_on_loopback()
        self.service = await _start_service(cfg, default_max_steps, ServeMetrics())

    async def search(self, req: SearchRequest, task: Task) -> JSONBody | ErrorReply:
        return _json(await self.service.search(req, task))

    async def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[StreamItem]:
        async for item in self.service.stream(req, task):
            yield item

    async def score(self, states: list[RMState]) -> JSONBody | ErrorReply:
        return _json(await self.service.score(states))

    async def next_turns(self, job: NextTurnJob) -> NextTurns | ErrorReply:
        return await self.service.next_turns(job)

    async def swap(self, req: SwapRequest) -> SwapResponse | ErrorReply:
        return await self.service.swap(req)

    async def stats(self) -> StatsResponse:
        return await self.service.stats()

    async def health(self) -> dict[str, Any]:
        return await self.service.health()

    async def __del__(self) -> None:
        if hasattr(self, "service"):
            await self.service.shutdown()


def _json(reply: Any) -> JSONBody | ErrorReply:
    """A response serialized once, here; the ingress forwards the bytes untouched."""
    return reply if isinstance(reply, ErrorReply) else JSONBody(reply.model_dump_json().encode())


def _body(reply: bytes | ErrorReply) -> JSONBody | ErrorReply:
    """Ray delivers a `bytes` subclass as plain bytes: mark them as JSON again."""
    return JSONBody(reply) if isinstance(reply, bytes) else reply


class HandleClient:
    """`BackendClient` over a Serve handle; a cancelled caller cancels the backend call."""

    def __init__(self, handle: DeploymentHandle) -> None:
        self.handle = handle

    async def search(self, req: SearchRequest, task: Task) -> JSONBody | ErrorReply:
        return _body(await self._call("search", req, task))

    async def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[StreamItem]:
        response = self.handle.options(stream=True).stream.remote(req, task)
        try:
            async for item in response:
                yield item
        except _BACKEND_GONE as exc:
            raise _unavailable(exc) from exc
        finally:
            response.cancel()  # no-op once finished; stops the search if the client left

    async def score(self, states: list[RMState]) -> JSONBody | ErrorReply:
        return _body(await self._call("score", states))

    async def next_turns(self, job: NextTurnJob) -> NextTurns | ErrorReply:
        return await self._call("next_turns", job)

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
        except _BACKEND_GONE as exc:
            raise _unavailable(exc) from exc


# How a handle call says the backend replica itself is gone (killed, crashed, node lost).
_BACKEND_GONE = (RayActorError, WorkerCrashedError, NodeDiedError, DeploymentUnavailableError)


def _unavailable(exc: BaseException) -> BaseException:
    """A replica death as a retryable BackendUnavailable; anything else unchanged (an error
    raised inside a live backend arrives as a RayTaskError, even if its cause was an actor's
    death, and is not the backend being gone)."""
    if isinstance(exc, RayTaskError):
        return exc
    return BackendUnavailable(
        f"the search backend stopped before answering ({type(exc).__name__}); Serve is "
        "replacing it: retry the request")


@serve.ingress()
class SearchIngress:
    """HTTP front door of the split layout; its FastAPI app is built per replica."""

    def __init__(self, backend: DeploymentHandle, settings: IngressSettings) -> None:
        keep_replica_grpc_on_loopback()
        self.api = create_api(HandleClient(backend), settings, ServeMetrics())

    def __serve_build_asgi_app__(self) -> FastAPI:
        return self.api
