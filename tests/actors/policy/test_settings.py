"""Backend settings derived from config: torch.compile only where a replica has GPUs."""

from __future__ import annotations

import pytest

from agentrm_ray.actors.policy.settings import backend_settings
from agentrm_ray.actors.reward.pool import reward_settings
from agentrm_ray.config import load_config


@pytest.mark.parametrize(
    ("overrides", "eager"),
    [
        ([], True),  # CPU-only replica: compiling costs a minute per start, buys nothing
        (["policy.num_gpus_per_replica=1"], False),  # GPUs: CUDA graphs pay off
        (["policy.enforce_eager=false"], False),
        (["policy.num_gpus_per_replica=1", "policy.enforce_eager=true"], True),
    ],
)
def test_policy_engine_is_eager_on_cpus_unless_set(
    tiny_model: str, overrides: list[str], eager: bool
) -> None:
    cfg = load_config(overrides=[f"policy.model={tiny_model}", *overrides])
    assert backend_settings(cfg.policy).enforce_eager is eager


@pytest.mark.parametrize(
    ("overrides", "eager"),
    [
        ([], True),
        (["reward.num_gpus_per_replica=1"], False),  # the judge's own replica decides
        (["policy.num_gpus_per_replica=1"], True),
        (["policy.enforce_eager=false"], False),
    ],
)
def test_judge_engine_follows_its_own_replica(
    tiny_model: str, overrides: list[str], eager: bool
) -> None:
    cfg = load_config(overrides=[f"policy.model={tiny_model}", "reward.method=judge",
                                 "reward.judge_backend=vllm", *overrides])
    assert reward_settings(cfg).judge_enforce_eager is eager
