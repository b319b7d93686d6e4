"""The plain, picklable description of one training job, and its DeepSpeed config.

The driver turns the typed `TrainConfig` (plus the resolved model path and dataset facts) into
a `TrainSpec`; workers receive only this, so they never parse YAML or resolve names, and the
same spec decides CPU/gloo here and GPU/NCCL on a cluster.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from agentrm_ray.config.models import Precision, RootConfig, TrainKind

# Fields that may change between a killed run and its resumption (e.g. train longer).
RESUMABLE_CHANGES = ("epochs", "checkpoint_every_steps", "stop_after_steps")


@dataclass(frozen=True)
class TrainSpec:
    kind: str
    model_path: str
    num_workers: int
    use_gpu: bool
    gpus_per_worker: float
    cpus_per_worker: float
    zero_stage: int
    offload_optimizer: bool
    precision: str
    learning_rate: float
    epochs: float
    batch_size_per_worker: int
    gradient_accumulation: int
    max_length: int
    beta: float
    checkpoint_every_steps: int
    seed: int = 0
    label_kind: str = ""
    dataset_fingerprint: str = ""
    stop_after_steps: int | None = None
    weight_decay: float = 0.0
    gradient_clipping: float = 1.0
    # Who may resume: the ID written to train_manifest.json when the output directory was
    # created. Not a setting, so not in the fingerprint; checked before a checkpoint loads.
    run_id: str = ""

    @property
    def global_batch(self) -> int:
        """Samples per optimizer step across all workers."""
        return self.num_workers * self.batch_size_per_worker * self.gradient_accumulation

    @property
    def threads_per_worker(self) -> int:
        return max(1, int(self.cpus_per_worker))

    def fingerprint(self) -> dict[str, Any]:
        """What a resumed run must share with the run it resumes."""
        data = asdict(self)
        for name in (*RESUMABLE_CHANGES, "run_id"):
            data.pop(name)
        return data

    def fingerprint_hash(self) -> str:
        canonical = json.dumps(self.fingerprint(), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def build_spec(
    cfg: RootConfig,
    kind: TrainKind,
    model_path: str,
    label_kind: str = "",
    dataset_fingerprint: str = "",
    stop_after_steps: int | None = None,
) -> TrainSpec:
    t = cfg.train
    gpus = t.gpus_per_worker if t.gpus_per_worker > 0 else 1.0
    return TrainSpec(
        kind=kind.value,
        model_path=model_path,
        num_workers=t.num_workers,
        use_gpu=t.use_gpu,
        gpus_per_worker=gpus if t.use_gpu else 0.0,
        cpus_per_worker=t.cpus_per_worker,
        zero_stage=t.zero_stage,
        offload_optimizer=t.offload_optimizer,
        precision=t.precision.value,
        learning_rate=t.learning_rate,
        epochs=t.epochs,
        batch_size_per_worker=t.batch_size_per_worker,
        gradient_accumulation=t.gradient_accumulation,
        max_length=t.max_length,
        beta=t.beta,
        checkpoint_every_steps=t.checkpoint_every_steps,
        seed=cfg.seed,
        label_kind=label_kind,
        dataset_fingerprint=dataset_fingerprint,
        stop_after_steps=stop_after_steps,
    )


def deepspeed_config(spec: TrainSpec) -> dict[str, Any]:
    """The DeepSpeed config of a spec.

    Without offload the optimizer is a plain `torch.optim.AdamW` handed to DeepSpeed (no JIT
    compile of CPUAdam; needs `zero_allow_untested_optimizer`). With offload DeepSpeed builds
    its own AdamW (DeepSpeedCPUAdam, compiled once and cached in ~/.cache/torch_extensions).
    """
    zero: dict[str, Any] = {"stage": spec.zero_stage}
    if spec.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": spec.use_gpu}
    if spec.zero_stage == 3:
        zero["stage3_gather_16bit_weights_on_model_save"] = True
    config: dict[str, Any] = {
        "train_micro_batch_size_per_gpu": spec.batch_size_per_worker,
        "gradient_accumulation_steps": spec.gradient_accumulation,
        "train_batch_size": spec.global_batch,
        "gradient_clipping": spec.gradient_clipping,
        "zero_optimization": zero,
        "bf16": {"enabled": spec.precision == Precision.bf16.value},
        "fp16": {"enabled": spec.precision == Precision.fp16.value},
        "zero_allow_untested_optimizer": True,
        "steps_per_print": 1 << 30,
        "wall_clock_breakdown": False,
    }
    if spec.offload_optimizer:
        config["optimizer"] = {
            "type": "AdamW",
            "params": {"lr": spec.learning_rate, "weight_decay": spec.weight_decay},
        }
    return config
