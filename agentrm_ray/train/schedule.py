"""Which samples every worker sees at every step, and the learning-rate schedule.

Both are pure functions of the global step, so a run resumed from a checkpoint at step k
continues exactly where the killed run would have gone on: no data-loader state to save.
Each epoch is a seeded permutation of the training rows, padded by wrapping around to a whole
number of global batches; step s of the epoch gives worker r, micro-batch m the slice
`perm[s*G + m*W*B + r*B : ... + B]` (G = W*B*A samples per optimizer step).
"""

from __future__ import annotations

import functools
import math
import random


def steps_per_epoch(num_samples: int, global_batch: int) -> int:
    if num_samples < 1:
        raise ValueError("no training samples")
    return math.ceil(num_samples / global_batch)


def total_steps(num_samples: int, global_batch: int, epochs: float) -> int:
    """Optimizer steps of the whole run (at least one)."""
    return max(1, math.ceil(epochs * steps_per_epoch(num_samples, global_batch)))


@functools.lru_cache(maxsize=4)
def _epoch_order(num_samples: int, padded: int, seed: int, epoch: int) -> tuple[int, ...]:
    order = list(range(num_samples))
    random.Random(f"{seed}/epoch/{epoch}").shuffle(order)
    return tuple(order[i % num_samples] for i in range(padded))


def micro_batch(
    step: int,
    micro: int,
    rank: int,
    *,
    num_samples: int,
    world: int,
    batch: int,
    accumulation: int,
    seed: int,
) -> list[int]:
    """Row indices of worker `rank`'s micro-batch `micro` at global optimizer step `step`."""
    global_batch = world * batch * accumulation
    per_epoch = steps_per_epoch(num_samples, global_batch)
    epoch, within = divmod(step, per_epoch)
    order = _epoch_order(num_samples, per_epoch * global_batch, seed, epoch)
    start = within * global_batch + micro * world * batch + rank * batch
    return list(order[start : start + batch])


def shard(num_items: int, rank: int, world: int) -> list[int | None]:
    """Evaluation shard of a worker, padded with None so every worker runs equally many
    forward passes (ZeRO-3 gathers parameters collectively on every forward)."""
    per_rank = math.ceil(num_items / world) if num_items else 0
    indices: list[int | None] = list(range(rank, num_items, world))
    return indices + [None] * (per_rank - len(indices))


def warmup_steps(total: int) -> int:
    return min(10, total // 10)


def lr_factor(step: int, total: int) -> float:
    """Linear warm-up over the first 10% of steps (at most 10), then linear decay to 10%."""
    warm = warmup_steps(total)
    if step < warm:
        return (step + 1) / (warm + 1)
    remaining = max(1, total - warm)
    return max(0.1, 1.0 - 0.9 * (step - warm) / remaining)
