"""Durable writes: atomic replacement of files, and of directories without a missing moment."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from agentrm_ray import durable


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    durable.atomic_write_text(target, "old")
    durable.atomic_write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def _model_dir(path: Path, marker: str) -> Path:
    path.mkdir()
    (path / "config.json").write_text(marker)
    return path


@pytest.mark.parametrize("exchange", [True, False], ids=["renameat2", "fallback"])
def test_replace_directory_swaps_contents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: bool
) -> None:
    if not exchange:
        monkeypatch.setattr(durable, "_exchange", lambda a, b: False)
    target = _model_dir(tmp_path / "model", "old")
    staging = _model_dir(tmp_path / "model.tmp", "new")
    durable.replace_directory(staging, target)
    assert (target / "config.json").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_model_dir_exists_whenever_the_old_one_is_deleted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A replica loading `model/` while it is replaced must always find one."""
    target = _model_dir(tmp_path / "model", "old")
    staging = _model_dir(tmp_path / "model.tmp", "new")
    seen: list[str] = []
    real_rmtree = shutil.rmtree

    def watching_rmtree(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((target / "config.json").read_text())
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(durable.shutil, "rmtree", watching_rmtree)
    durable.replace_directory(staging, target)
    assert seen == ["new"]  # the old copy went only after the new one was in place


def test_replace_directory_into_a_fresh_place(tmp_path: Path) -> None:
    staging = _model_dir(tmp_path / "model.tmp", "new")
    durable.replace_directory(staging, tmp_path / "model")
    assert (tmp_path / "model" / "config.json").read_text() == "new"


def test_each_process_stages_its_own_copy(tmp_path: Path) -> None:
    """Two processes building one directory at once never write into each other's copy."""
    staged = durable.staging_directory(tmp_path / "model")
    assert staged.parent == tmp_path and staged.name == f"model.tmp-{os.getpid()}"
