"""The DeepSpeed CPU op `make setup` compiles is the one training processes load."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from agentrm_ray.train import deepspeed_ops


def test_the_cpu_collective_op_is_built_where_training_loads_it() -> None:
    # `deepspeed.comm.torch` by path: the package's `torch` attribute is torch itself
    ds_comm = importlib.import_module("deepspeed.comm.torch")
    assert deepspeed_ops.prebuild_cpu_ops() == "deepspeed.ops.comm.deepspeed_shm_comm_op"
    # DeepSpeed's own loader (what every CPU training process calls) now finds it built.
    assert ds_comm.build_shm_op() is not None
    built = list((Path.home() / ".cache" / "torch_extensions").glob("*/deepspeed_shm_comm/*.so"))
    assert built, "no compiled op in the torch extensions cache"


def test_a_failed_build_does_not_fail_set_up(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    def broken() -> None:
        raise RuntimeError("ninja not found")

    monkeypatch.setattr(deepspeed_ops, "prebuild_cpu_ops", broken)
    assert deepspeed_ops.main() == 0
    assert "not prebuilt (RuntimeError: ninja not found)" in capsys.readouterr().err
