"""From checkpoints to what the rest of the system loads: an HF model dir and metrics.json.

    <output>/model/                 best checkpoint's model (save_pretrained, safetensors,
                                    tokenizer) + agentrm_train.json (provenance)
    <output>/metrics.json           loss per step, validations, best step, throughput
    <output>/val_predictions.json   the best checkpoint's per-row validation scores

RM replicas and policy backends load `<output>/model` by path (reward.model=… /
policy.model=…); an implicit RM also needs its reference: the base model, recorded here.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from agentrm_ray.durable import atomic_write_text, replace_directory
from agentrm_ray.models.provenance import PROVENANCE_FILE
from agentrm_ray.train.state import HF_DIR, PREDICTIONS_FILE, TrainerState

MODEL_DIR = "model"
METRICS_FILE = "metrics.json"


def throughput(history: list[dict[str, Any]]) -> dict[str, float | int]:
    """Samples/s and tokens/s over timed steps: a process's first step and the first after
    each checkpoint pay one-off costs (marked `warmup` by the worker loop) and are left out.
    Where every step paid one (a one-step run, a checkpoint every step) there is no rate to
    report: only `steps_timed: 0`, never a rate made of start-up costs."""
    timed = [r for r in history if not r.get("warmup")]
    if not timed:
        return {"steps_timed": 0}
    seconds = sum(r["seconds"] for r in timed)
    return {
        "steps_timed": len(timed),
        "samples_per_s": sum(r["samples"] for r in timed) / seconds if seconds else 0.0,
        "tokens_per_s": sum(r["tokens"] for r in timed) / seconds if seconds else 0.0,
        "seconds_per_step": seconds / len(timed),
    }


def reward_config_hint(kind: str, model_dir: Path, base_model: str, beta: float) -> dict[str, Any]:
    """The config overrides that serve the exported model."""
    if kind == "rm-explicit":
        return {"reward.method": "value", "reward.model": str(model_dir)}
    if kind == "rm-implicit":
        return {
            "reward.method": "implicit",
            "reward.model": str(model_dir),
            "reward.reference_model": base_model,
            "reward.beta": beta,
        }
    return {"policy.model": str(model_dir)}


def export_model(checkpoint_dir: Path, output: Path, provenance: dict[str, Any]) -> Path:
    """Copy a checkpoint's HF directory to <output>/model atomically, with provenance."""
    source = checkpoint_dir / HF_DIR
    if not (source / "config.json").is_file():
        raise FileNotFoundError(f"checkpoint {checkpoint_dir} holds no HF model ({HF_DIR}/)")
    target = output / MODEL_DIR
    staging = output / (MODEL_DIR + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(source, staging)
    atomic_write_text(staging / PROVENANCE_FILE, json.dumps(provenance, indent=2))
    replace_directory(staging, target)  # `model/` never goes missing for a loading replica
    predictions = checkpoint_dir / PREDICTIONS_FILE
    if predictions.is_file():
        shutil.copyfile(predictions, output / PREDICTIONS_FILE)
    return target


def build_metrics(
    state: TrainerState, best: dict[str, Any] | None, extra: dict[str, Any]
) -> dict[str, Any]:
    return {
        **extra,
        "total_steps": state.total_steps,
        "global_step": state.global_step,
        "finished": state.finished,
        "resumed_from": state.resumed_from,
        "throughput": throughput(state.history),
        "best": best,
        "validations": state.validations,
        "steps": state.history,
    }


def write_metrics(output: Path, metrics: dict[str, Any]) -> Path:
    path = output / METRICS_FILE
    atomic_write_text(path, json.dumps(metrics, indent=1))
    return path
