"""Placement feasibility on made-up clusters: per node, not only in total (no Ray needed)."""

from __future__ import annotations

from agentrm_ray.actors.placement import ReplicaDemand, placement_problems

TP2 = ReplicaDemand("policy", 1, {"CPU": 1, "GPU": 2},
                    "policy.num_cpus_per_replica, policy.num_gpus_per_replica")
ENVS = ReplicaDemand("envs", 4, {"CPU": 0.25}, "envs.num_cpus_per_worker")


def test_a_two_gpu_replica_does_not_fit_two_one_gpu_nodes() -> None:
    nodes = [{"CPU": 8, "GPU": 1}, {"CPU": 8, "GPU": 1}]  # 2 GPUs in total, 1 per node
    (problem,) = placement_problems([TP2, ENVS], nodes)
    assert "one policy replica reserves 1 CPU, 2 GPU on a single node" in problem
    assert "policy.num_gpus_per_replica" in problem and "largest per node: 1 CPU" not in problem
    assert "largest per node: 8 CPU, 1 GPU" in problem


def test_the_same_replica_fits_a_two_gpu_node() -> None:
    assert placement_problems([TP2, ENVS], [{"CPU": 8, "GPU": 1}, {"CPU": 2, "GPU": 2}]) == []


def test_totals_still_count_when_every_replica_fits_somewhere() -> None:
    two = ReplicaDemand("reward", 3, {"CPU": 1, "GPU": 1}, "reward.num_gpus_per_replica")
    (problem,) = placement_problems([two], [{"CPU": 4, "GPU": 1}, {"CPU": 4, "GPU": 1}])
    assert problem.startswith("the actors need 3 GPU in total") and "has 2" in problem


def test_nothing_reserved_needs_nothing() -> None:
    none = ReplicaDemand("reward", 0, {"CPU": 4, "GPU": 4})
    cpu_only = ReplicaDemand("policy", 1, {"CPU": 1, "GPU": 0})
    assert placement_problems([none, cpu_only], [{"CPU": 1}]) == []
    assert placement_problems([cpu_only], []) != []  # no node at all places nothing
