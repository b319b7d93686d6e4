"""Make Serve's proxy answer 503 + Retry-After, not a bare 500, when a replica dies under a request.

Why here: in the one-replica layout the replica that dies is the one running our FastAPI app,
so the app cannot answer for itself (the split layout's ingress does, see `deployments`).
Ray Serve 2.60's proxy, a separate actor that survives, maps the replica's death (a
`RayActorError`: `ActorDiedError`, `ActorUnavailableError`) to status 500
(`ray.serve._private.http_util.get_http_response_status`) and, for a 500, sends nothing
(`send_http_response_on_exception` only writes 408, 429 and 503); uvicorn then answers for the
proxy with a text/plain "Internal Server Error" and closes the connection. Serve has no
setting for that status. Its one hook for code in the proxy is the environment variable
`RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH`: a function, called when the proxy starts, that
returns Starlette middlewares wrapping the proxy's ASGI app. `proxy_middlewares` is that
function (`serve.app` sets the variable for Serve's controller, whose proxy inherits it).

What the middleware can see is that the proxy finished a request without completing the
response. Every response our app produces is complete (FastAPI turns its own exceptions into
500s), so an unfinished one means the proxy lost the replica or could not reach it:
- no response started: answer 503 with Retry-After and a JSON `detail`, as the split layout's
  ingress does (`api._unavailable`); a client that already hung up gets nothing either way;
- an event stream started (`/v1/search/stream`): end it with the same final `error` event,
  status 503, that the split layout sends;
- any other body cut short cannot be repaired: the connection closes, as before.

This module runs inside Serve's proxy process: it imports nothing heavier than Starlette.
"""

from __future__ import annotations

import json

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agentrm_ray.serve.errors import RETRY_AFTER_S
from agentrm_ray.serve.sse import MEDIA_TYPE, sse_frame

CALLBACK_ENV = "RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH"
CALLBACK = f"{__name__}:proxy_middlewares"
REQUEST_ID_HEADER = b"x-request-id"  # set by Serve's RequestIdMiddleware, inside this one
DETAIL = ("the search server's replica stopped before answering (it died or could not be "
          "reached); Serve is replacing it: retry the request")


def proxy_middlewares() -> list[Middleware]:
    """Serve's proxy callback (`RAY_SERVE_HTTP_PROXY_CALLBACK_IMPORT_PATH`)."""
    return [Middleware(ReplicaLossMiddleware)]


class ReplicaLossMiddleware:
    """Complete, as a retryable 503, a response the proxy left unfinished."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = finished = event_stream = False

        async def watched_send(message: Message) -> None:
            nonlocal started, finished, event_stream
            if message["type"] == "http.response.start":
                started = True
                event_stream = _content_type(message).startswith(MEDIA_TYPE.encode())
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                finished = True
            await send(message)

        await self.app(scope, receive, watched_send)
        if finished:
            return
        if not started:
            body = json.dumps({"detail": DETAIL}).encode()
            headers = [(b"content-type", b"application/json"),
                       (b"content-length", str(len(body)).encode()),
                       (b"retry-after", str(RETRY_AFTER_S).encode())]
            headers += [(k, v) for k, v in scope.get("headers", []) if k == REQUEST_ID_HEADER]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        elif event_stream:
            await send({"type": "http.response.body",
                        "body": sse_frame("error", {"status": 503, "detail": DETAIL})})


def _content_type(message: Message) -> bytes:
    for name, value in message.get("headers", []):
        if name.lower() == b"content-type":
            return bytes(value).lower()
    return b""
