"""Shared fixtures: one real local Ray cluster per test session (loopback only)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[object]:
    """A real local Ray cluster started through agentrm_ray.runtime, shared by the session."""
    from agentrm_ray.config.models import RayConfig
    from agentrm_ray.runtime import start_ray, stop_ray

    runtime = start_ray(RayConfig(num_cpus=2))
    yield runtime
    stop_ray()


Run = Callable[[Any], Any]  # loop.run_until_complete


@pytest.fixture(scope="module")
def module_loop(ray_cluster: object) -> Iterator[Run]:
    """One event loop per test module, so module-wide pools keep their locks on one loop."""
    loop = asyncio.new_event_loop()
    yield loop.run_until_complete
    loop.close()


@pytest.fixture(scope="session")
def tiny_model() -> str:
    """A tiny random Llama (causal LM) with SmolLM2's tokenizer, built offline once."""
    from agentrm_ray.testing.tiny_models import tiny_llama

    return str(tiny_llama(seed=0))


@pytest.fixture(scope="session")
def tiny_model_b() -> str:
    """A second tiny causal LM with other random weights (e.g. a policy vs its reference)."""
    from agentrm_ray.testing.tiny_models import tiny_llama

    return str(tiny_llama(seed=1))


@pytest.fixture(scope="session")
def tiny_value_model() -> str:
    """A tiny random Llama with a one-label value head."""
    from agentrm_ray.testing.tiny_models import tiny_llama

    return str(tiny_llama(seed=0, with_value_head=True))


@pytest.fixture(scope="session")
def tiny_value_model_b() -> str:
    """A second tiny value model with other random weights (an ensemble's other member)."""
    from agentrm_ray.testing.tiny_models import tiny_llama

    return str(tiny_llama(seed=1, with_value_head=True))
