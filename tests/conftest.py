"""Shared fixtures: one real local Ray cluster per test session (loopback only)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

# `make test` runs most modules on two pytest-xdist workers, one module at a time each
# (`--dist loadfile --no-loadscope-reorder`), in collection order. The longest modules (serial
# seconds measured with `--durations=0`: 450, 270, 180, 110...) go first, so the run does not
# end with one worker idle while the other is still in one of them.
LONGEST_FIRST = (
    "tests/loop/test_quickstart.py",
    "tests/cli/test_run.py",
    "tests/train/test_fit_explicit.py",
    "tests/actors/reward/test_reward_pool.py",
    "tests/envs/test_contract.py",
    "tests/cli/test_run_agentgym.py",
    "tests/chaos/test_node_removal.py",
    "tests/actors/policy/test_policy_pool.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Move the longest modules to the front, keeping every other order as collected."""
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


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
