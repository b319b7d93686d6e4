"""Turn the `policy` config section into backend settings (resolving model names first)."""

from __future__ import annotations

import math
import os

from agentrm_ray.actors.device import GpuReservation
from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.config.models import PolicyBackend, PolicyConfig
from agentrm_ray.models import resolve_model


def eager_engine(cfg: PolicyConfig, num_gpus: float) -> bool:
    """Whether a vLLM engine with `num_gpus` GPUs skips torch.compile: on CPUs compiling
    costs a minute per engine start and buys no generation speed (docs/benchmarks.md)."""
    if cfg.enforce_eager is not None:
        return cfg.enforce_eager
    return num_gpus == 0


def backend_settings(cfg: PolicyConfig, seed: int = 0) -> BackendSettings:
    """Settings for one replica; raises before any actor starts if the model does not exist."""
    if cfg.backend is PolicyBackend.openai:
        return BackendSettings(
            model_path="",
            max_model_len=cfg.max_model_len,
            seed=seed,
            base_url=cfg.openai.base_url,
            api_key=os.environ.get(cfg.openai.api_key_env),
            model_name=None if cfg.model == "smollm2-135m" else cfg.model,
            timeout_s=cfg.openai.timeout_s,
            max_retries=cfg.openai.max_retries,
        )
    return BackendSettings(
        model_path=str(resolve_model(cfg.model, field="policy.model")),
        dtype=cfg.dtype,
        max_model_len=cfg.max_model_len,
        tensor_parallel_size=cfg.tensor_parallel_size,
        num_threads=max(1, math.floor(cfg.num_cpus_per_replica)),
        seed=seed,
        enforce_eager=eager_engine(cfg, cfg.num_gpus_per_replica),
        kv_cache_gib=cfg.kv_cache_gib,
        gpu_memory_utilization=cfg.gpu_memory_utilization,
        gpus=GpuReservation(cfg.num_gpus_per_replica, "policy.num_gpus_per_replica"),
    )
