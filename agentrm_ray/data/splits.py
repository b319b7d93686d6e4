"""Train/validation splits by task, never by state.

States of one task share their goal and most of their text; splitting states would put
near-copies of training rows into validation and make validation loss meaningless. A task is
its env id and task id (seeds of the same task stay together).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from agentrm_ray.types import Task


def task_group(task: Task) -> str:
    """The split unit: one task of one family, whatever its seed or suite split."""
    return f"{task.env_id}|{task.task_id}"


def validation_tasks(groups: list[str], val_fraction: float, seed: int,
                     strata: Mapping[str, str] | None = None) -> set[str]:
    """The groups that go to validation: a seeded, order-independent choice.

    At least one group is held out when there are two or more and `val_fraction` > 0; at
    least one always stays for training. With `strata` (group -> stratum, e.g. whether any
    search of the task succeeded), each stratum gives its own share, so a small validation
    set cannot hold only solved (or only unsolved) tasks by chance: a value check on such a
    set has no spread of targets to correlate with.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie in [0, 1), got {val_fraction}")
    unique = sorted(set(groups))
    if len(unique) < 2 or val_fraction == 0.0:
        return set()
    if strata is None:
        return _draw(unique, val_fraction, seed)
    by_stratum: dict[str, list[str]] = {}
    for group in unique:
        by_stratum.setdefault(strata.get(group, ""), []).append(group)
    held_out: set[str] = set()
    for name in sorted(by_stratum):
        members = by_stratum[name]
        count = round(len(members) * val_fraction)
        held_out |= set(_shuffled(members, seed)[:count])
    if not held_out:  # every stratum too small to give a share: hold out one group overall
        return _draw(unique, val_fraction, seed)
    if held_out == set(unique):
        held_out.discard(sorted(held_out)[0])
    return held_out


def _draw(unique: list[str], val_fraction: float, seed: int) -> set[str]:
    count = min(len(unique) - 1, max(1, round(len(unique) * val_fraction)))
    return set(_shuffled(unique, seed)[:count])


def _shuffled(groups: list[str], seed: int) -> list[str]:
    order = list(groups)
    random.Random(seed).shuffle(order)
    return order
