"""Search a task twice on a local multi-node Ray cluster; the second time, remove the node
that hosts every actor while the search is running. Prints a JSON report.

Used by test_node_removal.py in a subprocess (its cluster never meets the test session's own
Ray); loopback-only like tests/cluster/multinode_search.py, whose helpers it reuses.

Nodes: a head with no CPUs (it runs only the cluster services), the *doomed* node (2 CPUs),
which therefore hosts both policy replicas, both env workers and the RM replica, and a *spare*
node (2 CPUs), added after the actors started, where Ray restarts them once the doomed node is
gone.

    python tests/chaos/node_removal_search.py TINY_MODEL_DIR TINY_VALUE_MODEL_DIR OUT_DIR
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # faults.py; tests/ for cluster.multinode_search

import ray  # noqa: E402
from cluster.multinode_search import node_of  # noqa: E402
from faults import (  # noqa: E402
    MAZE_TASK,
    comparable,
    install_slow_env_steps,
    read_probe,
    search_overrides,
)
from ray.cluster_utils import Cluster  # noqa: E402

from agentrm_ray.config import load_config  # noqa: E402
from agentrm_ray.data.results import RunStore  # noqa: E402
from agentrm_ray.runtime import apply_loopback_environment  # noqa: E402
from agentrm_ray.search.coordinator import Coordinator  # noqa: E402
from agentrm_ray.search.stack import SearchStack  # noqa: E402

# The GCS declares a silent node dead after period * threshold (default 3 s * 5); the actors
# of the removed node restart only then. Shorter keeps the test short.
FAST_NODE_DEATH = {
    "health_check_initial_delay_ms": 0,
    "health_check_period_ms": 500,
    "health_check_timeout_ms": 500,
    "health_check_failure_threshold": 3,
}


def actor_handles(stack: SearchStack) -> list[Any]:
    assert stack.reward is not None
    return [*stack.policy.replicas, *stack.envs.workers,
            *(r.handle for r in stack.reward.replica_set.replicas)]


def pid_of(handle: Any) -> int:
    return ray.get(handle.__ray_call__.remote(lambda _: os.getpid()))


def placement(stack: SearchStack) -> dict[str, list[str]]:
    assert stack.reward is not None
    return {"policy": [node_of(h) for h in stack.policy.replicas],
            "env": [node_of(h) for h in stack.envs.workers],
            "reward": [node_of(r.handle) for r in stack.reward.replica_set.replicas]}


async def run_both(stack: SearchStack, cluster: Cluster, doomed: Any) -> dict[str, Any]:
    cfg = stack.cfg
    coordinator = Coordinator(cfg, stack.expander_factory(), RunStore.open(cfg.output.dir, cfg))
    report: dict[str, Any] = {"placed": placement(stack)}
    reference = await coordinator.search_task(MAZE_TASK)

    # Every policy replica and env worker is on the doomed node. Slow the env steps down there,
    # so the removal provably lands while steps are in progress (the policy replicas go too:
    # the next proposals fail over while Ray restarts them elsewhere).
    for handle in stack.envs.workers:
        await install_slow_env_steps(handle, delay_s=0.2)
    pids = [pid_of(h) for h in actor_handles(stack)]
    job = asyncio.ensure_future(coordinator.search_task(MAZE_TASK))
    deadline = time.monotonic() + 120
    while True:  # the second beam level: sessions with prefixes, env steps in progress
        envs = [await read_probe(h) for h in stack.envs.workers]
        if sum(p["left"] for p in envs) >= 4 and any(p["entered"] > p["left"] for p in envs):
            break
        if job.done() or time.monotonic() > deadline:
            raise SystemExit(f"the search ended before the node could be removed: {envs}")
        await asyncio.sleep(0.01)
    replicas = stack.policy.replica_set.replicas
    report["at_removal"] = {
        "search_done": job.done(),
        "env_probes": envs,
        "env_sessions_live": [s.live for s in stack.envs.fleet.slots],
        "policy_outstanding": [r.outstanding for r in replicas],
    }
    # A crash of the whole machine: every actor process on it dies at once (an actor outliving
    # its raylet for a moment could still answer a call in flight), then the node's raylet
    # and the rest of its processes.
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    cluster.remove_node(doomed, allow_graceful=False)
    report["removed_at"] = time.monotonic()
    result = await job
    report["recovered_after_s"] = time.monotonic() - report.pop("removed_at")
    report["replaced"] = placement(stack)
    report["policy_failures"] = [r.failures for r in stack.policy.replica_set.replicas]
    report["env_failures"] = [s.failures for s in stack.envs.fleet.slots]
    report["env_moves"] = stack.envs.counters["rebuilds"] + stack.envs.counters["fork_replays"]
    report["reference"] = comparable(reference)
    report["result"] = comparable(result)
    return report


def main(model: str, value_model: str, out_dir: str) -> None:
    cfg = load_config(overrides=search_overrides(model, value_model, out_dir))
    stack = SearchStack(cfg)  # a bad model path fails here, before any node starts
    apply_loopback_environment()  # every node on 127.0.0.1, every listener on loopback
    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 0, "_system_config": FAST_NODE_DEATH})
    doomed = cluster.add_node(num_cpus=2)
    try:
        ray.init(address=cluster.address, namespace="agentrm-chaos")
        cluster.wait_for_nodes()

        async def go() -> dict[str, Any]:
            await stack.start()
            spare = cluster.add_node(num_cpus=2)
            cluster.wait_for_nodes()
            try:
                report = await run_both(stack, cluster, doomed)
            finally:
                await stack.shutdown()
            report["nodes"] = {"head": cluster.head_node.node_id, "doomed": doomed.node_id,
                               "spare": spare.node_id}
            return report

        report = asyncio.run(go())
        report["node_ips"] = sorted({n["NodeManagerAddress"] for n in ray.nodes()})
        print("NODE-REMOVAL-REPORT " + json.dumps(report))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
