"""The FastAPI app of the ingress: routes, validation, auth, limits, metrics, SSE.

Everything that can be refused without touching an actor is refused here (auth 401, size
413, malformed or over-budget requests 422 naming the field), so the backend only sees
requests it can serve. The backend is reached through a `BackendClient`: the service object
itself in the one-replica layout and in in-process tests, a Serve handle in the split layout
(`deployments.HandleClient`). Search and score results are written with pydantic's own JSON
serializer (or arrive already as JSON from a backend replica) instead of being re-validated
against the response model: they are typed objects of that model already.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPBearer
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import (
    AgentGymFamilyConfig,
    PolicyConfig,
    PromptsConfig,
    RewardMethod,
    SamplingConfig,
    SearchConfig,
    SearchStrategy,
)
from agentrm_ray.envs.agentgym.declared import declare_agentgym_families
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.serve.auth import check_admin, check_bearer
from agentrm_ray.serve.body_limit import BodyLimitMiddleware
from agentrm_ray.serve.catalog import RegistryCatalog, TaskCatalog, env_catalogue
from agentrm_ray.serve.chat_routes import add_chat_routes
from agentrm_ray.serve.chat_schemas import NextTurnJob, NextTurns
from agentrm_ray.serve.errors import (
    RETRY_AFTER_S,
    BackendUnavailable,
    FieldProblem,
    RequestProblems,
)
from agentrm_ray.serve.limits import ServeLimits, check, score_problems, search_problems
from agentrm_ray.serve.metrics import ServeMetrics
from agentrm_ray.serve.overlay import effective_search
from agentrm_ray.serve.schemas import (
    EnvsResponse,
    ErrorReply,
    HealthResponse,
    ScoreRequest,
    ScoreResponse,
    SearchRequest,
    SearchResponse,
    StatsResponse,
    SwapRequest,
    SwapResponse,
)
from agentrm_ray.serve.sse import MEDIA_TYPE, sse_frame
from agentrm_ray.serve.strict_json import StrictJSONRoute, validation_error_reply
from agentrm_ray.types import Task

HEALTH_TIMEOUT_S = 10.0
ROUTES = ("/healthz", "/v1/envs", "/v1/search", "/v1/search/stream", "/v1/score",
          "/v1/stats", "/v1/admin/reward-model", "/v1/models", "/v1/chat/completions")


class JSONBody(bytes):
    """A response body that is already JSON (serialized once, where the response was made)."""


class BackendClient(Protocol):
    """The one declaration of what the ingress calls on a backend: `SearchService` (one
    replica), `SearchBackend` and the `HandleClient` over it (split layout) implement exactly
    these (tests/serve/test_backend_protocol.py)."""

    async def search(self, req: SearchRequest, task: Task
                     ) -> SearchResponse | JSONBody | ErrorReply: ...
    def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[tuple[str, dict]]: ...
    async def score(self, states: list[RMState]) -> ScoreResponse | JSONBody | ErrorReply: ...
    async def next_turns(self, job: NextTurnJob) -> NextTurns | ErrorReply: ...
    async def swap(self, req: SwapRequest) -> SwapResponse | ErrorReply: ...
    async def stats(self) -> StatsResponse: ...
    async def health(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class IngressSettings:
    reward_method: str
    max_request_bytes: int = 1_000_000
    auth_digest: str | None = None  # sha256 of the bearer token; None: auth off
    limits: ServeLimits = field(default_factory=ServeLimits)
    admin_digest: str | None = None  # sha256 of the admin endpoints' own token
    search: SearchConfig = field(default_factory=SearchConfig)  # the server's; requests overlay
    agentgym: tuple[AgentGymFamilyConfig, ...] = ()  # declared families the catalog resolves
    policy_model: str = PolicyConfig.model_fields["model"].default  # the /v1/models id
    sampling: SamplingConfig = field(default_factory=SamplingConfig)  # chat requests overlay
    prompts: PromptsConfig = field(default_factory=PromptsConfig)  # /v1/score's instructions

    @classmethod
    def from_config(cls, cfg: RootConfig, auth_digest: str | None = None,
                    admin_digest: str | None = None) -> IngressSettings:
        return cls(reward_method=cfg.reward.method.value,
                   max_request_bytes=cfg.serve.max_request_bytes,
                   auth_digest=auth_digest, limits=cfg.serve.limits, admin_digest=admin_digest,
                   search=cfg.search, agentgym=tuple(cfg.envs.agentgym),
                   policy_model=cfg.policy.model, sampling=cfg.policy.sampling,
                   prompts=cfg.prompts)


_bearer = HTTPBearer(auto_error=False, description="Needed when the server runs with a token.")
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong bearer token."},
    413: {"description": "Body larger than serve.max_request_bytes."},
    422: {"description": "Malformed or over-budget request; `detail[].loc` names the field."},
    503: {"description": "The search backend restarted under the request; retry it after "
                         "the Retry-After seconds."},
}


def create_api(client: BackendClient, settings: IngressSettings,
               metrics: ServeMetrics | None = None, catalog: TaskCatalog | None = None
               ) -> FastAPI:
    if catalog is None:
        declare_agentgym_families(list(settings.agentgym))
        catalog = RegistryCatalog(PromptBook.from_config(settings.prompts))
    api = FastAPI(
        title="agentrm-ray search",
        version="1",
        description="RM-guided test-time search (greedy, Best-of-N, beam, MCTS) for LLM agents.",
    )
    api.router.route_class = StrictJSONRoute  # before any route: NaN or surrogates are 422s
    api.add_exception_handler(RequestValidationError, validation_error_reply)
    metrics = metrics or ServeMetrics(enabled=False)
    api.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    api.add_middleware(_MetricsMiddleware, metrics=metrics)

    async def authorized(request: Request, _: Any = Depends(_bearer)) -> None:
        check_bearer(request, settings.auth_digest)

    async def admin(request: Request, _: Any = Depends(_bearer)) -> None:
        check_admin(request, settings.admin_digest, settings.auth_digest)

    @api.exception_handler(BackendUnavailable)
    async def _unavailable(_: Request, exc: BackendUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503,
                            headers={"Retry-After": str(RETRY_AFTER_S)})

    @api.exception_handler(RequestProblems)
    async def _problems(_: Request, exc: RequestProblems) -> JSONResponse:
        return JSONResponse({"detail": exc.as_fastapi_errors()}, status_code=422)

    @api.get("/healthz", response_model=HealthResponse, responses={503: {"description": "Down"}})
    async def healthz() -> HealthResponse:
        """Liveness of the ingress and its backend (no auth, for load balancers)."""
        try:
            backend = await asyncio.wait_for(client.health(), HEALTH_TIMEOUT_S)
        except Exception as exc:
            raise HTTPException(503, f"backend not answering: {type(exc).__name__}") from None
        return HealthResponse(status="ok", backend=backend)

    @api.get("/v1/envs", response_model=EnvsResponse, dependencies=[Depends(authorized)],
             responses=_ERRORS)
    async def envs() -> EnvsResponse:
        """Every env family, its task counts per split and whether it can run here."""
        return EnvsResponse(envs=list(env_catalogue()))

    @api.post("/v1/search", response_model=SearchResponse, dependencies=[Depends(authorized)],
              responses={**_ERRORS, 504: {"description": "limits.timeout_s passed."}})
    async def search(req: SearchRequest) -> Any:
        """Search one task; returns the chosen trajectory, all candidates and the budget.

        A search that fails inside (e.g. an env error) is still a 200 whose `result.error`
        says why, exactly as a failed task is recorded by `agentrm-ray run`.
        """
        task = _admit(req, settings, catalog)
        return _reply(await client.search(req, task))

    @api.post("/v1/search/stream", dependencies=[Depends(authorized)],
              responses={**_ERRORS, 200: {"description": "SSE: `progress` events, then one "
                                          "`result` (a SearchResponse) or `error` event. A "
                                          "stream that ends without either was cut (its "
                                          "replica died; the HTTP body is incomplete): retry.",
                                          "content": {MEDIA_TYPE: {}}}})
    async def search_stream(req: SearchRequest) -> StreamingResponse:
        """Like /v1/search, streamed as server-sent events; disconnecting cancels the search."""
        task = _admit(req, settings, catalog)

        async def frames() -> AsyncIterator[bytes]:
            try:
                async for event, data in client.stream(req, task):
                    yield sse_frame(event, data)
            except BackendUnavailable as exc:  # the 200 is out: say it in the final event
                yield sse_frame("error", {"status": 503, "detail": str(exc)})

        return StreamingResponse(frames(), media_type=MEDIA_TYPE,
                                 headers={"Cache-Control": "no-cache"})

    @api.post("/v1/score", response_model=ScoreResponse, dependencies=[Depends(authorized)],
              responses={**_ERRORS, 409: {"description": "The server has no RM replicas."}})
    async def score(req: ScoreRequest) -> Any:
        """Score trajectories (their last states) with the server's current RM."""
        check(score_problems(req, settings.limits))
        instructions = catalog.instructions(req.states)
        states = [RMState(instruction=i, trajectory=s.trajectory)
                  for i, s in zip(instructions, req.states, strict=True)]
        return _reply(await client.score(states))

    @api.get("/v1/stats", response_model=StatsResponse, dependencies=[Depends(authorized)],
             responses=_ERRORS)
    async def stats() -> StatsResponse:
        """Search counters (incl. cancelled), live env sessions, the current RM generation."""
        return await client.stats()

    @api.post("/v1/admin/reward-model", response_model=SwapResponse,
              dependencies=[Depends(admin)],
              responses={**_ERRORS, 403: {"description": "No admin token is configured."},
                         409: {"description": "The server has no RM replicas."}})
    async def swap_reward_model(req: SwapRequest) -> Any:
        """Load a new RM checkpoint, send new requests to it, drain and stop the old one."""
        return _reply(await client.swap(req))

    add_chat_routes(api, client, settings, authorized, _raise_error, _ERRORS)
    return api


def _admit(req: SearchRequest, settings: IngressSettings, catalog: TaskCatalog) -> Task:
    """Budget caps and task lookup: the request is servable, or a 422 names why."""
    problems = search_problems(req, effective_search(req.strategy, settings.search),
                               settings.limits)
    if (SearchStrategy(req.strategy.name).ranks_states
            and RewardMethod(settings.reward_method) is RewardMethod.none):
        problems.append(FieldProblem(("body", "strategy", "name"),
                                     f"{req.strategy.name} ranks states with a reward model; "
                                     "this server runs reward.method=none"))
    check(problems)
    return catalog.resolve(req.task)


def _raise_error(reply: Any) -> Any:
    """A backend's ErrorReply as the HTTP error it stands for; anything else unchanged."""
    if isinstance(reply, ErrorReply):
        if reply.status == 422 and reply.loc:
            raise RequestProblems([FieldProblem(tuple(reply.loc), reply.detail)])
        raise HTTPException(reply.status, reply.detail)
    return reply


def _reply(reply: Any) -> Any:
    reply = _raise_error(reply)
    if isinstance(reply, JSONBody):
        return Response(bytes(reply), media_type="application/json")
    if isinstance(reply, BaseModel):
        return Response(reply.model_dump_json(), media_type="application/json")
    return reply


class _MetricsMiddleware:
    """Count requests and time them to the response head, per known route and status."""

    def __init__(self, app: ASGIApp, metrics: ServeMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        path = scope.get("path", "")
        route = path if path in ROUTES else "other"

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.metrics.record_request(route, int(message["status"]),
                                            time.perf_counter() - started)
            await send(message)

        await self.app(scope, receive, timed_send)
