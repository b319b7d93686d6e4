"""Which floating-point format a model runs in, decided by the process that runs it.

bf16 halves memory and is faster where the hardware computes it natively (CUDA GPUs with
bf16, CPUs with AVX512-BF16 or AMX), but a CPU without those emulates it: on this project's
AVX2 reference machine one SmolLM2-135M forward+backward of 1,024 tokens took 265 s in bf16
against 11 s in fp32 (`bench/precision.py`). So `auto` (policy.dtype, train.precision) means
bf16 where it is native and fp32 elsewhere, and it is resolved here, in the actor or training
worker that loads the model, because on a cluster only that node knows its hardware.
"""

from __future__ import annotations

from agentrm_ray.host import BF16_CPU_FLAGS, cpuinfo

AUTO = "auto"
TRAIN_PRECISION_DTYPES = {"fp32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def cpu_flags() -> frozenset[str]:
    """The CPU feature flags Linux reports (empty where /proc/cpuinfo does not exist)."""
    return frozenset(cpuinfo().get("flags", "").split())


def native_bf16() -> bool:
    """True where this process computes bf16 in hardware: its CUDA GPU, else its CPU."""
    import torch

    if torch.cuda.is_available():
        return bool(torch.cuda.is_bf16_supported())
    return any(flag in cpu_flags() for flag in BF16_CPU_FLAGS)


def resolve_dtype(name: str) -> str:
    """A model dtype name with `auto` decided for this process (bfloat16 or float32)."""
    if name == AUTO:
        return "bfloat16" if native_bf16() else "float32"
    return name


def torch_dtype(name: str) -> object:
    """The torch dtype of a dtype name (`auto` resolved first)."""
    import torch

    return getattr(torch, resolve_dtype(name))


def resolve_precision(name: str) -> str:
    """A training precision (fp32, bf16, fp16) with `auto` decided for this process."""
    if name == AUTO:
        return "bf16" if native_bf16() else "fp32"
    return name
