"""`auto` precision: bf16 only where the process's hardware computes it natively."""

from __future__ import annotations

import pytest
import torch

from agentrm_ray.models import precision
from agentrm_ray.models.precision import resolve_dtype, resolve_precision, torch_dtype


@pytest.fixture
def cpu(monkeypatch: pytest.MonkeyPatch):
    def set_flags(*flags: str) -> None:
        monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))
        monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    return set_flags


def test_an_avx2_cpu_gets_fp32(cpu) -> None:
    cpu("avx2", "fma")
    assert resolve_dtype("auto") == "float32" and resolve_precision("auto") == "fp32"
    assert torch_dtype("auto") is torch.float32


@pytest.mark.parametrize("flag", ["avx512_bf16", "amx_bf16"])
def test_a_cpu_with_bf16_units_gets_bf16(cpu, flag: str) -> None:
    cpu("avx2", "avx512f", flag)
    assert resolve_dtype("auto") == "bfloat16" and resolve_precision("auto") == "bf16"


def test_explicit_choices_are_kept(cpu) -> None:
    cpu("avx2")
    assert resolve_dtype("bfloat16") == "bfloat16" and resolve_precision("bf16") == "bf16"
    assert torch_dtype("float16") is torch.float16


def test_a_cuda_device_decides_by_its_own_bf16_support(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset())
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: True)
    assert resolve_dtype("auto") == "bfloat16"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert resolve_precision("auto") == "fp32"

