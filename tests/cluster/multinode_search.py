"""Run one search across a 3-node local Ray cluster and print where everything ran (JSON).

Used by test_multinode.py in a subprocess, so its cluster never meets the test session's
own Ray. Nodes: head (1 CPU), an env node (1 CPU + custom resource `env_node`) and a plain
node (1 CPU). The env worker asks for `env_node` and 1 CPU and starts first; the two policy
replicas need 1 CPU each and are SPREAD, so they can only land on the head and the plain node.

    python tests/cluster/multinode_search.py TINY_MODEL_DIR OUT_DIR
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import ray
from ray.cluster_utils import Cluster

from agentrm_ray.actors.env import EnvPool
from agentrm_ray.config import load_config
from agentrm_ray.data.results import RunStore
from agentrm_ray.runtime import apply_loopback_environment
from agentrm_ray.search.coordinator import Coordinator
from agentrm_ray.search.stack import SearchStack
from agentrm_ray.types import Task


def node_of(handle: Any) -> str:
    return ray.get(handle.__ray_call__.remote(
        lambda self: ray.get_runtime_context().get_node_id()))


def make_stack(model: str, out_dir: str) -> SearchStack:
    """Built before any node starts: a bad model path fails in a second, not after 20."""
    cfg = load_config(overrides=[
        f"policy.model={model}", "policy.backend=hf", "policy.sampling.max_tokens=12",
        "policy.replicas=2", "policy.num_cpus_per_replica=1", "envs.num_cpus_per_worker=1",
        "reward.method=oracle", "search.strategy=beam", "search.beam.width=2",
        "search.beam.expansions=2", "tasks.max_steps=3", f"output.dir={out_dir}",
    ])
    stack = SearchStack(cfg)
    stack.envs = EnvPool(cfg.envs, resources={"env_node": 1})
    return stack


async def search(stack: SearchStack) -> dict[str, Any]:
    cfg = stack.cfg
    # Env workers first: they claim the env node's CPU, so the SPREAD policy replicas (1 CPU
    # each) can only go to the other two nodes. Started together, a policy replica could take
    # the env node first and leave the env worker nowhere to run.
    await stack.envs.start()
    await stack.policy.start()
    try:
        store = RunStore.open(cfg.output.dir, cfg)
        coordinator = Coordinator(cfg, stack.expander_factory(), store)
        result = await coordinator.search_task(
            Task(env_id="agentrm/Maze-v0", task_id="double-t-01", seed=1))
        policy_stats = await stack.policy.stats()
        env_stats = await stack.envs.stats()
        return {
            "policy_nodes": [node_of(h) for h in stack.policy.replicas],
            "env_nodes": [node_of(h) for h in stack.envs.workers],
            "policy_requests": [s.get("requests", 0) for s in policy_stats],
            "env_steps_on_workers": [w.get("steps", 0) for w in env_stats["workers"]],
            "result": result.model_dump(mode="json"),
        }
    finally:
        await stack.shutdown()


def main(model: str, out_dir: str) -> None:
    stack = make_stack(model, out_dir)
    apply_loopback_environment()  # every node on 127.0.0.1, every listener on loopback
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    env_node = cluster.add_node(num_cpus=1, resources={"env_node": 1})
    plain_node = cluster.add_node(num_cpus=1)
    try:
        ray.init(address=cluster.address, namespace="agentrm-multinode")
        cluster.wait_for_nodes()
        report = asyncio.run(search(stack))
        report["nodes"] = {
            "head": cluster.head_node.node_id,
            "env": env_node.node_id,
            "plain": plain_node.node_id,
        }
        report["node_ips"] = sorted({n["NodeManagerAddress"] for n in ray.nodes()})
        print("MULTINODE-REPORT " + json.dumps(report))
    finally:
        ray.shutdown()
        cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
