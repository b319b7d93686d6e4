"""Data order and learning-rate schedule: pure functions of the global step."""

from __future__ import annotations

from collections import Counter

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.config.models import TrainKind
from agentrm_ray.train import schedule
from agentrm_ray.train.spec import build_spec, deepspeed_config


def batches_of_epoch(epoch: int, n: int, world: int, batch: int, acc: int) -> list[int]:
    per_epoch = schedule.steps_per_epoch(n, world * batch * acc)
    seen = []
    for step in range(epoch * per_epoch, (epoch + 1) * per_epoch):
        for micro in range(acc):
            for rank in range(world):
                seen += schedule.micro_batch(step, micro, rank, num_samples=n, world=world,
                                             batch=batch, accumulation=acc, seed=3)
    return seen


def test_every_row_once_per_epoch_across_ranks_and_micro_batches() -> None:
    seen = batches_of_epoch(0, 16, world=2, batch=2, acc=2)
    assert sorted(seen) == list(range(16))
    assert batches_of_epoch(1, 16, 2, 2, 2) != seen  # reshuffled every epoch


def test_ragged_epoch_wraps_around_so_every_rank_steps_equally() -> None:
    seen = batches_of_epoch(0, 10, world=2, batch=4, acc=1)
    assert len(seen) == 16 and set(seen) == set(range(10))
    assert max(Counter(seen).values()) == 2


def test_order_is_deterministic_for_resume() -> None:
    kwargs = {"num_samples": 37, "world": 2, "batch": 3, "accumulation": 2, "seed": 5}
    assert schedule.micro_batch(11, 1, 1, **kwargs) == schedule.micro_batch(11, 1, 1, **kwargs)
    assert schedule.micro_batch(11, 1, 1, **kwargs) != schedule.micro_batch(11, 1, 0, **kwargs)


def test_total_steps_and_eval_shards() -> None:
    assert schedule.total_steps(10, global_batch=4, epochs=2) == 6
    assert schedule.total_steps(3, global_batch=8, epochs=0.1) == 1
    shards = [schedule.shard(5, r, 2) for r in range(2)]
    assert shards == [[0, 2, 4], [1, 3, None]]  # padded: equal forward passes per rank
    with pytest.raises(ValueError):
        schedule.steps_per_epoch(0, 4)


def test_lr_warms_up_then_decays_to_a_tenth() -> None:
    total = 100
    factors = [schedule.lr_factor(s, total) for s in range(total)]
    assert factors[0] < factors[9] <= 1.0
    assert factors[10] == pytest.approx(1.0)
    assert factors[-1] == pytest.approx(0.1, abs=0.02)
    assert schedule.lr_factor(0, 3) == 1.0  # short runs: no warm-up


def test_deepspeed_config_follows_train_config() -> None:
    cfg = load_config(None, ["train.zero_stage=2", "train.batch_size_per_worker=3",
                             "train.gradient_accumulation=4", "train.num_workers=2",
                             "train.precision=bf16"])
    spec = build_spec(cfg, TrainKind.rm_explicit, "/m")
    ds = deepspeed_config(spec)
    assert ds["zero_optimization"] == {"stage": 2}
    assert ds["train_batch_size"] == 24 and ds["gradient_accumulation_steps"] == 4
    assert ds["bf16"]["enabled"] and not ds["fp16"]["enabled"]
    assert "optimizer" not in ds  # torch AdamW is passed in: no CPUAdam compile
    offload = build_spec(load_config(None, ["train.zero_stage=3", "train.offload_optimizer=true"]),
                         TrainKind.rm_explicit, "/m")
    ds3 = deepspeed_config(offload)
    assert ds3["zero_optimization"]["offload_optimizer"]["device"] == "cpu"
    assert ds3["zero_optimization"]["stage3_gather_16bit_weights_on_model_save"]
    assert ds3["optimizer"]["type"] == "AdamW"
