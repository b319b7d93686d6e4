"""Cross-field rules: combinations each field allows alone but that cannot run together.

Each rule returns the dotted path it blames; `load_config` raises them all at once.
"""

from __future__ import annotations

from collections.abc import Callable

from agentrm_ray.config.errors import ConfigProblem
from agentrm_ray.config.models import (
    PolicyBackend,
    RewardBackend,
    RewardMethod,
    RootConfig,
    ServeIngress,
)


def _strategy_needs_reward(cfg: RootConfig) -> list[ConfigProblem]:
    if cfg.search.strategy.ranks_states and cfg.reward.method is RewardMethod.none:
        return [
            ConfigProblem(
                "reward.method",
                f"search.strategy={cfg.search.strategy.value} ranks states with a reward model; "
                "choose value, implicit, judge or oracle",
            )
        ]
    return []


def _openai_needs_url(cfg: RootConfig) -> list[ConfigProblem]:
    if cfg.policy.backend is PolicyBackend.openai and not cfg.policy.openai.base_url:
        return [ConfigProblem("policy.openai.base_url", "required when policy.backend=openai")]
    return []


def _tensor_parallel_needs_gpus(cfg: RootConfig) -> list[ConfigProblem]:
    p = cfg.policy
    if p.tensor_parallel_size > 1 and p.backend is not PolicyBackend.vllm:
        return [
            ConfigProblem("policy.tensor_parallel_size", "only the vllm backend shards a model")
        ]
    if p.tensor_parallel_size > 1 and p.num_gpus_per_replica < p.tensor_parallel_size:
        return [
            ConfigProblem(
                "policy.num_gpus_per_replica",
                f"tensor_parallel_size={p.tensor_parallel_size} needs at least that many GPUs "
                "per replica",
            )
        ]
    return []


def _train_gpus(cfg: RootConfig) -> list[ConfigProblem]:
    t = cfg.train
    if t.gpus_per_worker > 0 and not t.use_gpu:
        return [ConfigProblem("train.gpus_per_worker", "set train.use_gpu=true to use GPUs")]
    if t.offload_optimizer and t.zero_stage == 0:
        return [ConfigProblem("train.offload_optimizer", "optimizer offload needs zero_stage >= 1")]
    return []


def _judge_backend_is_local(cfg: RootConfig) -> list[ConfigProblem]:
    if cfg.reward.judge_backend is PolicyBackend.openai:
        return [ConfigProblem("reward.judge_backend",
                              "the judge runs its model inside the RM replica: choose vllm or hf")]
    return []


def _reward_backend_serves_value(cfg: RootConfig) -> list[ConfigProblem]:
    r = cfg.reward
    if r.backend is RewardBackend.vllm and r.method is not RewardMethod.value:
        return [ConfigProblem("reward.backend", (
            f"vllm runs value RMs only; reward.method is {r.method.value} (a judge picks its "
            "engine with reward.judge_backend)"))]
    if r.backend is RewardBackend.vllm and r.allow_untrained_head:
        return [ConfigProblem("reward.backend", (
            "a vLLM pooling engine serves a trained value head only; reward.allow_untrained_head "
            "needs reward.backend=hf"))]
    return []


def _ensemble_is_value_on_hf(cfg: RootConfig) -> list[ConfigProblem]:
    r = cfg.reward
    if cfg.quickstart.rm_ensemble > 1 and r.backend is not RewardBackend.hf:
        return [ConfigProblem("quickstart.rm_ensemble", (
            "the loop's explicit-RM columns would score an ensemble, which needs "
            f"reward.backend=hf, not {r.backend.value}"))]
    if not r.ensemble:
        return []
    if r.method is not RewardMethod.value:
        return [ConfigProblem("reward.ensemble", (
            f"an ensemble averages value heads; reward.method is {r.method.value}"))]
    if r.backend is not RewardBackend.hf:
        return [ConfigProblem("reward.ensemble", (
            "an ensemble's members are scored by transformers in one RM replica; it needs "
            f"reward.backend=hf, not {r.backend.value}"))]
    if r.allow_untrained_head:
        return [ConfigProblem("reward.ensemble", (
            "a mean with random heads ranks nothing; reward.allow_untrained_head must be off"))]
    return []


def _autoscaling_bounds(cfg: RootConfig) -> list[ConfigProblem]:
    a = cfg.serve.autoscaling
    if a.min_replicas > a.max_replicas:
        return [
            ConfigProblem(
                "serve.autoscaling.min_replicas",
                f"{a.min_replicas} exceeds max_replicas={a.max_replicas}",
            )
        ]
    return []


def _serve_ports_distinct(cfg: RootConfig) -> list[ConfigProblem]:
    """With the HAProxy ingress four listeners share serve.host; `auto` may pick it."""
    rt = cfg.serve.runtime
    if rt.ingress is ServeIngress.proxy:
        return []
    ports = {"serve.port": cfg.serve.port,
             "serve.runtime.haproxy_stats_port": rt.haproxy_stats_port,
             "serve.runtime.haproxy_metrics_port": rt.haproxy_metrics_port,
             "serve.runtime.fallback_proxy_port": rt.fallback_proxy_port}
    seen: dict[int, str] = {}
    problems = []
    for path, port in ports.items():
        if port in seen:
            problems.append(ConfigProblem(
                path, f"{port} is also {seen[port]}: the HAProxy ingress (serve.runtime.ingress="
                      f"{rt.ingress.value}) listens on each of these ports"))
        seen.setdefault(port, path)
    return problems


def _prompt_tasks_need_a_pack(cfg: RootConfig) -> list[ConfigProblem]:
    p = cfg.prompts
    if p.dir is None and p.tasks:
        return [ConfigProblem("prompts.dir", "prompts.tasks maps families to a prompt pack; "
                              "set prompts.dir to the pack's directory")]
    if p.dir is not None and not p.tasks:
        return [ConfigProblem("prompts.tasks", "a prompt pack is set but no family uses it; "
                              "map families to its task names, e.g. {alfworld: alfworld}")]
    return []


RULES: tuple[Callable[[RootConfig], list[ConfigProblem]], ...] = (
    _strategy_needs_reward,
    _openai_needs_url,
    _tensor_parallel_needs_gpus,
    _train_gpus,
    _judge_backend_is_local,
    _reward_backend_serves_value,
    _ensemble_is_value_on_hf,
    _autoscaling_bounds,
    _serve_ports_distinct,
    _prompt_tasks_need_a_pack,
)


def check_combinations(cfg: RootConfig) -> list[ConfigProblem]:
    """Every cross-field problem of a config that passed field validation."""
    return [problem for rule in RULES for problem in rule(cfg)]
