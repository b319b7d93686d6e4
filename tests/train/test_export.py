"""Training throughput counts only steps free of one-off costs."""

from __future__ import annotations

from agentrm_ray.train.export import throughput


def _step(seconds: float, warmup: bool) -> dict:
    return {"seconds": seconds, "samples": 4, "tokens": 400, "warmup": warmup}


def test_first_and_post_checkpoint_steps_are_left_out() -> None:
    rate = throughput([_step(2.6, True), _step(0.05, False), _step(2.6, True), _step(0.05, False)])
    assert rate["steps_timed"] == 2
    assert rate["samples_per_s"] == 8 / 0.1 and rate["tokens_per_s"] == 800 / 0.1
    assert rate["seconds_per_step"] == 0.05


def test_a_run_of_only_warmup_steps_reports_no_rate() -> None:
    assert throughput([_step(2.6, True), _step(2.5, True)]) == {"steps_timed": 0}
