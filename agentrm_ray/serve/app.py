"""Build the Serve application from config and run it on the connected Ray cluster."""

from __future__ import annotations

import logging
from typing import Any

from ray import serve
from ray.serve import Application
from ray.serve.schema import LoggingConfig

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import AutoscalingConfig, ServeIngress, ServeRuntimeConfig
from agentrm_ray.serve import haproxy_ingress, proxy_errors
from agentrm_ray.serve.api import IngressSettings
from agentrm_ray.serve.auth import check_exposure
from agentrm_ray.serve.deployments import SearchBackend, SearchIngress, SearchServer
from agentrm_ray.serve.loopback import is_loopback_host

log = logging.getLogger(__name__)

APP_NAME = "agentrm-search"
BACKEND_MAX_ONGOING = 1024  # searches queue inside the service (search.max_concurrent_tasks)
INGRESS_MIN_MAX_ONGOING = 64
# ray._common.constants.HEAD_NODE_RESOURCE_NAME: one unit of it on every head node, none elsewhere.
HEAD_NODE_RESOURCE = "node:__internal_head__"


def is_split(auto: AutoscalingConfig) -> bool:
    """Whether the HTTP layer scales apart from the pools (else one replica does both)."""
    return not auto.min_replicas == auto.max_replicas == 1


def serve_environment(rt: ServeRuntimeConfig) -> dict[str, str]:
    """`serve.runtime` as the `RAY_SERVE_*` variables Ray Serve 2.60 reads when its processes
    start (not per call). Every switch is set both ways, so a stray variable in the shell that
    started Ray cannot change how the app runs."""
    env = {
        "RAY_SERVE_RUN_USER_CODE_IN_SEPARATE_THREAD": "0" if rt.user_code_on_main_loop else "1",
        "RAY_SERVE_RUN_ROUTER_IN_SEPARATE_LOOP": "0" if rt.router_on_main_loop else "1",
        "RAY_SERVE_PROXY_USE_GRPC": "1" if rt.proxy_grpc else "0",
    }
    haproxy = haproxy_ingress.effective_ingress(rt.ingress) is ServeIngress.haproxy
    for name in (haproxy_ingress.ENABLE_ENV, haproxy_ingress.DIRECT_INGRESS_ENV):
        env[name] = "1" if haproxy else "0"
    env[haproxy_ingress.STATS_PORT_ENV] = str(rt.haproxy_stats_port)
    env[haproxy_ingress.METRICS_PORT_ENV] = str(rt.haproxy_metrics_port)
    env[haproxy_ingress.FALLBACK_PORT_ENV] = str(rt.fallback_proxy_port)
    env[haproxy_ingress.DRAIN_ENV] = str(rt.ingress_drain_s)
    if rt.retryable_replica_loss:
        env[proxy_errors.CALLBACK_ENV] = proxy_errors.CALLBACK
    return env


def with_effective_ingress(cfg: RootConfig) -> RootConfig:
    """`cfg` with `serve.runtime.ingress: auto` decided (`haproxy_ingress.effective_ingress`),
    so Serve's controller, the replicas and whoever reports the choice see one decision."""
    ingress = haproxy_ingress.effective_ingress(cfg.serve.runtime.ingress)
    if ingress is cfg.serve.runtime.ingress:
        return cfg
    decided = cfg.model_copy(deep=True)
    decided.serve.runtime.ingress = ingress
    return decided


def http_stays_on_head_node(cfg: RootConfig) -> bool:
    """Whether HAProxy and the replicas serving HTTP must share the head node.

    HAProxy reaches an ingress replica on its own node through loopback but one on another node
    at that node's address, while the replica listens on serve.host: with a loopback host, a
    replica off HAProxy's node is unreachable and every request fell back to Ray's Python proxy
    (measured on a two-node cluster: /healthz p50 5.8-7.3 ms instead of 1.9-2.3 ms). A loopback
    service is for programs on the head node anyway (cluster.yaml tunnels to it), so HAProxy
    runs there alone and those replicas are pinned there; the pools' actors still go anywhere."""
    return (haproxy_ingress.effective_ingress(cfg.serve.runtime.ingress) is ServeIngress.haproxy
            and is_loopback_host(cfg.serve.host))


def _actor_options(cfg: RootConfig, serves_http: bool) -> dict[str, Any]:
    """No CPU reserved; `serve.runtime`'s switches in the replica's environment; the head node
    for a replica serving HTTP where `http_stays_on_head_node`.

    On top of the job's runtime_env: for a deployment that sets a runtime_env of its own, Serve
    keeps only the job's working_dir (`ray.serve._private.build_app._set_default_runtime_env`).
    """
    runtime_env = _job_runtime_env()
    runtime_env["env_vars"] = {**runtime_env.get("env_vars", {}),
                               **serve_environment(cfg.serve.runtime)}
    options: dict[str, Any] = {"num_cpus": 0, "runtime_env": runtime_env}
    if serves_http and http_stays_on_head_node(cfg):
        options["resources"] = {HEAD_NODE_RESOURCE: 0.001}
    return options


def _job_runtime_env() -> dict[str, Any]:
    import ray

    return dict(ray.get_runtime_context().runtime_env) if ray.is_initialized() else {}


def build_application(cfg: RootConfig, auth_digest: str | None = None,
                      admin_digest: str | None = None) -> Application:
    """One `SearchServer` replica, or an autoscaled ingress -> one backend owning the pools.

    The budget caps are `serve.limits`; `serve.autoscaling` picks the layout (`is_split`).
    """
    settings = IngressSettings.from_config(cfg, auth_digest, admin_digest)
    default_max_steps = min(cfg.tasks.max_steps, cfg.serve.limits.max_steps)
    auto = cfg.serve.autoscaling
    if not is_split(auto):
        return serve.deployment(SearchServer).options(
            name="SearchServer",
            num_replicas=1,
            max_ongoing_requests=BACKEND_MAX_ONGOING,
            ray_actor_options=_actor_options(cfg, serves_http=True),
        ).bind(cfg, settings, default_max_steps)
    backend = serve.deployment(SearchBackend).options(
        name="SearchBackend",
        num_replicas=1,
        max_ongoing_requests=BACKEND_MAX_ONGOING,
        ray_actor_options=_actor_options(cfg, serves_http=False),
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
        ray_actor_options=_actor_options(cfg, serves_http=True),
    ).bind(backend, settings)


def start_search_app(cfg: RootConfig, auth_digest: str | None = None,
                     admin_digest: str | None = None) -> str:
    """Start Serve's HTTP ingress (proxy or HAProxy) on serve.host:serve.port and deploy;
    returns the base URL.

    `serve.runtime` goes into the environment of Serve's controller, and so of the proxy it
    starts (an actor created without a runtime_env runs in its parent's), and of the replicas
    (`_actor_options`); like http_options it applies when this call starts Serve, not to a
    Serve instance already running. Blocks until every replica is up (the pools load the
    models first).
    """
    check_exposure(cfg.serve, auth_digest)
    asked = cfg.serve.runtime.ingress
    cfg = with_effective_ingress(cfg)
    rt = cfg.serve.runtime
    haproxy = rt.ingress is ServeIngress.haproxy
    if haproxy:
        haproxy_ingress.require_haproxy_binary()
    log.info("Serve ingress: %s (serve.runtime.ingress=%s)", rt.ingress.value, asked.value)
    controller_env = {**serve_environment(rt), **haproxy_ingress.controller_environment(haproxy)}
    logging_config = LoggingConfig(enable_access_log=rt.access_log)
    serve.start(http_options={"host": cfg.serve.host, "port": cfg.serve.port},
                proxy_location="HeadOnly" if http_stays_on_head_node(cfg) else None,
                logging_config=logging_config,
                controller_options={"runtime_env": {"env_vars": controller_env}})
    serve.run(build_application(cfg, auth_digest, admin_digest), name=APP_NAME,
              route_prefix=cfg.serve.route_prefix, logging_config=logging_config)
    prefix = cfg.serve.route_prefix.rstrip("/")
    return f"http://{cfg.serve.host}:{cfg.serve.port}{prefix}"


def stop_search_app() -> None:
    """Delete the application (its pools' owner stops them) and Serve itself."""
    serve.delete(APP_NAME)
    serve.shutdown()
