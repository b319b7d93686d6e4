"""Fine-tuning with Ray Train + DeepSpeed ZeRO: explicit RM, implicit RM, policy SFT.

`train(cfg, kind, dataset_dir, output_dir)` runs on the Ray driver; `loop.py` runs inside the
Ray Train workers. Importing this package does not import torch, Ray or DeepSpeed.
"""

from agentrm_ray.train.driver import (
    TrainError,
    TrainOutcome,
    TrainOutputError,
    TrainPlan,
    default_dataset_dir,
    default_output_dir,
    plan_training,
    run_training,
    train,
)
from agentrm_ray.train.preflight import TrainResourceError

__all__ = [
    "TrainError",
    "TrainOutcome",
    "TrainOutputError",
    "TrainPlan",
    "TrainResourceError",
    "default_dataset_dir",
    "default_output_dir",
    "plan_training",
    "run_training",
    "train",
]
