"""Model names, offline preparation of the default model, and tiny test models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agentrm_ray.models import ModelNotFoundError, resolve_model
from agentrm_ray.models import registry as model_registry
from agentrm_ray.models.prepare import prepare, verify, weights_checksum


def test_unknown_name_and_missing_paths_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="policy.model: 'gpt-9'.*smollm2-135m"):
        resolve_model("gpt-9", field="policy.model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model(str(tmp_path / "empty"))


def test_a_relative_path_resolves_to_an_absolute_one(tiny_model: str, monkeypatch) -> None:
    """Ray Train workers run in their own directory: a relative path would not load there."""
    model = Path(tiny_model)
    monkeypatch.chdir(model.parent)
    resolved = resolve_model(model.name, field="train.base_model")
    assert resolved.is_absolute() and resolved == model.resolve()


def test_unprepared_short_name_says_how_to_prepare(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AGENTRM_CACHE", str(tmp_path))
    with pytest.raises(ModelNotFoundError, match="agentrm-ray models prepare"):
        resolve_model("smollm2-135m")


def test_tiny_model_is_a_loadable_llama_with_head_dim_64(tiny_model) -> None:
    config = json.loads((Path(tiny_model) / "config.json").read_text())
    assert config["model_type"] == "llama" and config["head_dim"] == 64
    assert resolve_model(tiny_model) == Path(tiny_model)
    assert (Path(tiny_model) / "tokenizer.json").is_file()


@pytest.mark.integration
def test_default_model_is_prepared_offline_with_a_checksum(monkeypatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    path = prepare("smollm2-135m")
    assert verify("smollm2-135m")
    meta = json.loads((path / "PREPARED").read_text())
    assert meta["sha256"] == weights_checksum(path)
    assert resolve_model("smollm2-135m") == path == model_registry.prepared_dir("smollm2-135m")
    config = json.loads((path / "config.json").read_text())
    assert config["vocab_size"] == 49152 and "quantization_config" not in config


def test_a_corrupted_copy_is_not_trusted(tmp_path: Path, monkeypatch, tiny_model) -> None:
    import shutil

    monkeypatch.setenv("AGENTRM_CACHE", str(tmp_path))
    target = model_registry.prepared_dir("smollm2-135m")
    shutil.copytree(tiny_model, target)
    (target / "PREPARED").write_text(json.dumps({"sha256": weights_checksum(target)}))
    assert verify("smollm2-135m")
    weights = next(target.glob("*.safetensors"))
    weights.write_bytes(weights.read_bytes()[:-10] + b"0123456789")
    assert not verify("smollm2-135m")
