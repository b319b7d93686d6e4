"""A search across a 3-node Ray cluster: env workers and policy replicas on different nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.solo]

SCRIPT = Path(__file__).with_name("multinode_search.py")


def test_search_runs_across_nodes_with_envs_and_policies_apart(tiny_model: str,
                                                               tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), tiny_model, str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=540)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("MULTINODE-REPORT ")][-1]
    report = json.loads(line.removeprefix("MULTINODE-REPORT "))
    nodes = report["nodes"]
    assert len(set(nodes.values())) == 3 and report["node_ips"] == ["127.0.0.1"]

    # Placement: env workers on the env node only, the two policy replicas on the other two.
    assert report["env_nodes"] == [nodes["env"]]
    assert sorted(report["policy_nodes"]) == sorted([nodes["head"], nodes["plain"]])
    assert not set(report["policy_nodes"]) & set(report["env_nodes"])

    # The search ran across them and produced a complete, consistent result.
    result = report["result"]
    assert result["error"] is None and result["strategy"] == "beam"
    assert len(result["candidates"]) >= 2 and result["best"]["steps"]
    assert sum(report["env_steps_on_workers"]) >= result["budget"]["env_steps"] > 0
    assert sum(report["policy_requests"]) == result["budget"]["policy_calls"] > 0
