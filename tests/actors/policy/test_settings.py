"""Backend settings derived from config: torch.compile only where a replica has GPUs."""

from __future__ import annotations

import os

import pytest

from agentrm_ray.actors.policy.settings import backend_settings
from agentrm_ray.actors.reward.pool import reward_settings
from agentrm_ray.config import load_config


@pytest.mark.parametrize(
    ("overrides", "eager"),
    [
        ([], True),  # CPU-only replica: compiling costs a minute per start, buys nothing
        (["policy.num_gpus_per_replica=1"], False),  # GPUs: CUDA graphs pay off
        (["policy.enforce_eager=false"], False),
        (["policy.num_gpus_per_replica=1", "policy.enforce_eager=true"], True),
    ],
)
def test_policy_engine_is_eager_on_cpus_unless_set(
    tiny_model: str, overrides: list[str], eager: bool
) -> None:
    cfg = load_config(overrides=[f"policy.model={tiny_model}", *overrides])
    assert backend_settings(cfg.policy).enforce_eager is eager


@pytest.mark.parametrize(
    ("overrides", "eager"),
    [
        ([], True),
        (["reward.num_gpus_per_replica=1"], False),  # the judge's own replica decides
        (["policy.num_gpus_per_replica=1"], True),
        (["policy.enforce_eager=false"], False),
    ],
)
def test_judge_engine_follows_its_own_replica(
    tiny_model: str, overrides: list[str], eager: bool
) -> None:
    cfg = load_config(overrides=[f"policy.model={tiny_model}", "reward.method=judge",
                                 "reward.judge_backend=vllm", *overrides])
    assert reward_settings(cfg).engine_enforce_eager is eager


@pytest.mark.parametrize(
    ("overrides", "gib"),
    [
        ([], 1.0),  # CPU-only replica: a laptop's default
        (["policy.kv_cache_gib=6"], 6.0),
        (["policy.num_gpus_per_replica=1"], None),  # a GPU engine sizes its own
        (["policy.num_gpus_per_replica=1", "policy.kv_cache_gib=20"], 20.0),
    ],
)
def test_every_engine_s_kv_cache_follows_policy_kv_cache_gib(
    tiny_model: str, tiny_value_model: str, overrides: list[str], gib: float | None
) -> None:
    from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments
    from agentrm_ray.actors.reward.methods.value_vllm import value_engine_arguments

    want = None if gib is None else int(gib * 2**30)
    cfg = load_config(overrides=[f"policy.model={tiny_model}", *overrides])
    assert engine_arguments(backend_settings(cfg.policy))["kv_cache_memory_bytes"] == want
    gpus = [o.replace("policy.num_gpus", "reward.num_gpus") for o in overrides]
    rm = load_config(overrides=[f"policy.model={tiny_model}", f"reward.model={tiny_value_model}",
                                "reward.backend=vllm", *gpus])
    assert value_engine_arguments(reward_settings(rm))["kv_cache_memory_bytes"] == want


def test_kv_cache_size_does_not_change_the_config_hash() -> None:
    from agentrm_ray.config import config_hash

    assert config_hash(load_config()) == config_hash(load_config(
        overrides=["policy.kv_cache_gib=8"]))


@pytest.mark.parametrize(
    ("overrides", "share"),
    [
        ([], None),  # CPU-only: no GPU memory to share
        (["policy.num_gpus_per_replica=1"], 0.9),  # vLLM's own default on a whole GPU
        (["policy.num_gpus_per_replica=0.5"], 0.45),  # two such replicas fit on one GPU
        (["policy.num_gpus_per_replica=0.25"], 0.225),
        (["policy.num_gpus_per_replica=2", "policy.tensor_parallel_size=2"], 0.9),
        (["policy.num_gpus_per_replica=0.5", "policy.gpu_memory_utilization=0.3"], 0.3),
    ],
)
def test_a_gpu_engine_takes_its_replica_s_share_of_gpu_memory(
    tiny_model: str, overrides: list[str], share: float | None
) -> None:
    from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments

    cfg = load_config(overrides=[f"policy.model={tiny_model}", "policy.backend=vllm",
                                 *overrides])
    assert engine_arguments(backend_settings(cfg.policy)).get("gpu_memory_utilization") == share


@pytest.mark.parametrize(("overrides", "executor"), [
    ([], "uni"),  # one CPU engine: the engine core runs the model, no worker process
    (["policy.num_gpus_per_replica=1"], None),  # one GPU: vLLM's own choice
    (["policy.num_gpus_per_replica=2", "policy.tensor_parallel_size=2"], "mp"),
])
def test_an_engine_s_executor_follows_its_devices(
    tiny_model: str, overrides: list[str], executor: str | None
) -> None:
    from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments

    cfg = load_config(overrides=[f"policy.model={tiny_model}", "policy.backend=vllm",
                                 *overrides])
    arguments = engine_arguments(backend_settings(cfg.policy))
    assert arguments.get("distributed_executor_backend") == executor


def test_an_rm_engine_takes_the_rm_replica_s_share(tiny_model: str, tiny_value_model: str
                                                   ) -> None:
    from agentrm_ray.actors.reward.methods.value_vllm import value_engine_arguments

    cfg = load_config(overrides=[f"policy.model={tiny_model}", f"reward.model={tiny_value_model}",
                                 "reward.backend=vllm", "policy.num_gpus_per_replica=0.5",
                                 "reward.num_gpus_per_replica=0.25"])
    assert value_engine_arguments(reward_settings(cfg))["gpu_memory_utilization"] == 0.225


def test_only_an_in_process_cpu_engine_turns_vllm_multiprocessing_off(
        tiny_model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """vLLM's CPU platform swaps "uni" back to "mp" unless its multiprocessing is off."""
    from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments, set_engine_env

    cfg = load_config(overrides=[f"policy.model={tiny_model}", "policy.backend=vllm"])
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items()
                                        if k != "VLLM_ENABLE_V1_MULTIPROCESSING"})
    tp = load_config(overrides=[f"policy.model={tiny_model}", "policy.backend=vllm",
                                "policy.num_gpus_per_replica=2", "policy.tensor_parallel_size=2"])
    set_engine_env(engine_arguments(backend_settings(tp.policy)))
    assert "VLLM_ENABLE_V1_MULTIPROCESSING" not in os.environ
    set_engine_env(engine_arguments(backend_settings(cfg.policy)))
    assert os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"
