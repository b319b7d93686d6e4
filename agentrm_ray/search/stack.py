"""Build the actor pools a search run needs, from config, and tear them down afterwards.

Everything that can be checked without a cluster — model paths, RM settings — is checked
when the stack object is built, before Ray starts; `start()` then creates the actors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from agentrm_ray.actors.env import EnvPool
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import RewardMethod, SearchStrategy
from agentrm_ray.envs import family_by_env_id
from agentrm_ray.errors import AgentRMError
from agentrm_ray.models.prepare import prepare
from agentrm_ray.models.registry import KNOWN_MODELS, is_prepared
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.search.scorers import NoScorer, OracleScorer, PoolScorer, Scorer
from agentrm_ray.types import Task

NEEDS_SCORES = {SearchStrategy.best_of_n, SearchStrategy.beam}


def prepare_known_models(cfg: RootConfig) -> list[str]:
    """Convert packaged default models that the config names but the cache lacks."""
    names = {cfg.policy.model, cfg.reward.model, cfg.reward.reference_model}
    missing = sorted(n for n in names if n in KNOWN_MODELS and not is_prepared(n))
    for name in missing:
        prepare(name)
    return missing


def instruction_for(task: Task) -> str:
    return family_by_env_id(task.env_id).prompt.instruction


class SearchStack:
    def __init__(self, cfg: RootConfig) -> None:
        self.cfg = cfg
        self.policy = PolicyPool(cfg.policy, seed=cfg.seed)
        self.envs = EnvPool(cfg.envs)
        uses_rm = cfg.search.strategy in NEEDS_SCORES and cfg.reward.method in (
            RewardMethod.value,
            RewardMethod.implicit,
            RewardMethod.judge,
        )
        self.reward = RewardPool(cfg) if uses_rm else None
        self.scorer: Scorer
        if self.reward is not None:
            self.scorer = PoolScorer(self.reward, instruction_for)
        elif cfg.reward.method is RewardMethod.oracle:
            self.scorer = OracleScorer()
        else:
            self.scorer = NoScorer()

    def resource_needs(self) -> dict[str, float]:
        """CPUs and GPUs the stack's actors reserve, in total."""
        c = self.cfg
        cpus = c.policy.replicas * c.policy.num_cpus_per_replica
        cpus += c.envs.workers * c.envs.num_cpus_per_worker
        gpus = c.policy.replicas * c.policy.num_gpus_per_replica
        if self.reward is not None:
            cpus += c.reward.replicas * c.reward.num_cpus_per_replica
            gpus += c.reward.replicas * c.reward.num_gpus_per_replica
        return {"CPU": cpus, "GPU": gpus}

    def check_resources(self) -> None:
        """Fail with the numbers instead of waiting forever for actors that cannot be placed."""
        import ray

        have = ray.cluster_resources()
        for kind, need in self.resource_needs().items():
            if need > have.get(kind, 0.0) + 1e-9:
                raise AgentRMError(
                    f"the actors need {need:g} {kind} in total (policy.*, envs.*, reward.* "
                    f"num_{kind.lower()}s_per_...) but the Ray cluster has "
                    f"{have.get(kind, 0.0):g}; lower them or add resources"
                )

    async def start(self) -> None:
        self.check_resources()
        starts = [self.policy.start(), self.envs.start()]
        if self.reward is not None:
            starts.append(self.reward.start())
        await asyncio.gather(*starts)

    def expander_factory(self) -> Callable[[], Expander]:
        return lambda: PoolExpander(self.policy, self.envs, self.scorer, self.cfg.policy.sampling)

    async def shutdown(self) -> None:
        await self.policy.shutdown()
        await self.envs.shutdown()
        if self.reward is not None:
            await self.reward.shutdown()
