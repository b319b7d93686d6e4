"""Explicit RM training for real: TorchTrainer, 2 CPU workers, DeepSpeed ZeRO-1 and ZeRO-2.

Three fits (~30-45 s each here): a full ZeRO-1 run, and a ZeRO-2 run stopped at step 4 and
resumed by calling the same function again. fp32 data-parallel training is deterministic, so
the resumed ZeRO-2 run must reproduce the ZeRO-1 losses step for step — which fails if the
resume lost the optimizer moments, the LR schedule or the data order.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from netutil import ListenerWatch
from train_sets import INSTRUCTION, rm_sets

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.worker import RewardWorkerImpl
from agentrm_ray.config import load_config
from agentrm_ray.data.datasets import load_dataset
from agentrm_ray.train import train
from agentrm_ray.types import Trajectory

pytestmark = pytest.mark.integration


def config(model: str, zero: int):
    return load_config(None, [
        f"train.base_model={model}", "train.max_length=128", "train.learning_rate=1e-3",
        "train.epochs=2", "train.checkpoint_every_steps=3", "train.batch_size_per_worker=4",
        "train.num_workers=2", f"train.zero_stage={zero}",
    ])


@pytest.fixture(scope="module")
def dataset_dir(tmp_path_factory):
    return rm_sets(tmp_path_factory.mktemp("data"))["rm-explicit"]


@pytest.fixture(scope="module")
def fit_listeners() -> ListenerWatch:
    """What the process tree listened on while the ZeRO-1 fit ran (filled by `zero1`)."""
    return ListenerWatch(os.getpid())


@pytest.fixture(scope="module")
def zero1(ray_cluster, tiny_model, dataset_dir, tmp_path_factory, fit_listeners):
    with fit_listeners:
        return train(config(tiny_model, 1), "rm-explicit", dataset_dir,
                     tmp_path_factory.mktemp("zero1") / "out")


def test_training_listens_only_on_loopback(zero1, fit_listeners) -> None:
    """The gloo rendezvous store (torch's TCPStore) bound every interface before."""
    assert any(name.startswith("ray::") or "Train" in name for _, _, name in fit_listeners.seen)
    assert fit_listeners.exposed == [], f"listeners off loopback: {fit_listeners.exposed}"


def test_zero1_run_trains_checkpoints_and_exports(zero1) -> None:
    metrics = zero1.metrics
    assert zero1.finished and zero1.global_step == zero1.total_steps == 8
    assert [r["step"] for r in metrics["steps"]] == list(range(1, 9))
    losses = [r["loss"] for r in metrics["steps"]]
    assert sum(losses[-2:]) / 2 < 0.5 * losses[0], losses
    assert all(r["samples"] == 8 for r in metrics["steps"])  # 2 workers x 4
    assert [v["step"] for v in metrics["validations"]] == [3, 6, 8]
    for validation in metrics["validations"]:
        assert {"val_mse", "val_accuracy", "val_ranking_accuracy"} <= set(validation)
    best = min(metrics["validations"], key=lambda v: (v["selection_loss"], -v["step"]))
    assert zero1.best_step == best["step"] and metrics["best"]["val_mse"] == best["val_mse"]
    kept = sorted(p.name for p in (zero1.output_dir / "checkpoints").glob("checkpoint_step_*"))
    assert "checkpoint_step_0000008" in kept and len(kept) <= 3
    model = zero1.model_dir
    assert model is not None
    assert (model / "model.safetensors").is_file() and (model / "tokenizer.json").is_file()
    saved = json.loads((zero1.output_dir / "metrics.json").read_text())
    assert saved["steps"] == metrics["steps"] and saved["throughput"]["samples_per_s"] > 0
    provenance = json.loads((model / "agentrm_train.json").read_text())
    assert provenance["serve_with"] == {"reward.method": "value", "reward.model": str(model)}
    assert provenance["rm_template"]["name"] == "agentrm-v1"  # checked where it is served


def test_exported_model_scores_like_the_training_forward(zero1, dataset_dir) -> None:
    val = load_dataset(dataset_dir, "rm-explicit").val
    predictions = json.loads((zero1.output_dir / "val_predictions.json").read_text())
    assert [p["index"] for p in predictions] == list(range(len(val)))
    states = [RMState(instruction=INSTRUCTION,
                      trajectory=Trajectory.model_validate_json(row["trajectory"])) for row in val]
    worker = RewardWorkerImpl("value", RewardSettings(model_path=str(zero1.model_dir),
                                                      max_length=128))
    served = asyncio.run(worker.score(states))
    assert [r.score for r in served] == pytest.approx([p["score"] for p in predictions], abs=1e-4)
    assert len({round(p["score"], 4) for p in predictions}) > 1  # not a constant head


def test_export_loads_back_in_plain_transformers_with_its_trained_head(zero1) -> None:
    from transformers import AutoModelForSequenceClassification

    from agentrm_ray.models.value_head import check_value_head

    assert check_value_head(zero1.model_dir) == 0  # a single-output, trained head
    model, info = AutoModelForSequenceClassification.from_pretrained(
        zero1.model_dir, output_loading_info=True)
    assert not info["missing_keys"] and model.config.num_labels == 1


def test_zero2_resume_continues_the_step_count(zero1, tiny_model, dataset_dir,
                                                tmp_path) -> None:
    out = tmp_path / "out"
    stopped = train(config(tiny_model, 2), "rm-explicit", dataset_dir, out, stop_after_steps=4)
    assert not stopped.finished and stopped.global_step == 4 and stopped.model_dir is None
    assert not (out / "model").exists()
    resumed = train(config(tiny_model, 2), "rm-explicit", dataset_dir, out)
    assert resumed.finished and resumed.metrics["resumed_from"] == [4]
    steps = resumed.metrics["steps"]
    assert [r["step"] for r in steps] == list(range(1, 9))
    # untimed: each process's first step and the first after each checkpoint (every 3 steps)
    assert [r["warmup"] for r in steps] == [True, False, False, True, True, False, True, False]
    ours = [r["loss"] for r in steps]
    reference = [r["loss"] for r in zero1.metrics["steps"]]
    assert ours == pytest.approx(reference, abs=2e-3)
    again = train(config(tiny_model, 2), "rm-explicit", dataset_dir, out)
    assert again.already_done and again.global_step == 8
