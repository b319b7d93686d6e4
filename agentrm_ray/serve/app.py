"""Build the Serve application from config and run it on the connected Ray cluster."""

from __future__ import annotations

from ray import serve
from ray.serve import Application

from agentrm_ray.config import RootConfig
from agentrm_ray.serve.api import IngressSettings
from agentrm_ray.serve.deployments import SearchBackend, SearchIngress
from agentrm_ray.serve.limits import ServeLimits

APP_NAME = "agentrm-search"
BACKEND_MAX_ONGOING = 1024  # searches queue inside the backend (search.max_concurrent_tasks)
INGRESS_MIN_MAX_ONGOING = 64


def build_application(cfg: RootConfig, auth_digest: str | None = None,
                      limits: ServeLimits | None = None) -> Application:
    """Ingress (autoscaled from serve.autoscaling) -> one backend owning the actor pools."""
    limits = limits or ServeLimits()
    auto = cfg.serve.autoscaling
    backend = serve.deployment(SearchBackend).options(
        name="SearchBackend",
        num_replicas=1,
        max_ongoing_requests=BACKEND_MAX_ONGOING,
        ray_actor_options={"num_cpus": 0},
    ).bind(cfg, min(cfg.tasks.max_steps, limits.max_steps))
    settings = IngressSettings(reward_method=cfg.reward.method.value,
                               max_request_bytes=cfg.serve.max_request_bytes,
                               auth_digest=auth_digest, limits=limits)
    ingress = serve.deployment(SearchIngress).options(
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
    return ingress


def start_search_app(cfg: RootConfig, auth_digest: str | None = None,
                     limits: ServeLimits | None = None) -> str:
    """Start Serve's HTTP proxy on serve.host:serve.port and deploy; returns the base URL.

    Blocks until every replica is up (the backend loads the models first).
    """
    serve.start(http_options={"host": cfg.serve.host, "port": cfg.serve.port})
    serve.run(build_application(cfg, auth_digest, limits), name=APP_NAME,
              route_prefix=cfg.serve.route_prefix)
    prefix = cfg.serve.route_prefix.rstrip("/")
    return f"http://{cfg.serve.host}:{cfg.serve.port}{prefix}"


def stop_search_app() -> None:
    """Delete the application (its backend stops the actor pools) and Serve itself."""
    serve.delete(APP_NAME)
    serve.shutdown()
