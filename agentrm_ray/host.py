"""The machine a run's wall times were measured on, said next to them.

Minutes are only comparable on one kind of CPU: this project's reference machine (2 cores,
"AMD EPYC") has been an AVX512-BF16 host on some days and an AVX2-only one on others: policy
SFT trained at 5.8 ms a token on 2026-12-06 and at 8.6 on an AVX2-only day. So every report
that gives wall times (the quickstart's table and JSON) says which CPU, how many cores and
which vector units gave them, read here from what Linux reports.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

CPUINFO = Path("/proc/cpuinfo")
# Native bf16 on a CPU (models/precision.py picks bf16 by them).
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")
# The units that decide a model's CPU speed here: fp32 matmuls (AVX2/AVX-512) and native bf16.
VECTOR_FLAGS = ("avx2", "avx512f", *BF16_CPU_FLAGS)


def parse_cpuinfo(text: str) -> dict[str, str]:
    """The first processor's fields of a /proc/cpuinfo text (all processors of a host match)."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                break
            continue
        key, sep, value = line.partition(":")
        if sep:
            fields.setdefault(key.strip(), value.strip())
    return fields


@lru_cache(maxsize=1)
def cpuinfo() -> dict[str, str]:
    """This host's first processor's fields; empty where /proc/cpuinfo cannot be read."""
    try:
        return parse_cpuinfo(CPUINFO.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


@dataclass(frozen=True)
class HostSummary:
    """What decides a stage's wall time on this machine, as far as the OS tells."""

    cpu: str
    cpu_family: str | None
    cpu_model: str | None
    cores: int
    vector_flags: tuple[str, ...]
    gpus: tuple[str, ...]

    def line(self) -> str:
        """One line for a person: `AMD EPYC (family 23, model 49), 2 cores, avx2; no GPU`."""
        ident = ", ".join(f"{k} {v}" for k, v in (("family", self.cpu_family),
                                                   ("model", self.cpu_model)) if v)
        cpu = f"{self.cpu} ({ident})" if ident else self.cpu
        units = ", ".join(self.vector_flags) or "no AVX2"
        gpus = ", ".join(self.gpus) if self.gpus else "no GPU"
        cores = f"{self.cores} core{'' if self.cores == 1 else 's'}"
        return f"{cpu}, {cores}, {units}; {gpus}"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def summarize(fields: dict[str, str], cores: int, gpus: tuple[str, ...] = ()) -> HostSummary:
    """A summary of the processor `fields` (parse_cpuinfo's) with `cores` usable cores."""
    flags = set(fields.get("flags", "").split())
    return HostSummary(
        cpu=fields.get("model name", "unknown CPU"),
        cpu_family=fields.get("cpu family"),
        cpu_model=fields.get("model"),
        cores=cores,
        vector_flags=tuple(f for f in VECTOR_FLAGS if f in flags),
        gpus=gpus,
    )


def cuda_devices() -> tuple[str, ...]:
    """Names of the CUDA devices this process sees (none without torch or CUDA)."""
    try:
        import torch
    except ImportError:
        return ()
    if not torch.cuda.is_available():
        return ()
    return tuple(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))


def host_summary() -> HostSummary:
    """This process's host: the cores it may run on, not the machine's total."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return summarize(cpuinfo(), cores or 1, cuda_devices())
