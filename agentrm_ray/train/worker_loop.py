"""The training loop every Ray Train worker runs (DeepSpeed ZeRO inside TorchTrainer).

One function, `train_loop_per_worker`, does the same on a laptop (gloo, CPU) and on a GPU
cluster (NCCL): the spec decides. Per optimizer step each worker runs
`gradient_accumulation` micro-batches chosen by `schedule.micro_batch` (a pure function of
the global step, so resuming needs no data-loader state). Every `checkpoint_every_steps`, at
the end, and at `stop_after_steps`, the workers evaluate the validation set together and
report one checkpoint to Ray Train:

    ds/<tag>/...            DeepSpeed checkpoint (each rank writes its optimizer shard;
                            Ray Train merges the workers' directories)
    hf/                     rank 0: the model as an HF directory (what export copies)
    state.json              rank 0: step, loss history, validations (see state.py)
    val_predictions.json    rank 0: per-row validation scores of the RM kinds

A checkpoint found by `ray.train.get_checkpoint()` (same run directory re-run after a kill)
is loaded into the engine and the loop continues at its global step.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from agentrm_ray.models.precision import resolve_precision
from agentrm_ray.train import schedule
from agentrm_ray.train.objectives import Objective, make_objective
from agentrm_ray.train.spec import TrainSpec, deepspeed_config
from agentrm_ray.train.state import (
    DS_DIR,
    HF_DIR,
    PREDICTIONS_FILE,
    TrainerState,
)

log = logging.getLogger(__name__)


class ResumeMismatchError(RuntimeError):
    """The checkpoint was written by a run of another shape (workers, ZeRO stage, data)."""


def train_loop_per_worker(config: dict[str, Any]) -> None:
    """Ray Train entry point; `config` holds the TrainSpec and object refs of the rows."""
    import ray
    import ray.train
    import torch

    requested: TrainSpec = config["spec"]
    # `auto` precision is decided here, on the worker's own hardware (models/precision.py).
    spec = replace(requested, precision=resolve_precision(requested.precision))
    train_rows: list[dict[str, Any]] = ray.get(config["train_rows"])
    val_rows: list[dict[str, Any]] = ray.get(config["val_rows"])
    context = ray.train.get_context()
    rank, world = context.get_world_rank(), context.get_world_size()
    torch.set_num_threads(spec.threads_per_worker)
    torch.manual_seed(spec.seed)

    import deepspeed

    deepspeed.init_distributed(dist_backend="nccl" if spec.use_gpu else "gloo")
    device = ray.train.torch.get_device()
    if spec.use_gpu:
        torch.cuda.set_device(device)  # NCCL object collectives use the current device
    objective = make_objective(spec)
    model = objective.load(device)
    total = schedule.total_steps(len(train_rows), spec.global_batch, spec.epochs)
    engine = _engine(spec, model, total)

    state = TrainerState(
        kind=spec.kind,
        total_steps=total,
        world_size=world,
        zero_stage=spec.zero_stage,
        spec_fingerprint=requested.fingerprint_hash(),
        run_id=spec.run_id,
    )
    checkpoint = ray.train.get_checkpoint()
    if checkpoint is not None:
        state = _restore(engine, checkpoint, spec, state)

    runner = _Runner(spec, objective, engine, device, rank, world, train_rows, val_rows)
    limit = min(total, spec.stop_after_steps or total)
    last_checkpoint_step = state.global_step
    # Steps that pay one-off costs are kept out of throughput (export.throughput): a process's
    # first step (allocator, kernels, communicator set-up) and the first step after each
    # checkpoint (issue 18: on an H200, ZeRO-2 bf16's were ~2.6 s against ~45 ms).
    untimed = True
    while state.global_step < limit:
        record = runner.step(state.global_step)
        record["warmup"] = untimed
        untimed = False
        state.global_step += 1
        record["step"] = state.global_step
        state.history.append(record)
        if rank == 0:  # Ray forwards worker stdout to the driver: a live per-step log line
            _say(f"[{spec.kind}] step {state.global_step}/{limit} loss {record['loss']:.4g} "
                 f"lr {record['lr']:.2e} ({record.get('seconds', 0.0):.1f} s)")
        if state.global_step % spec.checkpoint_every_steps == 0 or state.global_step == limit:
            runner.checkpoint(state, last_checkpoint_step)
            last_checkpoint_step = state.global_step
            untimed = True


def _engine(spec: TrainSpec, model: Any, total: int) -> Any:
    import deepspeed
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = None
    if not spec.offload_optimizer:
        optimizer = torch.optim.AdamW(
            params, lr=spec.learning_rate, weight_decay=spec.weight_decay
        )

    def scheduler(opt: Any) -> Any:
        return torch.optim.lr_scheduler.LambdaLR(
            opt, lambda step: schedule.lr_factor(step, total)
        )

    engine, _, _, _ = deepspeed.initialize(
        model=model,
        optimizer=optimizer,
        model_parameters=params,
        lr_scheduler=scheduler,
        config=deepspeed_config(spec),
    )
    return engine


def _restore(engine: Any, checkpoint: Any, spec: TrainSpec, fresh: TrainerState) -> TrainerState:
    with checkpoint.as_directory() as directory:
        saved = TrainerState.read(Path(directory))  # JSON: safe to read before trusting it
        if saved.run_id != fresh.run_id:  # DeepSpeed unpickles: load only what this run wrote
            raise ResumeMismatchError(
                f"the checkpoint at step {saved.global_step} was not written by this output "
                f"directory's run (run id {saved.run_id or 'missing'}, expected "
                f"{fresh.run_id}); loading it would unpickle files of unknown origin. Train "
                "into a fresh --output, or pass --fresh to discard it"
            )
        problems = []
        if saved.world_size != fresh.world_size:
            problems.append(f"num_workers {saved.world_size} -> {fresh.world_size}")
        if saved.zero_stage != fresh.zero_stage:
            problems.append(f"zero_stage {saved.zero_stage} -> {fresh.zero_stage}")
        if saved.spec_fingerprint and saved.spec_fingerprint != fresh.spec_fingerprint:
            problems.append("model, data or hyper-parameters changed")
        if problems:
            raise ResumeMismatchError(
                "cannot resume from the checkpoint in this output directory: "
                + "; ".join(problems) + " (train into a fresh --output, or pass --fresh)"
            )
        _, client_state = engine.load_checkpoint(
            os.path.join(directory, DS_DIR),
            tag=saved.tag,
            load_optimizer_states=True,
            load_lr_scheduler_states=True,
        )
        if client_state is None:
            raise ResumeMismatchError(f"DeepSpeed could not load checkpoint {saved.tag}")
    saved.total_steps = fresh.total_steps  # epochs may have been raised to train longer
    saved.resumed_from.append(saved.global_step)
    log.info("resumed at step %d of %d", saved.global_step, saved.total_steps)
    return saved


class _Runner:
    """Steps, evaluation and checkpoints of one worker (holds what they share)."""

    def __init__(
        self,
        spec: TrainSpec,
        objective: Objective,
        engine: Any,
        device: Any,
        rank: int,
        world: int,
        train_rows: list[dict[str, Any]],
        val_rows: list[dict[str, Any]],
    ) -> None:
        self.spec = spec
        self.objective = objective
        self.engine = engine
        self.device = device
        self.rank = rank
        self.world = world
        self.train_rows = train_rows
        self.val_rows = val_rows

    def _to_device(self, tensors: dict[str, Any]) -> dict[str, Any]:
        return {k: v.to(self.device) for k, v in tensors.items()}

    # ------------------------------------------------------------------ training step
    def step(self, global_step: int) -> dict[str, Any]:
        import torch
        import torch.distributed as dist

        start = time.perf_counter()
        self.engine.train()
        lr = float(self.engine.get_lr()[0])
        loss_sum, samples, tokens = 0.0, 0, 0
        for micro in range(self.spec.gradient_accumulation):
            indices = schedule.micro_batch(
                global_step,
                micro,
                self.rank,
                num_samples=len(self.train_rows),
                world=self.world,
                batch=self.spec.batch_size_per_worker,
                accumulation=self.spec.gradient_accumulation,
                seed=self.spec.seed,
            )
            encoded = self.objective.encode([self.train_rows[i] for i in indices])
            loss = self.objective.loss(self.engine, self._to_device(encoded.tensors))
            self.engine.backward(loss)
            self.engine.step()
            loss_sum += float(loss.detach())
            samples += encoded.samples
            tokens += encoded.tokens
        totals = torch.tensor(
            [loss_sum / self.spec.gradient_accumulation, samples, tokens],
            dtype=torch.float64,
            device=self.device,
        )
        dist.all_reduce(totals)
        return {
            "loss": float(totals[0]) / self.world,
            "lr": lr,
            "samples": int(totals[1]),
            "tokens": int(totals[2]),
            "seconds": time.perf_counter() - start,
        }

    # ------------------------------------------------------------------ validation
    def evaluate(self) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """Metrics (rank 0; None without a validation set) and per-row predictions."""
        import torch
        import torch.distributed as dist

        if not self.val_rows:
            return None, []
        self.engine.eval()
        indices = schedule.shard(len(self.val_rows), self.rank, self.world)
        outputs: list[tuple[int, dict[str, float]]] = []
        size = self.spec.batch_size_per_worker
        with torch.no_grad():
            for start in range(0, len(indices), size):
                chunk = indices[start : start + size]
                rows = [self.val_rows[i if i is not None else 0] for i in chunk]
                encoded = self.objective.encode(rows)
                predicted = self.objective.predict(self.engine, self._to_device(encoded.tensors))
                outputs += [(i, p) for i, p in zip(chunk, predicted, strict=True) if i is not None]
        gathered: list[Any] = [None] * self.world
        dist.all_gather_object(gathered, outputs)
        if self.rank != 0:
            return None, []
        merged = sorted((item for part in gathered for item in part), key=lambda x: x[0])
        predictions = [p for _, p in merged]
        metrics = self.objective.metrics(self.val_rows, predictions)
        rows = [
            {"index": i, "task_key": self.val_rows[i]["task_key"], **p}
            for i, p in merged
        ]
        return metrics, rows

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, state: TrainerState, since_step: int) -> None:
        import ray.train
        import torch.distributed as dist

        metrics, predictions = self.evaluate()
        recent = [r["loss"] for r in state.history if r["step"] > since_step]
        train_loss = sum(recent) / len(recent) if recent else None
        report: dict[str, Any] | None = None
        if self.rank == 0:
            report = {
                "step": state.global_step,
                "total_steps": state.total_steps,
                "train_loss": train_loss,
                **(metrics or {}),
            }
            # The checkpoint Ray keeps as "best": lowest validation loss (training loss
            # when there is no validation set).
            report["selection_loss"] = (
                metrics["val_loss"] if metrics else train_loss
            )
            report["selection_metric"] = "val_loss" if metrics else "train_loss"
            state.validations.append(dict(report))
        shared = [report]
        dist.broadcast_object_list(shared, src=0)
        report = {k: v for k, v in (shared[0] or {}).items() if v is not None}

        with tempfile.TemporaryDirectory(prefix="agentrm-ckpt-") as tmp:
            directory = Path(tmp)
            self.engine.save_checkpoint(str(directory / DS_DIR), tag=state.tag)
            self._save_hf(directory / HF_DIR)
            if self.rank == 0:
                state.write(directory)
                (directory / PREDICTIONS_FILE).write_text(json.dumps(predictions))
            ray.train.report(
                report,
                checkpoint=ray.train.Checkpoint.from_directory(str(directory)),
                checkpoint_dir_name=f"checkpoint_step_{state.global_step:07d}",
            )

    def _save_hf(self, target: Path) -> None:
        """The full model as an HF directory on rank 0 (ZeRO-3 gathers it from all ranks)."""
        state_dict = None
        if self.spec.zero_stage == 3:
            state_dict = self.engine._zero3_consolidated_16bit_state_dict()
        if self.rank != 0:
            return
        module = self.engine.module
        module.save_pretrained(str(target), state_dict=state_dict, safe_serialization=True)
        self.objective.tokenizer.save_pretrained(str(target))


def _say(line: str) -> None:
    """One line on the worker's stdout, which Ray forwards to the driver once.

    Not `print`: Ray Train patches it in its workers to log through the root logger and, when
    stdout is redirected (as in Ray workers), to print as well, so each line arrived twice.
    """
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
