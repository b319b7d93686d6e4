"""Request bodies hold only what strict JSON allows, and error replies can always be encoded.

Python's `json.loads` accepts `NaN`, `Infinity` and numbers like `1e999` (which become inf),
and `"\\ud800"` (a lone UTF-16 surrogate, which no UTF-8 encoder accepts). Passed on, such
values made FastAPI's own 422 reply fail to serialise (a 500 and a traceback in the log).
`StrictJSONRoute` refuses them before validation, naming the field, and
`validation_error_reply` renders any validation error with the rejected input made safe.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine, Iterator
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from agentrm_ray.serve.errors import FieldProblem, Loc, RequestProblems

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _NonFinite:
    def __init__(self, text: str) -> None:
        self.text = text


def _parse_float(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def body_problems(body: bytes) -> list[FieldProblem]:
    """Non-finite numbers and lone surrogates in a JSON body, each with its location.

    A body that is not JSON at all is left to FastAPI, which reports it in its usual way.
    """
    try:
        data = json.loads(body, parse_constant=_NonFinite, parse_float=_parse_float)
    except (ValueError, RecursionError):
        return []
    problems = []
    for loc, value in _leaves(data, ("body",)):
        if isinstance(value, _NonFinite):
            problems.append(FieldProblem(loc, f"{value.text} is not a number JSON allows"))
        elif isinstance(value, str) and not _encodable(value):
            problems.append(FieldProblem(loc, "contains a lone UTF-16 surrogate (not Unicode)"))
    return problems


def _leaves(value: Any, loc: Loc) -> Iterator[tuple[Loc, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if not _encodable(key):
                yield loc, key
                continue
            yield from _leaves(child, (*loc, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, (*loc, index))
    else:
        yield loc, value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StrictJSONRoute(APIRoute):
    """An APIRoute that checks a request's JSON body (see the module doc) before validation."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            if request.method in _BODY_METHODS:
                problems = body_problems(await request.body())  # cached for the handler
                if problems:
                    raise RequestProblems(problems)
            return await handler(request)

        return strict_handler


def safe_for_json(value: Any) -> Any:
    """`value` with non-finite floats and unencodable strings replaced by readable text."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return value if _encodable(value) else value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, dict):
        return {safe_for_json(str(k)): safe_for_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [safe_for_json(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return safe_for_json(str(value))


async def validation_error_reply(_: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 format (`detail`: loc, msg, type, input), always encodable."""
    errors = [
        {key: safe_for_json(error.get(key)) for key in ("loc", "msg", "type", "input")
         if key in error}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": errors}, status_code=422)
