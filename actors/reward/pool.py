"""A pool of RM replicas (routing and failover: see `replicas.py`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrm_ray.actors.device import GpuReservation
from agentrm_ray.actors.policy.settings import eager_engine
from agentrm_ray.actors.replicas import ReplicaSet, replica_options
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods import EnsembleMember, RewardSettings
from agentrm_ray.actors.reward.worker import RewardWorker
from agentrm_ray.config import ConfigError, ConfigProblem
from agentrm_ray.config.models import RewardConfig, RewardMethod, RootConfig
from agentrm_ray.models import resolve_model
from agentrm_ray.models.provenance import PROVENANCE_FILE, trained_rm_template
from agentrm_ray.models.registry import KNOWN_MODELS
from agentrm_ray.models.value_head import HINT as VALUE_HEAD_HINT
from agentrm_ray.models.value_head import ValueHeadError, check_value_head
from agentrm_ray.prompting import RMTemplate, resolve_rm_template


def reward_model_names(cfg: RootConfig) -> dict[str, str]:
    """{config field: model name or path} of every model an RM replica loads."""
    r: RewardConfig = cfg.reward
    names = {"reward.model": r.model or cfg.policy.model}
    if r.method.value == "implicit":
        names["reward.reference_model"] = r.reference_model or cfg.policy.model
    if r.method is RewardMethod.value:
        names |= ensemble_names(r)
    return names


def ensemble_names(r: RewardConfig) -> dict[str, str]:
    """{config field: checkpoint} of the value RM's further ensemble members."""
    return {f"reward.ensemble[{i}]": name for i, name in enumerate(r.ensemble)}


@dataclass(frozen=True)
class ScoringCheckpoint:
    """One checkpoint whose output is (part of) the score, as the check found it."""

    field: str  # its config field: reward.model or reward.ensemble[i]
    path: Path | None  # None: a packaged base model not converted yet (validation only)
    label: int  # the head's output that is the score (value RM)
    untrained: bool  # a fresh random head, allowed by reward.allow_untrained_head


def checked_scoring_checkpoints(cfg: RootConfig, on_disk: bool) -> list[ScoringCheckpoint]:
    """The one check of the checkpoints whose outputs are the score (reward.model and the
    ensemble members) of a value or implicit RM: a value RM's trained head (or the allowance,
    for reward.model only), and the RM template each was trained on. Errors name the field.

    `on_disk=False` (config validation) leaves packaged base models unconverted: they are
    causal LMs, so they have no value head and record no template; the replicas' settings ask
    with `on_disk=True`, which converts them."""
    r: RewardConfig = cfg.reward
    if r.method not in (RewardMethod.value, RewardMethod.implicit):
        return []
    template = resolve_rm_template(r.template)
    names = reward_model_names(cfg)
    scored_by = {"reward.model": names["reward.model"]} | ensemble_names(r)
    found = []
    for field, name in scored_by.items():
        path = (resolve_model(name, field=field)
                if on_disk or name not in KNOWN_MODELS else None)
        label, untrained = 0, False
        if r.method is RewardMethod.value:
            allowed = r.allow_untrained_head and field == "reward.model"
            if path is None:  # a packaged base model: a causal LM, never a value head
                if not allowed:
                    raise ValueHeadError(f"{field}={name}: a packaged base model has no "
                                         f"trained value head; {VALUE_HEAD_HINT}")
                label, untrained = r.score_label or 0, True
            else:
                label, untrained = value_head_of(path, r.score_label, allowed, field)
        if path is not None:
            check_trained_template(path, template, field=field)
        found.append(ScoringCheckpoint(field, path, label, untrained))
    return found


def reward_settings(cfg: RootConfig) -> RewardSettings:
    """Settings of one RM replica; model names resolve (or fail) before any actor starts."""
    r: RewardConfig = cfg.reward
    names = reward_model_names(cfg)
    model = resolve_model(names["reward.model"], field="reward.model")
    reference = None
    if "reward.reference_model" in names:
        reference = str(
            resolve_model(names["reward.reference_model"], field="reward.reference_model")
        )
    scoring = checked_scoring_checkpoints(cfg, on_disk=True)
    label, untrained = (scoring[0].label, scoring[0].untrained) if scoring else (0, False)
    members = tuple(EnsembleMember(str(c.path), c.label) for c in scoring[1:])
    return RewardSettings(
        model_path=str(model),
        reference_path=reference,
        beta=r.beta,
        dtype=cfg.policy.dtype,
        max_length=r.max_length,
        max_batch_size=r.max_batch_size,
        num_threads=r.num_threads or max(1, math.floor(r.num_cpus_per_replica)),
        backend=r.backend.value,
        judge_backend=r.judge_backend.value,
        engine_enforce_eager=eager_engine(cfg.policy, r.num_gpus_per_replica),
        engine_kv_cache_gib=cfg.policy.kv_cache_gib,
        engine_gpu_memory_utilization=cfg.policy.gpu_memory_utilization,
        seed=cfg.seed,
        gpus=GpuReservation(r.num_gpus_per_replica, "reward.num_gpus_per_replica"),
        score_label=label,
        untrained_head=untrained,
        template=resolve_rm_template(r.template),
        ensemble=members,
    )


def check_trained_template(model: str | Path, template: RMTemplate,
                           field: str = "reward.model") -> None:
    """An RM trained here records the text layout it learned (`agentrm_train.json`); serving
    it with another one scores text it never saw, so that is a config error naming
    reward.template. A checkpoint from elsewhere records nothing: the user's choice stands."""
    trained = trained_rm_template(model)
    if trained is None:
        return
    same = (trained.get("header_format"), trained.get("step_format")) == (
        template.header_format, template.step_format)
    if not same:
        raise ConfigError([ConfigProblem("reward.template", (
            f"{field}={model} was trained on RM template {trained.get('name')!r}, this run renders "
            f"{template.name!r}; set reward.template to {trained.get('name')!r} (its "
            f"{PROVENANCE_FILE} has the formats)"))])


def value_head_of(model: str | Path, score_label: int | None, allow_untrained: bool,
                  field: str = "reward.model") -> tuple[int, bool]:
    """(score output, whether the head is a fresh random one) of a value RM checkpoint:
    refused here, before any actor loads it, unless it has a trained head or the config allows
    an untrained one (models/value_head.py)."""
    try:
        return check_value_head(model, score_label, field=field), False
    except ValueHeadError:
        if not allow_untrained:
            raise
        return score_label or 0, True


class RewardPool:
    def __init__(
        self, cfg: RootConfig, name: str = "reward", settings: RewardSettings | None = None
    ) -> None:
        self.cfg = cfg.reward
        self.method = cfg.reward.method.value
        self.settings = settings or reward_settings(cfg)
        self.replica_set = ReplicaSet(name, cfg.policy.request_timeout_s, cfg.reward.replicas + 2)

    async def start(self) -> None:
        options = replica_options(self.cfg.num_cpus_per_replica, self.cfg.num_gpus_per_replica)
        for i in range(self.cfg.replicas):
            name = f"{self.replica_set.name}-{i}"
            handle = RewardWorker.options(**options).remote(self.method, self.settings, name)
            self.replica_set.add(name, handle)
        await self.replica_set.broadcast("start")

    async def score(
        self, states: list[RMState], affinity_key: str | None = None
    ) -> list[ScoreResult]:
        return await self.replica_set.call("score", states, affinity_key=affinity_key)

    async def stats(self) -> list[dict[str, Any]]:
        return await self.replica_set.broadcast("stats")

    async def shutdown(self) -> None:
        await self.replica_set.shutdown()
