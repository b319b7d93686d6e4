"""Errors the ingress turns into HTTP answers: request problems that name the field at fault
(422), and a backend that went away under a request (503, retryable)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldProblem:
    loc: Loc  # e.g. ("body", "strategy", "width"), FastAPI's own convention
    msg: str


class RequestProblems(Exception):
    """One or more fields of a well-formed request that the server cannot serve as given."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = list(problems)

    def as_fastapi_errors(self) -> list[dict[str, object]]:
        """The `detail` list FastAPI uses for its own 422s, so clients parse one format."""
        return [{"loc": list(p.loc), "msg": p.msg, "type": "value_error"} for p in self.problems]


RETRY_AFTER_S = 5


class BackendUnavailable(Exception):
    """The backend replica serving a request died (killed, crashed, its node lost) before it
    answered. Nothing was wrong with the request and Serve replaces the replica, so the
    ingress answers 503 with Retry-After: a search depends only on its request and seed, so
    sending it again gives the result the first attempt would have given."""
