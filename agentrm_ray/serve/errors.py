"""Request problems that name the field at fault; the ingress turns them into HTTP 422s."""

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
