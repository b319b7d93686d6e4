"""Policy SFT for real (one fit): ZeRO-1, 2 CPU workers, loss on assistant turns only; the
export is a causal LM whose validation loss is the one recorded for the best checkpoint."""

from __future__ import annotations

import signal

import pytest
import torch
from train_sets import sft_set

from agentrm_ray.config import load_config
from agentrm_ray.data.datasets import load_dataset
from agentrm_ray.train import train
from agentrm_ray.train.objectives import SFTObjective

pytestmark = pytest.mark.integration


def test_sft_trains_and_exports_a_policy(ray_cluster, tiny_model, tmp_path) -> None:
    data = sft_set(tmp_path / "data", tasks=10)
    cfg = load_config(None, [
        f"train.base_model={tiny_model}", "train.max_length=128", "train.learning_rate=1e-2",
        "train.epochs=4", "train.checkpoint_every_steps=2", "train.batch_size_per_worker=2",
        "train.num_workers=2", "train.zero_stage=1", "train.kind=policy-sft",
    ])
    handler = signal.getsignal(signal.SIGINT)
    outcome = train(cfg, "policy-sft", data, tmp_path / "out")
    # Ray Train's own Ctrl-C handler is gone with the fit: later stages stop on Ctrl-C
    assert signal.getsignal(signal.SIGINT) is handler
    losses = [r["loss"] for r in outcome.metrics["steps"]]
    assert outcome.finished and len(losses) == outcome.total_steps == 8
    assert losses[-1] < 0.8 * losses[0], losses
    best = outcome.metrics["best"]
    assert {"val_loss", "val_token_accuracy"} <= set(best)
    assert outcome.metrics["serve_with"] == {"policy.model": str(outcome.model_dir)}

    # the exported model reproduces the best checkpoint's validation loss
    objective = SFTObjective(_spec(cfg, str(outcome.model_dir)))
    model = objective.load(torch.device("cpu"))
    val = load_dataset(data, "policy-sft").val
    with torch.no_grad():
        outputs = objective.predict(model, objective.encode(val).tensors)
    assert objective.metrics(val, outputs)["val_loss"] == pytest.approx(best["val_loss"], rel=1e-4)


def _spec(cfg, model_dir: str):
    from agentrm_ray.config.models import TrainKind
    from agentrm_ray.train.spec import build_spec

    return build_spec(cfg, TrainKind.policy_sft, model_dir)
