"""Refuse request bodies larger than `serve.max_request_bytes` with 413.

A pure ASGI middleware: a declared Content-Length over the limit is refused before the body is
read; a chunked body is counted as it arrives and refused as soon as it crosses the limit, so
a client cannot make a replica buffer an arbitrarily large upload.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _refuse(send, declared, self.max_bytes)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI re-raises HTTPException from body parsing; the app renders it.
                    raise HTTPException(413, _detail(received, self.max_bytes))
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _detail(size: int, limit: int) -> str:
    return f"request body of {size}+ bytes exceeds this server's limit of {limit} bytes"


async def _refuse(send: Send, size: int, limit: int) -> None:
    body: Any = json.dumps({"detail": _detail(size, limit)}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
