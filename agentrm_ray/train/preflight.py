"""Checks that fail fast, before a TorchTrainer is built (its fit() costs tens of seconds
before the first step): a request the cluster cannot meet would otherwise wait for resources
forever (Ray Train queues the worker group silently), and a max_length that truncates away
every SFT target would "train" on nothing."""

from __future__ import annotations

from typing import Any

from agentrm_ray.config.models import Precision
from agentrm_ray.errors import AgentRMError
from agentrm_ray.train.spec import TrainSpec


class TrainResourceError(AgentRMError):
    """The training request does not fit this machine or cluster."""


def check_request(spec: TrainSpec) -> None:
    """Combinations no cluster can run."""
    if spec.precision == Precision.fp16.value and not spec.use_gpu:
        raise TrainResourceError(
            "train.precision=fp16 needs GPUs (DeepSpeed's fp16 loss scaling is CUDA-only); "
            "use fp32 or bf16 on CPUs"
        )
    if spec.offload_optimizer and spec.zero_stage == 0:
        raise TrainResourceError("train.offload_optimizer needs train.zero_stage >= 1")


def check_resources(spec: TrainSpec, resources: dict[str, float]) -> None:
    """The cluster (`ray.cluster_resources()`) has the GPUs and CPUs the workers ask for."""
    have_gpus = float(resources.get("GPU", 0.0))
    have_cpus = float(resources.get("CPU", 0.0))
    if spec.use_gpu:
        need = spec.num_workers * spec.gpus_per_worker
        if have_gpus == 0:
            raise TrainResourceError(
                f"train.use_gpu=true asks for {need:g} GPU(s), but the Ray cluster has none "
                f"(CPU={have_cpus:g}, GPU=0); set train.use_gpu=false to train on CPUs, or join "
                "a cluster with GPUs (--set ray.address=… or RAY_ADDRESS)"
            )
        if have_gpus < need:
            raise TrainResourceError(
                f"train needs {spec.num_workers} workers x {spec.gpus_per_worker:g} GPU(s) = "
                f"{need:g} GPUs, the cluster has {have_gpus:g}; lower train.num_workers or "
                "train.gpus_per_worker"
            )
    need_cpus = spec.num_workers * spec.cpus_per_worker
    if need_cpus > have_cpus:
        raise TrainResourceError(
            f"train needs {spec.num_workers} workers x {spec.cpus_per_worker:g} CPU(s) = "
            f"{need_cpus:g} CPUs, the cluster has {have_cpus:g}; lower train.num_workers or "
            "train.cpus_per_worker"
        )


def check_sft_lengths(spec: TrainSpec, rows: list[dict[str, Any]], sample: int = 64) -> list[str]:
    """SFT truncates from the right; a max_length that ends every conversation before its
    first assistant turn would train on nothing (and report a loss of 0): an error. When only
    some are cut that far, the warning returned says how many."""
    from agentrm_ray.train.encoding import chat_text_and_spans
    from agentrm_ray.train.objectives import load_tokenizer

    tokenizer = load_tokenizer(spec.model_path)
    first_turns = []
    for row in rows[:sample]:
        try:
            text, spans = chat_text_and_spans(tokenizer, list(row["messages"]))
        except ValueError as exc:
            raise TrainResourceError(f"train.base_model: {exc}") from None
        prefix = text[: spans[0][0]]
        first_turns.append(len(tokenizer(prefix, add_special_tokens=False)["input_ids"]))
    if first_turns and min(first_turns) >= spec.max_length:
        raise TrainResourceError(
            f"train.max_length={spec.max_length} cuts every checked conversation before its "
            f"first assistant turn (the prompts are {min(first_turns)}-{max(first_turns)} "
            "tokens); raise train.max_length"
        )
    cut = sum(n >= spec.max_length for n in first_turns)
    if cut:
        return [
            f"{cut} of {len(first_turns)} checked conversations end before their first "
            f"assistant turn at train.max_length={spec.max_length} (prompts up to "
            f"{max(first_turns)} tokens): they teach nothing"
        ]
    return []
