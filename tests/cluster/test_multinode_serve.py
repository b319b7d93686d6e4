"""Serve on a 2-node cluster behind HAProxy with the default loopback host: every request is
served by HAProxy straight from the search replica, none through Ray's fallback proxy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.solo]

SCRIPT = Path(__file__).with_name("multinode_serve.py")


def test_haproxy_serves_from_the_head_node_of_a_multinode_cluster(tiny_model: str) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), tiny_model],
                          capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("MULTINODE-SERVE-REPORT ")][-1]
    report = json.loads(line.removeprefix("MULTINODE-SERVE-REPORT "))
    assert report["node_ips"] == ["127.0.0.1", "127.0.0.2"]

    # Searches over HTTP work, and agree with each other (same seed).
    assert report["search_statuses"] == [200, 200]
    first, second = report["results"]
    assert first["error"] is None and first["best"]["steps"]
    assert first["best"] == second["best"]

    # The replica serving HTTP listens on the head's loopback, where HAProxy runs...
    assert report["http_replica_node"] == report["head"]
    # ...so HAProxy sent the requests to it: it is up, and the fallback proxy served none. (Off
    # the head, HAProxy marks it DOWN and the fallback serves every request.) The counts are
    # HAProxy's since its last reload, which Serve may trigger between two requests: not exact.
    servers = {s["server"]: s for s in report["haproxy_servers"]}
    replica = [s for name, s in servers.items() if "SearchServer" in name]
    fallback = [s for name, s in servers.items() if "fallback" in name]
    assert len(replica) == 1 and replica[0]["status"] == "UP", servers
    assert replica[0]["requests"] > 0, servers
    assert all(s["requests"] == 0 for s in fallback), servers

    # Stopping the app does not wait out Ray's 30 s drain for external load balancers.
    assert report["stop_s"] < 20, report["stop_s"]
