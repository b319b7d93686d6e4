"""The proxy middleware that turns a replica lost under a request into a retryable 503, and how
`serve.runtime` reaches Serve's processes (no Ray: fake proxy apps behind the middleware)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fakes import fake_config
from sse_client import parse_sse
from starlette.types import Receive, Scope, Send

from agentrm_ray.serve.errors import RETRY_AFTER_S
from agentrm_ray.serve.proxy_errors import (
    CALLBACK,
    CALLBACK_ENV,
    ReplicaLossMiddleware,
    proxy_middlewares,
)
from agentrm_ray.serve.sse import MEDIA_TYPE, sse_frame


def _through_middleware(proxy: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=ReplicaLossMiddleware(proxy))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/v1/search", json={}, headers=headers)

    return asyncio.run(go())


async def _lost_before_answering(scope: Scope, receive: Receive, send: Send) -> None:
    """What Serve's proxy does on a RayActorError before the response started: nothing."""
    scope["headers"].append((b"x-request-id", b"req-1"))  # as Serve's RequestIdMiddleware


async def _stream_cut(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", f"{MEDIA_TYPE}; charset=utf-8".encode())]})
    await send({"type": "http.response.body", "body": sse_frame("progress", {"step": 1}),
                "more_body": True})


async def _answered(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"boom"})


def test_a_request_the_proxy_left_unanswered_gets_a_retryable_503() -> None:
    r = _through_middleware(_lost_before_answering)
    assert r.status_code == 503
    assert r.headers["retry-after"] == str(RETRY_AFTER_S)
    assert r.headers["x-request-id"] == "req-1"
    assert "retry" in r.json()["detail"]


def test_a_cut_event_stream_ends_with_a_503_error_event() -> None:
    r = _through_middleware(_stream_cut)
    assert r.status_code == 200
    frames = parse_sse(r.text)
    assert frames[0] == ("progress", {"step": 1})
    event, data = frames[-1]
    assert event == "error" and data["status"] == 503 and "retry" in data["detail"]


def test_a_complete_answer_passes_unchanged_even_an_error() -> None:
    r = _through_middleware(_answered)
    assert (r.status_code, r.text) == (500, "boom")


def test_serve_loads_the_callback_the_way_its_proxy_does() -> None:
    from ray.serve._private.http_util import validate_http_proxy_callback_return
    from ray.serve._private.utils import call_function_from_import_path

    middlewares = validate_http_proxy_callback_return(call_function_from_import_path(CALLBACK))
    assert [m.cls for m in middlewares] == [ReplicaLossMiddleware]
    assert proxy_middlewares()[0].cls is ReplicaLossMiddleware


def test_serve_runtime_switches_reach_the_replicas_environment() -> None:
    from agentrm_ray.serve.app import build_application, serve_environment

    cfg = fake_config()
    env = build_application(cfg)._bound_deployment.ray_actor_options["runtime_env"]["env_vars"]
    assert env == serve_environment(cfg.serve.runtime)
    assert env["RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD"] == "0"
    assert env["RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP"] == "0"
    assert env["RAY_SERVE_PROXY_USE_GRPC"] == "1"
    assert env[CALLBACK_ENV] == CALLBACK
    ray_defaults = serve_environment(fake_config(
        serve__runtime__user_code_on_main_loop=False, serve__runtime__router_on_main_loop=False,
        serve__runtime__retryable_replica_loss=False, serve__runtime__proxy_grpc=False,
        serve__runtime__ingress="proxy").serve.runtime)
    assert ray_defaults == {"RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "1",
                            "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "1",
                            "RAY_SERVE_PROXY_USE_GRPC": "0",
                            "RAY_SERVE_ENABLE_HA_PROXY": "0",
                            "RAY_SERVE_ENABLE_DIRECT_INGRESS": "0",
                            # Ray's own defaults, unused by its Python proxy
                            "RAY_SERVE_HAPROXY_STATS_PORT": "8404",
                            "RAY_SERVE_HAPROXY_METRICS_PORT": "9101",
                            "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT": "8500",
                            # ours (Ray's is 30 s), also unused by its Python proxy
                            "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S": "2.0"}
