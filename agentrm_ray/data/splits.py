"""Train/validation splits by task, never by state.

States of one task share their goal and most of their text; splitting states would put
near-copies of training rows into validation and make validation loss meaningless. A task is
its env id and task id (seeds of the same task stay together).
"""

from __future__ import annotations

import random

from agentrm_ray.types import Task


def task_group(task: Task) -> str:
    """The split unit: one task of one family, whatever its seed or suite split."""
    return f"{task.env_id}|{task.task_id}"


def validation_tasks(groups: list[str], val_fraction: float, seed: int) -> set[str]:
    """The groups that go to validation: a seeded, order-independent choice.

    At least one group is held out when there are two or more and `val_fraction` > 0; at
    least one always stays for training.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    unique = sorted(set(groups))
    if len(unique) < 2 or val_fraction == 0.0:
        return set()
    random.Random(seed).shuffle(unique)
    count = min(len(unique) - 1, max(1, round(len(unique) * val_fraction)))
    return set(unique[:count])
