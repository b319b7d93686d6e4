"""Build the actor pools a search run needs, from config, and tear them down afterwards.

Everything that can be checked without a cluster — model paths, RM settings — is checked
when the stack object is built, before Ray starts; `start()` then creates the actors.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from agentrm_ray.actors.env import EnvPool
from agentrm_ray.actors.placement import ReplicaDemand, alive_nodes, placement_problems
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.actors.reward.pool import (
    RewardPool,
    checked_scoring_checkpoints,
    reward_model_names,
)
from agentrm_ray.config import ConfigError, RootConfig
from agentrm_ray.config.models import PolicyBackend, RewardMethod
from agentrm_ray.envs.agentgym.declared import declare_agentgym_families, unreachable_servers
from agentrm_ray.errors import AgentRMError
from agentrm_ray.models.prepare import prepare
from agentrm_ray.models.registry import KNOWN_MODELS, is_prepared, resolve_model
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.search.scorers import NoScorer, OracleScorer, PoolScorer, Scorer
from agentrm_ray.tasks import SelectedTasks, select_tasks


def prepare_known_models(cfg: RootConfig) -> list[str]:
    """Convert packaged default models that the config names but the cache lacks."""
    names = {cfg.policy.model, cfg.reward.model, cfg.reward.reference_model}
    missing = sorted(n for n in names if n in KNOWN_MODELS and not is_prepared(n))
    for name in missing:
        prepare(name)
    return missing


def uses_reward_model(cfg: RootConfig) -> bool:
    """Whether a search run of `cfg` starts RM replicas (its strategy ranks with a model)."""
    return cfg.search.strategy.ranks_states and cfg.reward.method.loads_model


def check_before_start(cfg: RootConfig) -> SelectedTasks:
    """Every check a search run makes before it starts work, and none of the work.

    The suite and its families must exist, the AgentGym servers of its declared families
    must answer, and every model the run loads must be on disk.
    A packaged model that is not converted yet passes: `run` converts it before it starts.
    `config validate` runs this, so that it accepts exactly what `run` accepts.
    """
    declare_agentgym_families(cfg.envs.agentgym)
    selected = select_tasks(cfg.tasks)
    PromptBook.from_config(cfg.prompts)  # a pack's files are there and well formed
    unreachable = unreachable_servers(cfg.envs.agentgym, set(selected.held_in))
    if unreachable:
        raise ConfigError(unreachable)
    # An OpenAI-compatible policy names a model its server serves, not a local checkpoint.
    served = cfg.policy.backend is PolicyBackend.openai
    names = {} if served else {"policy.model": cfg.policy.model}
    if uses_reward_model(cfg):
        names |= reward_model_names(cfg)
    for field, name in names.items():
        if name not in KNOWN_MODELS:
            resolve_model(name, field=field)
    if uses_reward_model(cfg):
        checked_scoring_checkpoints(cfg, on_disk=False)
    return selected


def _reward_of(cfg: RootConfig, with_model: bool, prompts: PromptBook
               ) -> tuple[RewardPool | None, Scorer]:
    """The RM pool and the scorer searches use, from `reward.method` alone; `with_model`
    (decided by the caller: does anything it runs rank with a model?) says whether a
    model-backed method gets its replicas or nothing scores at all."""
    if cfg.reward.method.loads_model:
        if not with_model:
            return None, NoScorer()
        reward = RewardPool(cfg)
        return reward, PoolScorer(reward, prompts.rm_instruction)
    if cfg.reward.method is RewardMethod.oracle:
        return None, OracleScorer()
    return None, NoScorer()


@asynccontextmanager
async def started_scorer(cfg: RootConfig, threads: int | None = None
                         ) -> AsyncIterator[Scorer]:
    """`cfg`'s scorer alone, its RM replicas started (no policy, no envs) and stopped after:
    what ranking finished trajectories needs. `threads` (as `reward.num_threads`) lets replicas
    that run alone use more cores than they reserve (the reservation stays, so they are placed
    as usual)."""
    if threads is not None:
        cfg = cfg.model_copy(update={
            "reward": cfg.reward.model_copy(update={"num_threads": threads})})
    reward, scorer = _reward_of(cfg, with_model=True, prompts=PromptBook.from_config(cfg.prompts))
    if reward is not None:
        await reward.start()
    try:
        yield scorer
    finally:
        if reward is not None:
            await reward.shutdown()


class SearchStack:
    def __init__(self, cfg: RootConfig, with_reward_model: bool | None = None) -> None:
        """`with_reward_model`: start RM replicas for a model-backed `reward.method`. Default:
        when the configured strategy ranks states; Serve passes True, since its requests
        choose their own strategy."""
        self.cfg = cfg
        declare_agentgym_families(cfg.envs.agentgym)
        self.prompts = PromptBook.from_config(cfg.prompts)  # one book for policy and RM
        self.policy = PolicyPool(cfg)
        self.envs = EnvPool(cfg.envs)
        if with_reward_model is None:
            with_reward_model = uses_reward_model(cfg)
        self.reward, self.scorer = _reward_of(cfg, with_reward_model, self.prompts)

    def replica_demands(self) -> list[ReplicaDemand]:
        """What each kind of replica reserves, one node per replica."""
        c = self.cfg
        demands = [
            ReplicaDemand("policy", c.policy.replicas,
                          {"CPU": c.policy.num_cpus_per_replica,
                           "GPU": c.policy.num_gpus_per_replica},
                          "policy.num_cpus_per_replica, policy.num_gpus_per_replica"),
            ReplicaDemand("envs", c.envs.workers, {"CPU": c.envs.num_cpus_per_worker},
                          "envs.num_cpus_per_worker"),
        ]
        if self.reward is not None:
            demands.append(ReplicaDemand(
                "reward", c.reward.replicas,
                {"CPU": c.reward.num_cpus_per_replica, "GPU": c.reward.num_gpus_per_replica},
                "reward.num_cpus_per_replica, reward.num_gpus_per_replica"))
        return demands

    def resource_needs(self) -> dict[str, float]:
        """CPUs and GPUs the stack's actors reserve, in total."""
        totals = {"CPU": 0.0, "GPU": 0.0}
        for demand in self.replica_demands():
            for kind, value in demand.per_replica.items():
                totals[kind] += demand.count * value
        return totals

    def check_resources(self) -> None:
        """Fail with the numbers instead of waiting forever for actors that cannot be placed."""
        problems = placement_problems(self.replica_demands(), alive_nodes())
        if problems:
            raise AgentRMError("; ".join(problems))

    async def start(self) -> None:
        self.check_resources()
        starts = [self.policy.start(), self.envs.start()]
        if self.reward is not None:
            starts.append(self.reward.start())
        await asyncio.gather(*starts)

    async def use_reward(self, cfg: RootConfig) -> None:
        """Rank with `cfg`'s reward model from now on; the policy and env pools stay up.

        Comparing scorers (value, implicit, judge, oracle) over one policy this way saves an
        engine start per scorer. `cfg` must differ from the stack's only in reward/search.
        """
        if cfg.policy != self.cfg.policy or cfg.envs != self.cfg.envs:
            raise AgentRMError("use_reward: the new config changes policy or envs; build a stack")
        with_model = uses_reward_model(cfg)
        if self.reward is not None and cfg.reward == self.cfg.reward and with_model:
            self.cfg = cfg  # same RM: keep its warm replicas
            return
        # model paths checked before the old RM goes
        reward, scorer = _reward_of(cfg, with_model, self.prompts)
        if self.reward is not None:
            await self.reward.shutdown()
        self.cfg, self.reward, self.scorer = cfg, reward, scorer
        if reward is not None:
            self.check_resources()
            await reward.start()

    def expander_factory(self) -> Callable[[], Expander]:
        return lambda: PoolExpander(self.policy, self.envs, self.scorer, self.cfg.policy.sampling,
                                    self.prompts)

    async def shutdown(self) -> None:
        await self.policy.shutdown()
        await self.envs.shutdown()
        if self.reward is not None:
            await self.reward.shutdown()
