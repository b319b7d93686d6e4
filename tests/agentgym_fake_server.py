"""A scripted AgentGym server behind httpx.MockTransport, shared by the AgentGym client tests
for dialects no server here speaks."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

Handler = Callable[[dict[str, Any]], Any]


class FakeServer:
    """A scripted AgentGym server behind httpx.MockTransport; records every request.

    Query parameters arrive as strings (as FastAPI would see them before conversion) and JSON
    bodies as decoded values; both land in one dict per request. Unknown routes are 404, as
    FastAPI answers them.
    """

    def __init__(self, routes: dict[str, Handler]) -> None:
        self.routes = routes
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        args: dict[str, Any] = dict(request.url.params)
        if request.content:
            args.update(json.loads(request.content))
        self.requests.append((request.method, request.url.path, args))
        handler = self.routes.get(f"{request.method} {request.url.path}")
        if handler is None:
            return httpx.Response(404, json={"detail": "Not Found"})
        result = handler(args)
        return result if isinstance(result, httpx.Response) else httpx.Response(200, json=result)

    def paths(self) -> list[str]:
        return [f"{method} {path}" for method, path, _ in self.requests]

    def bodies(self, route: str) -> list[dict[str, Any]]:
        return [args for method, path, args in self.requests if f"{method} {path}" == route]
