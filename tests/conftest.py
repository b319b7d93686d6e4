"""Shared fixtures: one real local Ray cluster per test session (loopback only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

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
