"""A backend replica that dies under a request is a retryable 503, not a bare 500.

In the split layout the ingress awaits the backend through a Serve handle; when the backend's
replica is killed, the handle raises Ray's actor-death errors. These tests drive the real
`HandleClient` and FastAPI app in-process over a fake handle that fails that way (the same
failure over a real Serve app is tests/chaos/test_serve_replica_kill.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fakes import MAZE_TASK
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayTaskError
from sse_client import parse_sse

from agentrm_ray.serve.api import IngressSettings, create_api
from agentrm_ray.serve.deployments import HandleClient


class _DeadCall:
    """What `handle.method.remote()` returns when the replica dies under the call."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __await__(self) -> Any:
        async def fail() -> Any:
            raise self.error

        return fail().__await__()

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._stream()

    async def _stream(self) -> AsyncIterator[Any]:
        yield "progress", {"kind": "opened", "depth": 0, "beam": [], "elapsed_s": 0.0,
                           "budget": {}}
        raise self.error

    def cancel(self) -> None:
        pass


class _DeadHandle:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def options(self, **_: Any) -> _DeadHandle:
        return self

    def __getattr__(self, method: str) -> Any:
        return type("Method", (), {"remote": lambda _, *a: _DeadCall(self.error)})()


def _post(error: BaseException, path: str) -> httpx.Response:
    api = create_api(HandleClient(_DeadHandle(error)), IngressSettings("oracle"))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post(path, json={"task": MAZE_TASK})

    return asyncio.run(go())


@pytest.mark.parametrize("error", [ActorDiedError(), ActorUnavailableError("gone", None)])
def test_dead_backend_is_a_retryable_503(error: BaseException) -> None:
    r = _post(error, "/v1/search")
    assert r.status_code == 503, r.text
    assert "retry" in r.json()["detail"] and type(error).__name__ in r.json()["detail"]
    assert int(r.headers["retry-after"]) > 0


def test_dead_backend_ends_a_stream_with_a_503_error_event() -> None:
    r = _post(ActorDiedError(), "/v1/search/stream")
    assert r.status_code == 200  # sent with the first event, before the backend died
    events = parse_sse(r.text)
    assert [e for e, _ in events] == ["progress", "error"]
    assert events[-1][1]["status"] == 503 and "retry" in events[-1][1]["detail"]


def test_an_error_raised_inside_a_live_backend_is_not_a_503() -> None:
    inner = RayTaskError("search", "traceback", ActorDiedError()).as_instanceof_cause()
    assert _post(inner, "/v1/search").status_code == 500
