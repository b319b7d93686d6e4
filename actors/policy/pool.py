"""A pool of policy replicas (routing, prefix affinity and failover: see `replicas.py`)."""

from __future__ import annotations

from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult
from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.actors.policy.settings import backend_settings
from agentrm_ray.actors.policy.worker import PolicyWorker
from agentrm_ray.actors.replicas import ReplicaSet, replica_options
from agentrm_ray.config.models import RootConfig


class PolicyPool:
    def __init__(
        self, root: RootConfig, name: str = "policy", settings: BackendSettings | None = None
    ) -> None:
        """The same contract as `RewardPool`: the whole config (each pool reads its section and
        what it shares, like the seed), a name for its replicas, and settings to override."""
        cfg = root.policy
        self.cfg = cfg
        self.settings = settings or backend_settings(cfg, root.seed)  # fails before any actor
        self.replica_set = ReplicaSet(name, cfg.request_timeout_s, cfg.replicas + 2)

    async def start(self) -> None:
        """Create the replicas and wait until every backend has loaded its model."""
        options = replica_options(self.cfg.num_cpus_per_replica, self.cfg.num_gpus_per_replica)
        for i in range(self.cfg.replicas):
            name = f"{self.replica_set.name}-{i}"
            handle = PolicyWorker.options(**options).remote(
                self.cfg.backend.value, self.settings, name
            )
            self.replica_set.add(name, handle)
        await self.replica_set.broadcast("start")

    @property
    def replicas(self) -> list:
        return [r.handle for r in self.replica_set.replicas]

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        return await self.replica_set.call("generate", request, affinity_key=request.affinity_key)

    async def stats(self) -> list[dict[str, float]]:
        return await self.replica_set.broadcast("stats")

    async def reset_stats(self) -> None:
        await self.replica_set.broadcast("reset_stats")

    async def shutdown(self) -> None:
        await self.replica_set.shutdown()
