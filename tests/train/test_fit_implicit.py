"""Implicit RM training for real (one fit): ZeRO-2, 2 CPU workers, frozen reference on each
worker; the export is served by the implicit RM replica with identical rewards."""

from __future__ import annotations

import asyncio
import json

import pytest
from train_sets import INSTRUCTION, rm_sets

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.worker import RewardWorkerImpl
from agentrm_ray.config import load_config
from agentrm_ray.data.datasets import load_dataset
from agentrm_ray.train import train
from agentrm_ray.types import Trajectory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def run(ray_cluster, tiny_model, tmp_path_factory):
    data = rm_sets(tmp_path_factory.mktemp("data"))["rm-implicit"]
    cfg = load_config(None, [
        f"train.base_model={tiny_model}", "train.max_length=128", "train.learning_rate=2e-3",
        "train.epochs=3", "train.checkpoint_every_steps=4", "train.batch_size_per_worker=4",
        "train.num_workers=2", "train.zero_stage=2", "train.beta=0.5",
    ])
    return data, train(cfg, "rm-implicit", data, tmp_path_factory.mktemp("run") / "out")


def test_implicit_run_learns_outcomes(run) -> None:
    _, outcome = run
    metrics = outcome.metrics
    assert outcome.finished and outcome.global_step == outcome.total_steps == 6
    losses = [r["loss"] for r in metrics["steps"]]
    assert losses[0] == pytest.approx(0.6931, abs=1e-3)  # pi_theta == pi_ref: r = 0, BCE = ln 2
    assert sum(losses[-2:]) / 2 < 0.8 * losses[0], losses
    best = metrics["best"]
    assert {"val_accuracy", "val_ranking_accuracy", "val_loss"} <= set(best)
    assert metrics["spec"]["label_kind"] == "binary"


def test_export_served_by_implicit_replica_gives_training_rewards(run, tiny_model) -> None:
    data, outcome = run
    assert outcome.model_dir is not None
    provenance = json.loads((outcome.model_dir / "agentrm_train.json").read_text())
    assert provenance["serve_with"]["reward.reference_model"] == tiny_model
    assert provenance["serve_with"]["reward.beta"] == 0.5
    val = load_dataset(data, "rm-implicit").val
    predictions = json.loads((outcome.output_dir / "val_predictions.json").read_text())
    states = [RMState(instruction=INSTRUCTION,
                      trajectory=Trajectory.model_validate_json(row["trajectory"])) for row in val]
    worker = RewardWorkerImpl("implicit", RewardSettings(
        model_path=str(outcome.model_dir), reference_path=tiny_model, beta=0.5, max_length=128))
    served = asyncio.run(worker.score(states))
    assert [r.score for r in served] == pytest.approx([p["score"] for p in predictions], abs=1e-4)
    assert any(abs(p["score"]) > 1e-3 for p in predictions)  # the policy moved off the reference
