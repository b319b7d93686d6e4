"""Serve the search app (HAProxy ingress, loopback host) on a 2-node cluster; print a JSON report.

Used by test_multinode_serve.py in a subprocess, so its cluster never meets the test session's
own Ray. The second node has a loopback address of its own, 127.0.0.2, as a second machine has
an address of its own: HAProxy on the head would connect to a replica there at 127.0.0.2, while
the replica listens on serve.host, 127.0.0.1 (traffic stays on the loopback interface). Each
node has 1 CPU; the policy replica and the env worker want 1 CPU each, so the stack spans both
nodes.

    python tests/cluster/multinode_serve.py TINY_MODEL_DIR [KEY=VALUE ...]

Extra arguments are config overrides (e.g. serve.runtime.ingress_drain_s=30, Ray's own drain).
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import ray
from ray.cluster_utils import Cluster

from agentrm_ray.config import load_config
from agentrm_ray.runtime import apply_loopback_environment
from agentrm_ray.serve.app import start_search_app, stop_search_app

sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/, for netutil when run as a script
from netutil import free_ports

FAR_NODE_IP = "127.0.0.2"
SEARCH = {"task": {"env_id": "agentrm/Maze-v0", "task_id": "double-t-01"},
          "strategy": {"name": "greedy"}, "seed": 3, "limits": {"max_steps": 2}}


def http_replica_node() -> str:
    names = [a for a in ray.util.list_named_actors(all_namespaces=True)
             if a["name"].startswith("SERVE_REPLICA::") and "#SearchServer#" in a["name"]]
    assert len(names) == 1, names
    handle = ray.get_actor(names[0]["name"], namespace=names[0]["namespace"])
    return ray.get(handle.__ray_call__.remote(
        lambda _: ray.get_runtime_context().get_node_id()))


def haproxy_servers(stats_port: int) -> list[dict[str, Any]]:
    """HAProxy's own account of the app's servers: name, status, requests served."""
    text = httpx.get(f"http://127.0.0.1:{stats_port}/stats;csv").text
    rows = csv.DictReader(io.StringIO(text.removeprefix("# ")))
    return [{"server": r["svname"], "status": r["status"], "requests": int(r["stot"] or 0)}
            for r in rows if r["pxname"].startswith("http-") and r["svname"] != "BACKEND"]


def main(model: str, overrides: list[str]) -> None:
    port, stats_port, metrics_port, fallback_port = free_ports(4)
    cfg = load_config(overrides=[
        f"policy.model={model}", "policy.backend=hf", "policy.sampling.max_tokens=12",
        "policy.num_cpus_per_replica=1", "envs.num_cpus_per_worker=1", "reward.method=oracle",
        "tasks.max_steps=3", f"serve.port={port}", "serve.runtime.ingress=haproxy",
        f"serve.runtime.haproxy_stats_port={stats_port}",
        f"serve.runtime.haproxy_metrics_port={metrics_port}",
        f"serve.runtime.fallback_proxy_port={fallback_port}", *overrides,
    ])
    apply_loopback_environment()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    far = cluster.add_node(num_cpus=1, node_ip_address=FAR_NODE_IP)
    try:
        ray.init(address=cluster.address, namespace="agentrm-multinode-serve")
        cluster.wait_for_nodes()
        url = start_search_app(cfg)
        report: dict[str, Any] = {"head": cluster.head_node.node_id, "far": far.node_id,
                                  "node_ips": sorted(n["NodeManagerAddress"] for n in ray.nodes())}
        with httpx.Client(base_url=url, timeout=120) as client:
            searches = [client.post("/v1/search", json=SEARCH) for _ in range(2)]
            report["search_statuses"] = [r.status_code for r in searches]
            report["results"] = [r.json().get("result") for r in searches]
            took = []
            for _ in range(20):
                start = time.perf_counter()
                client.get("/healthz").raise_for_status()
                took.append(time.perf_counter() - start)
        report["healthz_p50_ms"] = 1000 * statistics.median(took)
        report["http_replica_node"] = http_replica_node()
        report["haproxy_servers"] = haproxy_servers(stats_port)
        started = time.monotonic()
        stop_search_app()
        report["stop_s"] = time.monotonic() - started
        print("MULTINODE-SERVE-REPORT " + json.dumps(report))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
