"""Start or join a Ray cluster, loopback-only by default, and leave it cleanly.

Why the environment variables: Ray 2.60 turns a requested node address of 127.0.0.1 into the
machine's public address (`resolve_ip_for_localhost`) and its gRPC servers then listen on every
interface. Ray's own switch for single-machine clusters, `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`
(the default on macOS/Windows), makes the node address 127.0.0.1, and every Ray listener then
binds to loopback only (verified by tests/test_runtime.py with psutil). Ray reads the switch when
it is imported and hands it to the processes it starts, so it is set in the environment before
`ray.init` and, if `ray` was imported already, mirrored into the constant it was read into.
vLLM engines read `VLLM_HOST_IP` the same way.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.config.models import RayConfig

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
LOOPBACK_ENV: dict[str, str] = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "VLLM_HOST_IP": LOOPBACK,
}
# Less noise and no background phoning-home from a local research cluster.
QUIET_ENV: dict[str, str] = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DEDUP_LOGS": "1",
}


@dataclass(frozen=True)
class RayRuntime:
    """What `start_ray` did: whether it started the cluster (and so must stop it)."""

    address: str
    started_locally: bool
    node_ip: str
    resources: dict[str, float] = field(default_factory=dict)


def cluster_address_from_env(cfg: RayConfig) -> str | None:
    """The cluster to join: the config's address, else RAY_ADDRESS (set by `ray job submit`)."""
    return cfg.address or os.environ.get("RAY_ADDRESS") or None


def apply_loopback_environment() -> None:
    """Make every Ray (and vLLM) listener this process starts bind to 127.0.0.1."""
    os.environ.update(LOOPBACK_ENV)
    import ray._private.ray_constants as ray_constants

    ray_constants.ENABLE_RAY_CLUSTER = False


def start_ray(cfg: RayConfig) -> RayRuntime:
    """Join the configured cluster, or start a local one (loopback-only unless told otherwise)."""
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    address = cluster_address_from_env(cfg)
    if address is None and cfg.loopback_only:
        apply_loopback_environment()

    import ray

    if ray.is_initialized():
        ctx_address = ray.get_runtime_context().gcs_address
        return RayRuntime(ctx_address, False, ray.util.get_node_ip_address(), _resources())

    kwargs: dict[str, Any] = {"namespace": cfg.namespace, "log_to_driver": True}
    if address is None:
        kwargs.update(
            # "local" always starts a new cluster: without it ray.init joins any cluster
            # that `ray start` left on this machine (and another user's job with it).
            address="local",
            num_cpus=cfg.num_cpus,
            num_gpus=cfg.num_gpus,
            include_dashboard=cfg.include_dashboard,
        )
        if cfg.include_dashboard:
            kwargs["dashboard_host"] = LOOPBACK if cfg.loopback_only else "0.0.0.0"
        if cfg.object_store_memory_mb:
            kwargs["object_store_memory"] = cfg.object_store_memory_mb * 1024 * 1024
    else:
        kwargs["address"] = address
    context = ray.init(**kwargs)
    info = context.address_info
    runtime = RayRuntime(
        address=info.get("gcs_address", address or ""),
        started_locally=address is None,
        node_ip=info.get("node_ip_address", ""),
        resources=_resources(),
    )
    log.info(
        "ray %s at %s (node %s)",
        "started" if address is None else "joined",
        runtime.address,
        runtime.node_ip,
    )
    return runtime


def stop_ray() -> None:
    """Disconnect from Ray; a cluster this process started goes down with it."""
    import ray

    if ray.is_initialized():
        ray.shutdown()


@contextmanager
def ray_session(cfg: RayConfig) -> Iterator[RayRuntime]:
    """`with ray_session(cfg.ray) as rt:` — start/join Ray for the block, always clean up."""
    runtime = start_ray(cfg)
    try:
        yield runtime
    finally:
        stop_ray()


def _resources() -> dict[str, float]:
    import ray

    return {
        k: float(v) for k, v in sorted(ray.cluster_resources().items()) if not k.startswith("node:")
    }
