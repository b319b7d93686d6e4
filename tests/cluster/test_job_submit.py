"""`ray job submit -- agentrm-ray run …` against a real (local, loopback) Ray cluster.

It follows the README's recipe step by step: a token made with `ray get-auth-token --generate`,
`RAY_AUTH_MODE=token` on the head and on the submitting side, `--working-dir` holding the
config and suite (with excludes), and `agentrm-ray` found on the node's PATH. The token lives
under this test's own HOME, never the user's ~/.ray.

The cluster is started with `ray start --head --block` in its own process group and stopped by
signalling that group (plus a sweep for processes under this test's unique --temp-dir). Not
`ray stop --force`: that kills every Ray process of the user on the machine, including other
clusters that have nothing to do with this test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil
import pytest
from netutil import free_ports, is_loopback

pytestmark = [pytest.mark.integration, pytest.mark.solo]

BIN = Path(sys.executable).parent


def _env(home: Path, *, token_auth: bool = True) -> dict[str, str]:
    """The shell of the README's recipe; `token_auth=False` is a shell that forgot the export."""
    env = dict(os.environ)
    # Loopback-only node (see agentrm_ray.runtime).
    env.update(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0", RAY_USAGE_STATS_ENABLED="0",
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    for key in ("RAY_ADDRESS", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH"):
        env.pop(key, None)
    if token_auth:
        env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(home / ".ray" / "auth_token"))
    else:
        env["HOME"] = str(home.parent / "elsewhere")
    return env


def _make_token(home: Path) -> None:
    """`ray get-auth-token --generate`, as the README says, into this test's HOME."""
    home.mkdir()
    proc = subprocess.run([str(BIN / "ray"), "get-auth-token", "--generate"],
                          env={**_env(home, token_auth=False), "HOME": str(home)},
                          capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (home / ".ray" / "auth_token").read_text().strip()


def _job_dir(tmp_path: Path, tiny_model: str) -> Path:
    """What `--working-dir` uploads: a config and a suite, plus a runs/ folder it excludes."""
    job = tmp_path / "job"
    (job / "runs").mkdir(parents=True)
    (job / "runs" / "big.bin").write_bytes(b"x" * 1024)
    (job / "suite.yaml").write_text("name: job-suite\nseed: 0\nfamilies:\n  maze: 2\n")
    (job / "my.yaml").write_text(
        "search:\n  strategy: greedy\n"
        "tasks:\n  suite: suite.yaml\n  limit_per_family: null\n  max_steps: 3\n"
        f"policy:\n  model: {tiny_model}\n  backend: hf\n  num_cpus_per_replica: 0.5\n"
        "  sampling:\n    max_tokens: 12\n")
    return job


def _cluster_processes(temp_dir: str) -> list[psutil.Process]:
    """Processes of the cluster this test started: their command lines name its temp dir."""
    return [p for p in psutil.process_iter(["cmdline"])
            if any(temp_dir in part for part in p.info["cmdline"] or [])]


def _listeners(proc: psutil.Process) -> list:
    try:
        return [c for c in proc.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    except psutil.Error:
        return []


def _stop_cluster(head: subprocess.Popen, temp_dir: str) -> None:
    """Stop only this cluster: its process group, then anything left under its temp dir."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if head.poll() is None:
            try:
                os.killpg(head.pid, sig)
                head.wait(wait_s)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
    for proc in _cluster_processes(temp_dir):
        with contextlib.suppress(psutil.Error):
            proc.kill()
    shutil.rmtree(temp_dir, ignore_errors=True)


def _wait_for_dashboard(url: str, head: subprocess.Popen, log: Path,
                        timeout_s: float = 120) -> None:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if head.poll() is not None:
            raise AssertionError("ray start --head exited early:\n" + log.read_text()[-3000:])
        try:
            # 401 is an answer too: the job server is up and wants the token.
            if httpx.get(f"{url}/api/version", timeout=2).status_code in (200, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("the dashboard / job server did not come up")


# The job server answers before the head's dashboard agent has registered; until then a
# submission fails with this (Ray: "please try again later"), as it would for a user.
NO_AGENT_YET = "No available agent to submit job"


def _submit_when_an_agent_is_up(cmd: list[str], env: dict[str, str], tries: int = 12
                                ) -> subprocess.CompletedProcess[str]:
    """`ray job submit`, retried only while the head reports no agent to run it yet."""
    for _ in range(tries):
        submit = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=480)
        if submit.returncode == 0 or NO_AGENT_YET not in submit.stderr + submit.stdout:
            return submit
        time.sleep(5)
    return submit


def test_ray_job_submit_runs_a_search(tiny_model: str, tmp_path: Path) -> None:
    gcs, dashboard, client, agent_http, agent_grpc, metrics = free_ports(6)
    temp_dir = tempfile.mkdtemp(prefix="arj", dir="/tmp")  # short: Ray's socket paths
    home = tmp_path / "home"
    _make_token(home)
    job = _job_dir(tmp_path, tiny_model)
    out = tmp_path / "run"
    log = tmp_path / "ray-start.log"
    with log.open("w") as log_file:  # the child keeps its own copy of the descriptor
        head = subprocess.Popen(
            [str(BIN / "ray"), "start", "--head", "--block", "--node-ip-address=127.0.0.1",
             f"--port={gcs}", "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard}",
             f"--ray-client-server-port={client}", f"--dashboard-agent-listen-port={agent_http}",
             f"--dashboard-agent-grpc-port={agent_grpc}", f"--metrics-export-port={metrics}",
             "--num-cpus=2", f"--temp-dir={temp_dir}", "--include-dashboard=true"],
            env=_env(home), stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True)
    url = f"http://127.0.0.1:{dashboard}"
    try:
        _wait_for_dashboard(url, head, log)
        runtime_env = {"env_vars": {"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"},
                       "excludes": ["runs/"]}
        submit_cmd = [str(BIN / "ray"), "job", "submit", "--address", url,
                      "--working-dir", str(job), "--runtime-env-json", json.dumps(runtime_env),
                      "--", "agentrm-ray", "run", "-c", "my.yaml", "--output", str(out)]
        # The review's failure: a shell without RAY_AUTH_MODE=token is turned away.
        refused = subprocess.run(submit_cmd, env=_env(home, token_auth=False),
                                 capture_output=True, text=True, timeout=120)
        assert refused.returncode != 0
        assert "token" in (refused.stdout + refused.stderr).lower()
        submit = _submit_when_an_agent_is_up(submit_cmd, _env(home))
        assert submit.returncode == 0, submit.stdout[-3000:] + submit.stderr[-3000:]
        assert "succeeded" in submit.stdout.lower(), submit.stdout[-3000:]
        records = [json.loads(x) for x in (out / "results.jsonl").read_text().splitlines()]
        assert len(records) == 2 and all(r["error"] is None for r in records)
        assert {r["task"]["env_id"] for r in records} == {"agentrm/Maze-v0"}
        assert all(r["strategy"] == "greedy" and r["best"]["steps"] for r in records)
        assert (out / "summary.json").is_file()
        # It ran on the cluster we started: the job server knows the job and says it succeeded.
        token = (home / ".ray" / "auth_token").read_text().strip()
        jobs = httpx.get(f"{url}/api/jobs/", timeout=10,
                         headers={"Authorization": f"Bearer {token}"}).json()
        assert [j["status"] for j in jobs] == ["SUCCEEDED"]
        # runs/ stayed home: the uploaded package holds the config and suite only.
        uploaded = [p.name for p in Path(temp_dir).rglob("*") if p.name == "big.bin"]
        assert uploaded == []
        assert httpx.get(f"{url}/api/jobs/", timeout=10).status_code in (401, 403)
        exposed = [(c.laddr.ip, c.laddr.port) for p in _cluster_processes(temp_dir)
                   for c in _listeners(p) if not is_loopback(c.laddr.ip)]
        assert exposed == [], f"cluster listeners off loopback: {exposed}"
    finally:
        _stop_cluster(head, temp_dir)
    assert _cluster_processes(temp_dir) == []
