"""Chaos: a whole node, with every policy, env and RM actor on it, disappears mid-search.

Runs node_removal_search.py in a subprocess (its own loopback-only multi-node cluster): an
undisturbed search, then the same search during which the node crashes (its actor processes,
then its raylet, SIGKILLed) while env steps run on it. Ray restarts the actors on a spare
node; the result must be identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from faults import assert_same_results

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).with_name("node_removal_search.py")


def test_removing_a_node_mid_search_gives_identical_results(
        tiny_model: str, tiny_value_model: str, tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), tiny_model, tiny_value_model,
                           str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("NODE-REMOVAL-REPORT ")][-1]
    report = json.loads(line.removeprefix("NODE-REMOVAL-REPORT "))
    nodes = report["nodes"]
    assert report["node_ips"] == ["127.0.0.1"]

    # Before: every actor on the doomed node. After: every actor restarted on the spare one.
    assert {n for kind in report["placed"].values() for n in kind} == {nodes["doomed"]}
    assert {n for kind in report["replaced"].values() for n in kind} == {nodes["spare"]}

    # The node went while the search was running, in its second beam level: env steps in
    # progress on the node, sessions with action prefixes living there.
    at = report["at_removal"]
    assert at["search_done"] is False
    assert any(p["entered"] > p["left"] for p in at["env_probes"]), at
    assert sum(at["env_sessions_live"]) >= 1, at
    # ... and the pools felt it: the env calls in flight failed and lost sessions were rebuilt
    # by replay. (Later policy calls need not fail: Ray holds calls to a restarting actor
    # until it is back, so `policy_failures` may be 0; the replicas did move, see above.)
    assert sum(report["env_failures"]) >= 1 and report["env_moves"] >= 1, report

    assert_same_results(report["result"], report["reference"])
    print(f"policy calls failed over: {report['policy_failures']}; search done "
          f"{report['recovered_after_s']:.1f}s after the node was removed")
