"""What a checkpoint records beside the weights: progress, loss history, validations.

`state.json` lives in every checkpoint, so the history of a run survives kills and resumes
(the driver writes metrics.json from the latest checkpoint's state).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentrm_ray.durable import atomic_write_text, read_json

STATE_FILE = "state.json"
PREDICTIONS_FILE = "val_predictions.json"
DS_DIR = "ds"
HF_DIR = "hf"


@dataclass
class TrainerState:
    kind: str
    total_steps: int
    world_size: int
    zero_stage: int
    global_step: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    validations: list[dict[str, Any]] = field(default_factory=list)
    resumed_from: list[int] = field(default_factory=list)
    spec_fingerprint: str = ""
    run_id: str = ""  # the output directory's run (train_manifest.json) that wrote it

    @property
    def finished(self) -> bool:
        return self.global_step >= self.total_steps

    @property
    def tag(self) -> str:
        return f"step-{self.global_step}"

    def write(self, directory: Path) -> None:
        atomic_write_text(directory / STATE_FILE, json.dumps(asdict(self), indent=1))

    @classmethod
    def read(cls, directory: Path) -> TrainerState:
        return cls(**read_json(directory / STATE_FILE))
