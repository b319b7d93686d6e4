"""`serve.runtime.ingress=haproxy`: how Ray's HAProxy config template is held to loopback and
to a retryable 503, and how the switch reaches Serve's processes. No Ray runtime here: the last
tests run the real HAProxy binary with the rewritten config in front of a dying replica; the
whole stack runs in tests/serve/test_serve_http.py and tests/chaos/test_serve_replica_kill.py."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
from fakes import fake_config

from agentrm_ray.config.models import ServeIngress
from agentrm_ray.errors import AgentRMError
from agentrm_ray.serve import haproxy_ingress, proxy_errors
from agentrm_ray.serve.app import serve_environment
from agentrm_ray.serve.errors import RETRY_AFTER_S


def ray_template() -> str:
    from ray.serve._private.haproxy_templates import HAPROXY_CONFIG_TEMPLATE

    return HAPROXY_CONFIG_TEMPLATE


def bind_lines(template: str) -> list[str]:
    return [line.strip() for line in template.splitlines() if line.strip().startswith("bind ")]


def test_rays_template_binds_stats_and_metrics_on_every_interface() -> None:
    """The premise: if Ray fixes this, the rewrite (and this module) can go."""
    binds = bind_lines(ray_template())
    assert "bind :{{ config.metrics_port }}" in binds
    assert "bind *:{{ config.stats_port }}" in binds


def test_every_listener_binds_where_the_http_frontend_binds_and_stats_on_loopback() -> None:
    rewritten = haproxy_ingress.rewrite_template(ray_template(), error_file=None)
    binds = bind_lines(rewritten)
    assert len(binds) == len(bind_lines(ray_template()))
    assert "bind 127.0.0.1:{{ config.stats_port }}" in binds  # whatever serve.host says
    for line in binds:
        if "stats_port" not in line:
            assert re.match(r"bind \{\{ config\.(grpc_)?frontend_host \}\}:", line), line


def test_replica_loss_answers_a_retryable_503_not_a_bare_500() -> None:
    original = ray_template()
    assert "errorfile 502 {{ config.error_file_path }}" in original
    rewritten = haproxy_ingress.rewrite_template(original, error_file="/tmp/x.http")
    assert "errorfile 502 /tmp/x.http" in rewritten
    assert "errorfile 503 /tmp/x.http" in rewritten
    assert "errorfile 504 {{ config.error_file_path }}" in rewritten  # a timeout stays Ray's
    # Without the switch, Ray's own answers stay.
    assert "errorfile 502 {{ config.error_file_path }}" in haproxy_ingress.rewrite_template(
        original, error_file=None)


def test_a_changed_template_is_refused_not_served_with_open_ports() -> None:
    changed = ray_template().replace("bind *:{{ config.stats_port }}", "bind :8404")
    with pytest.raises(RuntimeError, match="serve.runtime.ingress=proxy"):
        haproxy_ingress.rewrite_template(changed, error_file=None)


def test_the_replica_lost_answer_is_a_complete_http_response() -> None:
    raw = haproxy_ingress.replica_lost_response()
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 503 Service Unavailable"
    headers = dict(line.split(": ", 1) for line in lines[1:])
    assert headers["Retry-After"] == str(RETRY_AFTER_S)
    assert int(headers["Content-Length"]) == len(body)
    assert json.loads(body)["detail"] == proxy_errors.DETAIL


def test_the_setup_hook_variable_is_rays() -> None:
    from ray._private import ray_constants

    assert haproxy_ingress.SETUP_HOOK_ENV == ray_constants.WORKER_PROCESS_SETUP_HOOK_ENV_VAR
    module, _, name = haproxy_ingress.SETUP_HOOK.rpartition(".")
    assert getattr(__import__(module, fromlist=[name]), name) is \
        haproxy_ingress.patch_haproxy_template


def test_the_switch_reaches_serve_both_ways() -> None:
    proxy = fake_config(serve__runtime__ingress="proxy").serve.runtime
    haproxy = fake_config(serve__runtime__ingress="haproxy").serve.runtime
    assert serve_environment(proxy)[haproxy_ingress.ENABLE_ENV] == "0"
    assert serve_environment(proxy)[haproxy_ingress.DIRECT_INGRESS_ENV] == "0"
    assert serve_environment(haproxy)[haproxy_ingress.ENABLE_ENV] == "1"
    assert serve_environment(haproxy)[haproxy_ingress.DIRECT_INGRESS_ENV] == "1"
    assert haproxy_ingress.controller_environment(False) == {}
    assert haproxy_ingress.controller_environment(True) == {
        haproxy_ingress.SETUP_HOOK_ENV: haproxy_ingress.SETUP_HOOK}


def test_haproxys_ports_come_from_the_config_under_rays_names() -> None:
    from ray.serve._private import constants

    for name in (haproxy_ingress.STATS_PORT_ENV, haproxy_ingress.METRICS_PORT_ENV,
                 haproxy_ingress.FALLBACK_PORT_ENV):
        assert hasattr(constants, name), name  # the variable Ray reads has that name
    rt = fake_config(serve__runtime__ingress="haproxy", serve__runtime__haproxy_stats_port=18404,
                     serve__runtime__haproxy_metrics_port=19101,
                     serve__runtime__fallback_proxy_port=18500).serve.runtime
    env = serve_environment(rt)
    assert env[haproxy_ingress.STATS_PORT_ENV] == "18404"
    assert env[haproxy_ingress.METRICS_PORT_ENV] == "19101"
    assert env[haproxy_ingress.FALLBACK_PORT_ENV] == "18500"


def test_a_stopping_ingress_replica_drains_for_the_configured_window() -> None:
    from ray.serve._private import constants

    assert hasattr(constants, haproxy_ingress.DRAIN_ENV)  # the variable Ray reads has that name
    assert serve_environment(fake_config().serve.runtime)[haproxy_ingress.DRAIN_ENV] == "2.0"
    rt = fake_config(serve__runtime__ingress_drain_s=7.5).serve.runtime
    assert serve_environment(rt)[haproxy_ingress.DRAIN_ENV] == "7.5"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts(host: str) -> None:
    from agentrm_ray.serve.loopback import is_loopback_host

    assert is_loopback_host(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "10.0.0.5", "head.internal"])
def test_hosts_other_machines_may_reach(host: str) -> None:
    from agentrm_ray.serve.loopback import is_loopback_host

    assert not is_loopback_host(host)


def test_http_replicas_stay_on_the_head_node_behind_haproxy_on_loopback() -> None:
    """The deterministic half of tests/cluster/test_multinode_serve.py: which replicas get
    pinned, and only where HAProxy could otherwise not reach them."""
    from ray._common.constants import HEAD_NODE_RESOURCE_NAME

    from agentrm_ray.serve.app import HEAD_NODE_RESOURCE, build_application

    assert HEAD_NODE_RESOURCE == HEAD_NODE_RESOURCE_NAME

    def pinned(**overrides: object) -> list[tuple[str, bool]]:
        app = build_application(fake_config(**overrides))._bound_deployment
        deployments = [app]
        if app.init_args and hasattr(app.init_args[0], "_bound_deployment"):
            deployments.append(app.init_args[0]._bound_deployment)  # the split layout's backend
        return [(d.name, HEAD_NODE_RESOURCE in d.ray_actor_options.get("resources", {}))
                for d in deployments]

    assert pinned(serve__runtime__ingress="haproxy") == [("SearchServer", True)]
    assert pinned() == [("SearchServer", True)]  # auto is HAProxy here
    assert pinned(serve__runtime__ingress="haproxy", serve__autoscaling__max_replicas=3) == [
        ("SearchIngress", True), ("SearchBackend", False)]
    # Any node can reach a replica listening on every interface; the Python proxy reaches it
    # through Ray, wherever it is.
    assert pinned(serve__runtime__ingress="haproxy", serve__host="0.0.0.0") == [
        ("SearchServer", False)]
    assert pinned(serve__runtime__ingress="proxy") == [("SearchServer", False)]


def test_auto_takes_haproxy_where_ray_finds_its_binary() -> None:
    assert fake_config().serve.runtime.ingress is ServeIngress.auto  # the default
    assert haproxy_ingress.find_haproxy_binary()  # ray[serve] brought it on this Linux
    assert haproxy_ingress.effective_ingress(ServeIngress.auto) is ServeIngress.haproxy
    assert serve_environment(fake_config().serve.runtime)[haproxy_ingress.ENABLE_ENV] == "1"


def test_auto_is_decided_once_for_the_whole_start() -> None:
    from agentrm_ray.serve.app import with_effective_ingress

    auto = fake_config()
    decided = with_effective_ingress(auto)
    assert decided.serve.runtime.ingress is ServeIngress.haproxy
    assert auto.serve.runtime.ingress is ServeIngress.auto  # the caller's config is untouched
    assert with_effective_ingress(decided) is decided  # nothing left to decide, no copy
    explicit = fake_config(serve__runtime__ingress="proxy")
    assert with_effective_ingress(explicit) is explicit


def test_auto_falls_back_to_the_python_proxy_without_a_binary(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ray.serve._private import haproxy

    monkeypatch.setattr(haproxy, "RAY_SERVE_HAPROXY_BINARY_PATH", "/nonexistent/haproxy")
    assert haproxy_ingress.find_haproxy_binary() is None
    assert haproxy_ingress.effective_ingress(ServeIngress.auto) is ServeIngress.proxy
    assert serve_environment(fake_config().serve.runtime)[haproxy_ingress.ENABLE_ENV] == "0"
    for explicit in (ServeIngress.proxy, ServeIngress.haproxy):
        assert haproxy_ingress.effective_ingress(explicit) is explicit


def test_a_missing_binary_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from ray.serve._private import haproxy

    monkeypatch.setattr(haproxy, "RAY_SERVE_HAPROXY_BINARY_PATH", "/nonexistent/haproxy")
    with pytest.raises(AgentRMError, match=r"RAY_SERVE_HAPROXY_BINARY_PATH.*ingress=proxy"):
        haproxy_ingress.require_haproxy_binary()


def test_the_hook_patches_rays_module(monkeypatch: pytest.MonkeyPatch,
                                      tmp_path: object) -> None:
    from ray.serve._private import haproxy

    monkeypatch.setattr(haproxy, "HAPROXY_CONFIG_TEMPLATE", ray_template())
    monkeypatch.setenv(proxy_errors.CALLBACK_ENV, proxy_errors.CALLBACK)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    haproxy_ingress.patch_haproxy_template()
    assert "bind *:" not in haproxy.HAPROXY_CONFIG_TEMPLATE
    error_file = f"{tmp_path}/{haproxy_ingress.ERROR_FILE_NAME}"
    assert f"errorfile 503 {error_file}" in haproxy.HAPROXY_CONFIG_TEMPLATE
    with open(error_file, "rb") as f:
        assert f.read() == haproxy_ingress.replica_lost_response()


# ---------------------------------------------------------------- the real HAProxy binary
# A replica that dies under a request, against HAProxy run with the `defaults` section of
# Ray's template (rendered as Ray renders it) in front of a backend configured as Ray's are.

REQUEST = b"POST /v1/search HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


def render_defaults(template: str, error_file: str) -> str:
    from jinja2 import Environment
    from ray.serve._private.haproxy import HAProxyConfig

    section = template[template.index("defaults\n"):template.index("frontend prometheus")]
    cfg = HAProxyConfig(enable_hap_optimization=False, error_file_path=error_file)
    return Environment().from_string(section).render(config=cfg)


def replica_that_answers_once(listener: socket.socket) -> None:
    """Answers the first request (keeping the connection open, as uvicorn does), then reads
    every later request and closes without an answer: a replica killed under it."""
    answered = False
    while True:
        try:
            conn, _ = listener.accept()
        except OSError:
            return  # the test closed the listener
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except ConnectionResetError:  # HAProxy closing its side hard
                    break
                if not data:
                    break
                if answered:
                    break  # dies with the request read
                answered = True
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def second_request_through_haproxy(defaults: str, tmp_path: Path) -> bytes:
    """What a keep-alive client gets for its second request once the replica has died."""
    from netutil import free_port

    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=replica_that_answers_once, args=(listener,), daemon=True).start()
    front = free_port()
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(f"global\n    maxconn 64\n{defaults}\n"
                   f"frontend http_frontend\n    bind 127.0.0.1:{front}\n"
                   "    default_backend replica\n"
                   "backend replica\n    http-reuse always\n"  # as Ray's backends
                   f"    server r 127.0.0.1:{listener.getsockname()[1]}\n")
    proc = subprocess.Popen([haproxy_ingress.require_haproxy_binary(), "-db", "-f", str(cfg)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client = socket.create_connection(("127.0.0.1", front), timeout=10)
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline and proc.poll() is None, "haproxy did not start"
                time.sleep(0.05)
        with client:
            client.sendall(REQUEST)
            assert client.recv(65536).startswith(b"HTTP/1.1 200"), "first request"
            client.sendall(REQUEST)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and answer.endswith(b"}"):
                    break
            return answer
    finally:
        proc.kill()
        proc.wait()
        listener.close()


@pytest.fixture
def error_file(tmp_path: Path) -> Path:
    """Our replica-lost answer, as `patch_haproxy_template` writes it for HAProxy."""
    path = tmp_path / "lost.http"
    path.write_bytes(haproxy_ingress.replica_lost_response())
    return path


def test_a_replica_dying_under_a_reused_connection_gets_the_503_not_a_silent_close(
        tmp_path: Path, error_file: Path) -> None:
    ours = haproxy_ingress.rewrite_template(ray_template(), error_file=str(error_file))
    answer = second_request_through_haproxy(render_defaults(ours, str(error_file)), tmp_path)
    assert answer.startswith(b"HTTP/1.1 503"), answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"] == proxy_errors.DETAIL


def test_rays_own_template_closes_such_a_request_without_an_answer(
        tmp_path: Path, error_file: Path) -> None:
    """The premise of `option http-server-close`: if HAProxy stops doing this, it can go."""
    rays = haproxy_ingress.rewrite_template(ray_template(), error_file=str(error_file)).replace(
        "\n    option http-server-close", "")
    assert second_request_through_haproxy(render_defaults(rays, str(error_file)),
                                          tmp_path) == b""
