"""Build the Serve application from config and run it on the connected Ray cluster."""

from __future__ import annotations

from ray import serve
from ray.serve import Application

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import AutoscalingConfig
from agentrm_ray.serve.api import IngressSettings
from agentrm_ray.serve.deployments import SearchBackend, SearchIngress, SearchServer

APP_NAME = "agentrm-search"
BACKEND_MAX_ONGOING = 1024  # searches queue inside the service (search.max_concurrent_tasks)
INGRESS_MIN_MAX_ONGOING = 64


def is_split(auto: AutoscalingConfig) -> bool:
    """Whether the HTTP layer scales apart from the pools (else one replica does both)."""
    return not auto.min_replicas == auto.max_replicas == 1


def build_application(cfg: RootConfig, auth_digest: str | None = None) -> Application:
    """One `SearchServer` replica, or an autoscaled ingress -> one backend owning the pools.

    The budget caps are `serve.limits`; `serve.autoscaling` picks the layout (`is_split`).
    """
    settings = IngressSettings.from_config(cfg, auth_digest)
    default_max_steps = min(cfg.tasks.max_steps, cfg.serve.limits.max_steps)
    auto = cfg.serve.autoscaling
    if not is_split(auto):
        return serve.deployment(SearchServer).options(
            name="SearchServer",
            num_replicas=1,
            max_ongoing_requests=BACKEND_MAX_ONGOING,
            ray_actor_options={"num_cpus": 0},
        ).bind(cfg, settings, default_max_steps)
    backend = serve.deployment(SearchBackend).options(
        name="SearchBackend",
        num_replicas=1,
        max_ongoing_requests=BACKEND_MAX_ONGOING,
        ray_actor_options={"num_cpus": 0},
    ).bind(cfg, default_max_steps)
    return serve.deployment(SearchIngress).options(
        name="SearchIngress",
        autoscaling_config={
            "min_replicas": auto.min_replicas,
            "max_replicas": auto.max_replicas,
            "target_ongoing_requests": auto.target_ongoing_requests,
        },
        max_ongoing_requests=max(INGRESS_MIN_MAX_ONGOING,
                                 int(4 * auto.target_ongoing_requests)),
        ray_actor_options={"num_cpus": 0},
    ).bind(backend, settings)


def start_search_app(cfg: RootConfig, auth_digest: str | None = None) -> str:
    """Start Serve's HTTP proxy on serve.host:serve.port and deploy; returns the base URL.

    Blocks until every replica is up (the pools load the models first).
    """
    serve.start(http_options={"host": cfg.serve.host, "port": cfg.serve.port})
    serve.run(build_application(cfg, auth_digest), name=APP_NAME,
              route_prefix=cfg.serve.route_prefix)
    prefix = cfg.serve.route_prefix.rstrip("/")
    return f"http://{cfg.serve.host}:{cfg.serve.port}{prefix}"


def stop_search_app() -> None:
    """Delete the application (its pools' owner stops them) and Serve itself."""
    serve.delete(APP_NAME)
    serve.shutdown()
