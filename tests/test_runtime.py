"""The runtime starts a real local Ray cluster whose listeners are all on loopback."""

from __future__ import annotations

import os

import psutil
import pytest
from netutil import is_loopback, listening_sockets_of_process_tree

pytestmark = pytest.mark.integration


def test_local_ray_listens_only_on_loopback(ray_cluster) -> None:
    import ray

    @ray.remote
    def ping() -> str:
        return "pong"

    assert ray.get(ping.remote()) == "pong"  # workers are up, so their servers are listening
    assert ray_cluster.started_locally and ray_cluster.node_ip == "127.0.0.1"
    sockets = listening_sockets_of_process_tree(os.getpid())
    names = {name for _, _, name in sockets}
    assert any("gcs_server" in n for n in names) and any("raylet" in n for n in names), names
    exposed = [s for s in sockets if not is_loopback(s[0])]
    assert exposed == [], f"listeners off loopback: {exposed}"


def test_cluster_resources_are_reported(ray_cluster) -> None:
    assert ray_cluster.resources.get("CPU") == 2.0


def test_ray_address_env_means_join_not_start(monkeypatch) -> None:
    from agentrm_ray.config.models import RayConfig
    from agentrm_ray.runtime import cluster_address_from_env

    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert cluster_address_from_env(RayConfig()) == "127.0.0.1:6379"
    assert cluster_address_from_env(RayConfig(address="auto")) == "auto"
    monkeypatch.delenv("RAY_ADDRESS")
    assert cluster_address_from_env(RayConfig()) is None


def test_a_run_never_joins_a_cluster_it_did_not_ask_for() -> None:
    """With a `ray start` cluster on the machine, a local run still starts its own cluster."""
    import shutil
    import subprocess
    import sys
    import tempfile

    temp_dir = tempfile.mkdtemp(prefix="r", dir="/tmp")  # short: Ray's socket paths are long

    env = {**os.environ, "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
    env.pop("RAY_ADDRESS", None)
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    started = subprocess.run(
        [ray_bin, "start", "--head", "--port=0", "--num-cpus=1", "--include-dashboard=false",
         "--node-ip-address=127.0.0.1", "--resources={\"foreign_cluster\": 1}",
         f"--temp-dir={temp_dir}"],
        env=env, capture_output=True, text=True, timeout=120)
    try:
        assert started.returncode == 0, started.stderr
        code = (
            "from agentrm_ray.config.models import RayConfig;"
            "from agentrm_ray.runtime import ray_session;"
            "import ray\n"
            "with ray_session(RayConfig(num_cpus=1)) as rt:\n"
            "    print(rt.started_locally, 'foreign_cluster' in ray.cluster_resources())"
        )
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, timeout=180)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stdout.strip().endswith("True False")
    finally:  # stop only that cluster (`ray stop` would stop every Ray on the machine)
        for proc in psutil.process_iter(["cmdline"]):
            if temp_dir in " ".join(proc.info["cmdline"] or []):
                proc.kill()
        shutil.rmtree(temp_dir, ignore_errors=True)
