"""One declaration of what the ingress calls on a backend: `api.BackendClient`. The service,
the split layout's backend deployment and the handle client over it implement exactly it."""

from __future__ import annotations

import inspect

import pytest

from agentrm_ray.serve.api import BackendClient
from agentrm_ray.serve.deployments import HandleClient, SearchBackend
from agentrm_ray.serve.service import SearchService

PROTOCOL_METHODS = sorted(
    name for name, value in vars(BackendClient).items()
    if callable(value) and not name.startswith("_"))


def _parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_protocol_holds_the_seven_calls() -> None:
    assert PROTOCOL_METHODS == ["health", "next_turns", "score", "search", "stats", "stream",
                                "swap"]


@pytest.mark.parametrize("implementation", [SearchService, SearchBackend, HandleClient])
def test_every_backend_implements_the_protocol_with_its_parameters(implementation) -> None:
    cls = getattr(implementation, "func_or_class", implementation)  # a Serve deployment
    for name in PROTOCOL_METHODS:
        ours = getattr(cls, name)
        assert _parameters(ours) == _parameters(getattr(BackendClient, name)), name
        assert inspect.iscoroutinefunction(ours) or inspect.isasyncgenfunction(ours) or (
            name == "stream"), name
