"""`agentrm-ray serve` as a process: starts, answers, stops cleanly on SIGTERM; token sources."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest
from netutil import free_port

from agentrm_ray.config.models import ServeConfig
from agentrm_ray.serve.auth import (
    AuthConfigError,
    check_exposure,
    load_admin_token,
    load_token,
    token_digest,
)

# The lead wires `serve` into agentrm_ray.cli.main; until then the test mounts it itself.
CLI = ("import typer; from agentrm_ray.cli import serve_cmd; app = typer.Typer(); "
       "app.command('serve')(serve_cmd.serve); app.command('noop')(lambda: None); app()")


def _serve_cmd(*args: str) -> list[str]:
    return [sys.executable, "-c", CLI, "serve", *args]


def test_token_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_token(ServeConfig()) is None  # auth off
    monkeypatch.setenv("AGENTRM_TEST_TOKEN", " abc ")
    assert load_token(ServeConfig(auth_token_env="AGENTRM_TEST_TOKEN")) == "abc"
    monkeypatch.setenv("AGENTRM_TEST_TOKEN", "")
    with pytest.raises(AuthConfigError, match=r"\$AGENTRM_TEST_TOKEN"):
        load_token(ServeConfig(auth_token_env="AGENTRM_TEST_TOKEN"))
    token_file = tmp_path / "token"
    token_file.write_text("from-file\n")
    assert load_token(ServeConfig(auth_token_env="AGENTRM_TEST_TOKEN"), token_file) == "from-file"
    token_file.write_text("")
    with pytest.raises(AuthConfigError, match="empty"):
        load_token(ServeConfig(), token_file)


def test_missing_token_is_a_user_error_before_ray_starts() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_TOKEN_VAR"}
    proc = subprocess.run(_serve_cmd("--set", "serve.auth_token_env=NO_SUCH_TOKEN_VAR"),
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2 and "NO_SUCH_TOKEN_VAR" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_admin_token_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert load_admin_token(ServeConfig()) is None
    monkeypatch.setenv("AGENTRM_TEST_ADMIN", "adm")
    assert load_admin_token(ServeConfig(admin_token_env="AGENTRM_TEST_ADMIN")) == "adm"
    (tmp_path / "admin").write_text("")
    with pytest.raises(AuthConfigError, match="--admin-token-file .* is empty"):
        load_admin_token(ServeConfig(), tmp_path / "admin")


def test_an_open_server_off_loopback_needs_an_explicit_yes() -> None:
    check_exposure(ServeConfig(), None)  # loopback, auth off: fine
    check_exposure(ServeConfig(host="0.0.0.0"), token_digest("t"))  # auth on: fine
    check_exposure(ServeConfig(host="0.0.0.0", allow_unauthenticated=True), None)
    with pytest.raises(AuthConfigError, match="--allow-unauthenticated"):
        check_exposure(ServeConfig(host="0.0.0.0"), None)


def test_serving_off_loopback_without_auth_is_refused_before_ray_starts() -> None:
    proc = subprocess.run(_serve_cmd("--host", "0.0.0.0"), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "--allow-unauthenticated" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.integration
@pytest.mark.solo
def test_serve_command_serves_until_sigterm(tiny_model: str, tmp_path: Path) -> None:
    port = free_port()
    token_file = tmp_path / "token"
    token_file.write_text("cli-secret\n")
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(_serve_cmd(
            "--port", str(port), "--auth-token-file", str(token_file),
            "--set", f"policy.model={tiny_model}", "--set", "policy.backend=hf",
            "--set", "policy.sampling.max_tokens=8", "--set", "reward.method=oracle",
            "--set", "ray.num_cpus=2", "--set", "tasks.max_steps=2",
            "--set", "policy.num_cpus_per_replica=0.5"),
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 240
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        assert httpx.get(f"{url}/v1/envs").status_code == 401
        auth = {"Authorization": "Bearer cli-secret"}
        r = httpx.post(f"{url}/v1/search", headers=auth, timeout=120, json={
            "task": {"env_id": "maze", "task_id": "double-t-01"},
            "strategy": {"name": "beam", "width": 1, "expansions": 2}})
        assert r.status_code == 200 and r.json()["result"]["error"] is None, r.text
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(90) == 0, log.read_text()[-3000:]
        assert "serving on http://127.0.0.1:" in log.read_text()
        assert "ingress: haproxy)" in log.read_text()  # auto, decided: Linux has the binary
        time.sleep(2)
        assert [c.pid for c in children if c.is_running() and c.status() != "zombie"] == []
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
