"""`train()`: one fine-tuning job from config to exported model (runs on the Ray driver).

Order matters for the user: everything that can be checked without a cluster — dataset,
model path, impossible precision/offload combinations — is checked first, then the cluster's
resources, then the output directory's compatibility with an earlier run; only then is a
TorchTrainer built (its fit() costs tens of seconds before the first step).

Output directory:

    <output>/checkpoints/       Ray Train run (checkpoint_*/, run snapshot): rerunning the same
                                command after a kill resumes from its latest checkpoint
    <output>/train_manifest.json  what a resumed run must share with this one
    <output>/model/, metrics.json, val_predictions.json   see export.py
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.config.models import TrainKind
from agentrm_ray.data.datasets import OPTIONAL, REQUIRED, TrainingSet, load_dataset
from agentrm_ray.durable import atomic_write_text, read_json
from agentrm_ray.errors import AgentRMError
from agentrm_ray.prompting import DEFAULT_RM_TEMPLATE, RM_TEMPLATES
from agentrm_ray.train import schedule
from agentrm_ray.train.export import (
    METRICS_FILE,
    MODEL_DIR,
    build_metrics,
    export_model,
    reward_config_hint,
    write_metrics,
)
from agentrm_ray.train.preflight import check_request, check_resources, check_sft_lengths
from agentrm_ray.train.spec import TrainSpec, build_spec
from agentrm_ray.train.state import PREDICTIONS_FILE, TrainerState

log = logging.getLogger(__name__)

RUN_NAME = "checkpoints"
TRAIN_MANIFEST = "train_manifest.json"
KEEP_CHECKPOINTS = 2  # best ones by selection loss; Ray Train always keeps the latest too


class TrainError(AgentRMError):
    """Training failed (the message carries the workers' error)."""


class TrainOutputError(AgentRMError):
    """The output directory holds a training run that this one cannot resume."""


@dataclass
class TrainOutcome:
    """What a `train()` call achieved."""

    output_dir: Path
    finished: bool
    global_step: int
    total_steps: int
    model_dir: Path | None = None
    metrics_path: Path | None = None
    best_step: int | None = None
    fit_seconds: float = 0.0
    already_done: bool = False
    metrics: dict[str, Any] = field(default_factory=dict)


def default_dataset_dir(cfg: RootConfig, kind: TrainKind) -> Path:
    if cfg.train.dataset:
        return Path(cfg.train.dataset)
    return Path(cfg.output.dir) / "data" / kind.value


def default_output_dir(cfg: RootConfig, kind: TrainKind) -> Path:
    return Path(cfg.output.dir) / "train" / kind.value


@dataclass
class TrainPlan:
    """A checked training job: everything decided, nothing started."""

    cfg: RootConfig
    kind: TrainKind
    dataset: TrainingSet
    spec: TrainSpec
    output: Path
    total_steps: int
    warnings: list[str] = field(default_factory=list)


def plan_training(
    cfg: RootConfig,
    kind: TrainKind | str | None,
    dataset_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    *,
    fresh: bool = False,
    stop_after_steps: int | None = None,
) -> TrainPlan:
    """Check everything that needs no cluster: dataset, model, settings, output directory.

    `stop_after_steps` ends the run after that many global steps, with a checkpoint and
    without export — as if it had been killed there (tests and benchmarks use it).
    """
    from agentrm_ray.models import resolve_model

    kind = cfg.train.kind if kind is None else TrainKind(kind)
    dataset = load_dataset(dataset_dir or default_dataset_dir(cfg, kind), kind.value)
    base = str(resolve_model(cfg.train.base_model or cfg.policy.model, field="train.base_model"))
    spec = build_spec(
        cfg,
        kind,
        base,
        label_kind=dataset.label_kind,
        dataset_fingerprint=dataset.fingerprint,
        stop_after_steps=stop_after_steps,
    )
    check_request(spec)
    warnings = check_sft_lengths(spec, dataset.train) if kind is TrainKind.policy_sft else []
    output = Path(output_dir or default_output_dir(cfg, kind)).expanduser().resolve()
    spec = replace(spec, run_id=_prepare_output(output, spec, fresh))
    total = schedule.total_steps(len(dataset.train), spec.global_batch, spec.epochs)
    return TrainPlan(cfg, kind, dataset, spec, output, total, warnings)


def run_training(plan: TrainPlan, max_failures: int = 0) -> TrainOutcome:
    """Fit on the Ray cluster (Ray must be initialised) and export the best checkpoint.

    `max_failures` lets Ray Train restart a failed worker group from the latest checkpoint.
    """
    import ray

    spec, output, kind = plan.spec, plan.output, plan.kind
    check_resources(spec, ray.cluster_resources())
    done = _already_trained(output, spec, plan.total_steps)
    if done is not None and spec.stop_after_steps is None:
        return done

    started = time.perf_counter()
    result = _fit(spec, plan.dataset, output, max_failures)
    fit_seconds = time.perf_counter() - started
    if result.checkpoint is None:
        raise TrainError("training ended without reporting a checkpoint")
    with result.checkpoint.as_directory() as latest_dir:
        state = TrainerState.read(Path(latest_dir))
    extra = {
        "kind": kind.value,
        "base_model": spec.model_path,
        "dataset": str(plan.dataset.root.resolve()),
        "dataset_fingerprint": plan.dataset.fingerprint,
        "dataset_counts": {"train": len(plan.dataset.train), "val": len(plan.dataset.val)},
        "config_hash": config_hash(plan.cfg),
        "spec": asdict(spec),
        "spec_hash": spec.fingerprint_hash(),
        "fit_seconds": round(fit_seconds, 2),
    }
    outcome = TrainOutcome(
        output_dir=output,
        finished=state.finished,
        global_step=state.global_step,
        total_steps=state.total_steps,
        fit_seconds=fit_seconds,
    )
    best = None
    if state.finished:
        best_checkpoint, best = _best_checkpoint(result)
        model_dir = output / MODEL_DIR
        provenance = {
            **{k: extra[k] for k in ("kind", "base_model", "dataset", "config_hash", "spec_hash")},
            "step": best["step"],
            "selection": {k: best.get(k) for k in ("selection_metric", "selection_loss")},
            "serve_with": reward_config_hint(kind.value, model_dir, spec.model_path, spec.beta),
        }
        template = plan.dataset.manifest.get("rm_template")
        if template is not None:  # an RM: the text layout it learned, checked where it loads
            provenance["rm_template"] = template
            if template["name"] != DEFAULT_RM_TEMPLATE:
                provenance["serve_with"]["reward.template"] = (
                    template["name"] if template["name"] in RM_TEMPLATES else {
                        "name": template["name"], "header": template["header_format"],
                        "step": template["step_format"]})
        with best_checkpoint.as_directory() as directory:
            outcome.model_dir = export_model(Path(directory), output, provenance)
        outcome.best_step = int(best["step"])
        extra["serve_with"] = provenance["serve_with"]
    metrics = build_metrics(state, best, extra)
    outcome.metrics_path = write_metrics(output, metrics)
    outcome.metrics = metrics
    return outcome


def train(
    cfg: RootConfig,
    kind: TrainKind | str,
    dataset_dir: str | Path | None = None,
    output_dir: str | Path | None = None,
    *,
    fresh: bool = False,
    stop_after_steps: int | None = None,
    max_failures: int = 0,
) -> TrainOutcome:
    """`plan_training` then `run_training`: the library entry point (Ray must be running)."""
    plan = plan_training(
        cfg, kind, dataset_dir, output_dir, fresh=fresh, stop_after_steps=stop_after_steps
    )
    return run_training(plan, max_failures=max_failures)


# ------------------------------------------------------------------------- helpers
def _worker_rows(dataset: TrainingSet) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Only the columns training reads travel to the workers (not the provenance JSON)."""
    columns = REQUIRED[dataset.kind]
    optional = OPTIONAL[dataset.kind]

    def kept(row: dict[str, Any]) -> dict[str, Any]:
        return {**{c: row[c] for c in columns}, **{c: row[c] for c in optional if c in row}}

    return [kept(r) for r in dataset.train], [kept(r) for r in dataset.val]


def _fit(spec: TrainSpec, dataset: TrainingSet, output: Path, max_failures: int) -> Any:
    import ray
    from ray.train import CheckpointConfig, FailureConfig, RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    from agentrm_ray.train.rendezvous import LoopbackStoreTorchConfig
    from agentrm_ray.train.worker_loop import train_loop_per_worker

    train_rows, val_rows = _worker_rows(dataset)
    resources: dict[str, float] = {"CPU": spec.cpus_per_worker}
    if spec.use_gpu:
        resources["GPU"] = spec.gpus_per_worker
    trainer = TorchTrainer(
        train_loop_per_worker=train_loop_per_worker,
        train_loop_config={
            "spec": spec,
            "train_rows": ray.put(train_rows),
            "val_rows": ray.put(val_rows),
        },
        scaling_config=ScalingConfig(
            num_workers=spec.num_workers, use_gpu=spec.use_gpu, resources_per_worker=resources
        ),
        # The rendezvous store listens on the node's address, not on every interface.
        torch_config=LoopbackStoreTorchConfig(backend="nccl" if spec.use_gpu else "gloo"),
        run_config=RunConfig(
            name=RUN_NAME,
            storage_path=str(output),
            checkpoint_config=CheckpointConfig(
                num_to_keep=KEEP_CHECKPOINTS,
                checkpoint_score_attribute="selection_loss",
                checkpoint_score_order="min",
            ),
            failure_config=FailureConfig(max_failures=max_failures),
            worker_runtime_env={
                "env_vars": {
                    "HF_HUB_OFFLINE": "1",
                    "TOKENIZERS_PARALLELISM": "false",
                    "OMP_NUM_THREADS": str(spec.threads_per_worker),
                }
            },
        ),
    )
    try:
        with _sigint_handler_restored():
            return trainer.fit()
    except Exception as exc:
        if type(exc).__name__ != "TrainingFailedError":
            raise
        raise TrainError(f"training failed: {_root_cause(exc)}") from exc


@contextmanager
def _sigint_handler_restored() -> Iterator[None]:
    """Put back the SIGINT handler `fit()` replaces. Ray Train installs one that aborts its
    controller and leaves it installed when the fit returns; in the quickstart every later
    stage then met Ctrl-C with "Gracefully aborting the training run" and went on (the
    handler waits on the finished controller), and `asyncio.run` does not cancel on SIGINT
    when the handler is not Python's default. Only the main thread can set handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _root_cause(exc: BaseException) -> str:
    """The innermost message of a Ray error chain (worker tracebacks are long)."""
    seen = exc
    while seen.__cause__ is not None:
        seen = seen.__cause__
    text = str(seen).strip().splitlines()
    return text[-1] if text else type(seen).__name__


def _best_checkpoint(result: Any) -> tuple[Any, dict[str, Any]]:
    """Lowest selection loss; on ties the later step."""
    candidates = [(c, m) for c, m in (result.best_checkpoints or []) if "selection_loss" in m]
    if not candidates:
        return result.checkpoint, dict(result.metrics or {})
    checkpoint, metrics = min(
        candidates, key=lambda cm: (cm[1]["selection_loss"], -cm[1].get("step", 0))
    )
    return checkpoint, dict(metrics)


def _prepare_output(output: Path, spec: TrainSpec, fresh: bool) -> str:
    """Refuse to resume another configuration's run; `fresh` wipes the earlier run.

    Returns the directory's run ID: created with its manifest, kept while it is resumed, and
    stamped on every checkpoint, so a resume loads only checkpoints this run wrote.
    """
    manifest_path = output / TRAIN_MANIFEST
    if fresh:
        for name in (RUN_NAME, MODEL_DIR):
            shutil.rmtree(output / name, ignore_errors=True)
        for name in (METRICS_FILE, PREDICTIONS_FILE, TRAIN_MANIFEST):
            (output / name).unlink(missing_ok=True)
    run_id = uuid.uuid4().hex
    if manifest_path.is_file():
        previous = read_json(manifest_path)
        run_id = previous.get("run_id") or run_id
        old = previous.get("fingerprint", {})
        new = spec.fingerprint()
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        if changed:
            raise TrainOutputError(
                f"{str(output)!r} holds a training run with other settings "
                f"({', '.join(changed)} differ); resuming it would mix two runs. Use another "
                "--output, or --fresh to discard it"
            )
    elif any((output / RUN_NAME).glob("checkpoint_*")):
        raise TrainOutputError(
            f"{str(output / RUN_NAME)!r} holds checkpoints but no {TRAIN_MANIFEST} says which "
            "run wrote them; resuming would unpickle files of unknown origin. Use another "
            "--output, or --fresh to discard them"
        )
    output.mkdir(parents=True, exist_ok=True)
    manifest = {
        "fingerprint": spec.fingerprint(),
        "spec_hash": spec.fingerprint_hash(),
        "run_id": run_id,
    }
    atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
    return run_id


def _already_trained(output: Path, spec: TrainSpec, total: int) -> TrainOutcome | None:
    """A finished, exported run of the same spec and length: nothing to do."""
    metrics_path = output / METRICS_FILE
    if not metrics_path.is_file() or not (output / MODEL_DIR / "config.json").is_file():
        return None
    metrics = read_json(metrics_path)
    if (
        metrics.get("spec_hash") != spec.fingerprint_hash()
        or not metrics.get("finished")
        or metrics.get("total_steps") != total
    ):
        return None
    best = metrics.get("best") or {}
    return TrainOutcome(
        output_dir=output,
        finished=True,
        global_step=int(metrics["global_step"]),
        total_steps=total,
        model_dir=output / MODEL_DIR,
        metrics_path=metrics_path,
        best_step=best.get("step"),
        already_done=True,
        metrics=metrics,
    )
