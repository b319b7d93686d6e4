"""One real Serve application per test module and ingress (Ray's Python proxy, HAProxy):
tiny policy + tiny value RM, auth on.

Module scope, not session: the app holds a CPU of the shared 2-CPU test cluster, which the
rest of the suite needs back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from netutil import free_port
from served import ADMIN_TOKEN, LIMIT_OVERRIDES, TOKEN, Served

INGRESSES = ("proxy", "haproxy")  # serve.runtime.ingress: every HTTP behaviour, both ways


@pytest.fixture(scope="module", params=INGRESSES)
def served(request: pytest.FixtureRequest, ray_cluster, tiny_model: str,
           tiny_value_model: str) -> Iterator[Served]:
    from agentrm_ray.config import load_config
    from agentrm_ray.serve.app import start_search_app, stop_search_app
    from agentrm_ray.serve.auth import token_digest

    port = free_port()
    cfg = load_config(overrides=[
        f"policy.model={tiny_model}", "policy.backend=hf", "policy.sampling.max_tokens=12",
        "policy.num_cpus_per_replica=0.5", "reward.method=value",
        f"reward.model={tiny_value_model}", "reward.num_cpus_per_replica=0.25",
        "envs.num_cpus_per_worker=0.25", "tasks.max_steps=4", f"serve.port={port}",
        "serve.max_request_bytes=65536", "search.max_concurrent_tasks=8", *LIMIT_OVERRIDES,
        f"serve.runtime.ingress={request.param}",
        f"serve.model_roots=[{Path(tiny_value_model).parent}]",  # where the swap test's RM is
        # a family declared in YAML, served like a bundled one (its server runs in the worker)
        "envs.agentgym=[{name: served_maze, profile: maze, base_url: self-hosted, "
        "splits: {test: [0, 3]}}]",
    ])
    url = start_search_app(cfg, token_digest(TOKEN), token_digest(ADMIN_TOKEN))
    try:
        yield Served(url, port, TOKEN)
    finally:
        stop_search_app()
