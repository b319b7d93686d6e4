"""Can the cluster place a stack's replicas? Checked before any actor starts.

Ray places each actor on one node, so a replica's CPUs and GPUs must fit on a single node: a
tensor-parallel policy replica that reserves 2 GPUs never starts on a cluster of two 1-GPU
nodes, though the cluster has 2 GPUs in total. Ray would wait for it forever; this check says
so up front, naming the config fields. The rule is pure (demands and a node view in, problems
out), so it is tested on made-up clusters without Ray.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

EPSILON = 1e-9


@dataclass(frozen=True)
class ReplicaDemand:
    """`count` replicas of one kind, each reserving `per_replica` on a single node."""

    role: str  # "policy", "reward", "envs": also the config section named in messages
    count: int
    per_replica: Mapping[str, float] = field(default_factory=dict)  # {"CPU": 1, "GPU": 2}
    fields: str = ""  # the config fields that set per_replica, for the message


def placement_problems(demands: Sequence[ReplicaDemand],
                       nodes: Sequence[Mapping[str, float]]) -> list[str]:
    """Why these replicas cannot all be placed on these nodes; empty when they can be.

    Two checks: every replica fits on some node by itself, and the cluster's totals cover the
    sum. Together they catch a reservation larger than any node; a packing that fails only by
    fragmentation is left to Ray (deciding it exactly is bin packing).
    """
    problems = []
    for demand in demands:
        wanted = {k: v for k, v in demand.per_replica.items() if v > 0}
        if demand.count == 0 or not wanted:
            continue
        if not any(all(node.get(k, 0.0) + EPSILON >= v for k, v in wanted.items())
                   for node in nodes):
            largest = {k: max((node.get(k, 0.0) for node in nodes), default=0.0)
                       for k in wanted}
            problems.append(
                f"one {demand.role} replica reserves {_fmt(wanted)} on a single node "
                f"({demand.fields}), but no node has that much (largest per node: "
                f"{_fmt(largest)}); a replica cannot span nodes")
    totals: dict[str, float] = {}
    for demand in demands:
        for kind, value in demand.per_replica.items():
            totals[kind] = totals.get(kind, 0.0) + demand.count * value
    for kind, need in sorted(totals.items()):
        have = sum(node.get(kind, 0.0) for node in nodes)
        if need > have + EPSILON:
            problems.append(
                f"the actors need {need:g} {kind} in total (policy.*, envs.*, reward.* "
                f"num_{kind.lower()}s_per_...) but the Ray cluster has {have:g}; lower them "
                "or add resources")
    return problems


def alive_nodes() -> list[dict[str, float]]:
    """The resources of each alive node of the connected Ray cluster."""
    import ray

    return [dict(node.get("Resources", {})) for node in ray.nodes() if node.get("Alive")]


def _fmt(resources: Mapping[str, float]) -> str:
    return ", ".join(f"{value:g} {kind}" for kind, value in sorted(resources.items()))
