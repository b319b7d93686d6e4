"""The env workers of a pool: placement, least-loaded choice, and failure translation.

Workers are restartable Ray actors (`max_restarts=-1`, `max_task_retries=0`): Ray brings a dead
process back by itself, empty. This module turns Ray's ways of saying "that process is gone"
into one internal `WorkerLost`, marks the worker down so new sessions go elsewhere, and probes
it until it answers again. Errors raised *by* a worker method come back unwrapped when they
are ours (AgentRMError), so callers catch `UnknownEnvError`, not `RayTaskError`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, RayTaskError

from agentrm_ray.actors.env.errors import EnvPoolError
from agentrm_ray.actors.env.worker import EnvFactory, EnvWorker
from agentrm_ray.actors.replicas import replica_options
from agentrm_ray.actors.retry import doubling_backoff_s, probe_until_back
from agentrm_ray.actors.routing import Router
from agentrm_ray.config.models import EnvWorkersConfig
from agentrm_ray.errors import AgentRMError

log = logging.getLogger(__name__)

WORKER_FAILURES = (ActorDiedError, ActorUnavailableError, RayActorError)
BACKOFF_BASE_S = 0.05
BACKOFF_MAX_S = 2.0
PROBE_GIVE_UP_S = 300.0


class WorkerLost(Exception):
    """Internal: a call failed because its worker process died or is unreachable."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(f"env worker {index} lost: {cause!r}")
        self.index = index
        self.cause = cause


@dataclass
class WorkerSlot:
    name: str
    handle: Any
    live: int = 0  # sessions the driver holds on this worker (the routing load)
    down: bool = False
    failures: int = 0


def backoff_s(attempt: int) -> float:
    return doubling_backoff_s(attempt, BACKOFF_BASE_S, BACKOFF_MAX_S)


class WorkerFleet:
    """Create, choose among, call and stop the env workers of one pool."""

    def __init__(
        self,
        cfg: EnvWorkersConfig,
        resources: Mapping[str, float] | None = None,
        name: str = "env",
        extra_envs: Mapping[str, EnvFactory] | None = None,
    ) -> None:
        self.cfg = cfg
        self.resources = dict(resources or {})
        self.name = name
        self.extra_envs = dict(extra_envs or {})
        self.slots: list[WorkerSlot] = []
        self.router = Router()
        self._probes: dict[int, asyncio.Task[None]] = {}

    def actor_options(self) -> dict[str, Any]:
        """The options every replica kind shares (actors/replicas.py), with no GPU."""
        return replica_options(self.cfg.num_cpus_per_worker, 0, self.resources or None)

    async def start(self, ready_timeout_s: float) -> None:
        options = self.actor_options()
        for i in range(self.cfg.workers):
            name = f"{self.name}-{i}"
            handle = EnvWorker.options(**options).remote(
                name, self.cfg.max_sessions_per_worker, self.cfg.idle_timeout_s, self.extra_envs,
                agentgym=self.cfg.agentgym,
            )
            self.slots.append(WorkerSlot(name, handle))
        try:
            await asyncio.wait_for(
                asyncio.gather(*(s.handle.ping.remote() for s in self.slots)), ready_timeout_s
            )
        except asyncio.TimeoutError:  # (not the builtin on Python 3.10)
            await self.stop(graceful=False)
            raise EnvPoolError(
                f"{self.name}: {self.cfg.workers} env workers did not start within "
                f"{ready_timeout_s:.0f}s; the cluster may lack the resources they ask for "
                f"({options.get('resources') or {}}, num_cpus={self.cfg.num_cpus_per_worker})"
            ) from None

    def choose(self, avoid: set[int]) -> int:
        """The least-loaded worker, preferring ones that are up and not in `avoid`."""
        return self.router.choose([s.live for s in self.slots], avoid,
                                  down=[s.down for s in self.slots])

    def has_healthy(self, avoid: set[int]) -> bool:
        return any(i not in avoid and not s.down for i, s in enumerate(self.slots))

    async def call(self, index: int, method: str, *args: Any) -> Any:
        """Call a worker method; raises WorkerLost, or the worker's own error unwrapped."""
        slot = self.slots[index]
        try:
            result = await getattr(slot.handle, method).remote(*args)
        except WORKER_FAILURES as exc:
            self.mark_down(index, exc)
            raise WorkerLost(index, exc) from exc
        except RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, AgentRMError):
                raise cause from None
            raise
        slot.down = False
        return result

    def mark_down(self, index: int, cause: BaseException) -> None:
        slot = self.slots[index]
        slot.failures += 1
        if not slot.down:
            log.warning("%s: %s lost (%s); Ray restarts it, sessions move by replay",
                        self.name, slot.name, type(cause).__name__)
        slot.down = True
        if index not in self._probes or self._probes[index].done():
            self._probes[index] = asyncio.get_running_loop().create_task(self._probe(index))

    async def _probe(self, index: int) -> None:
        """Ping a down worker until its restarted process answers, then route to it again."""
        slot = self.slots[index]
        await probe_until_back(self.name, slot, slot.handle.ping.remote, WORKER_FAILURES,
                               BACKOFF_BASE_S, BACKOFF_MAX_S, PROBE_GIVE_UP_S)

    async def stop(self, graceful: bool = True) -> None:
        for probe in self._probes.values():
            probe.cancel()
        self._probes.clear()
        if graceful:
            await asyncio.gather(
                *(self._close_all(s) for s in self.slots if not s.down), return_exceptions=True
            )
        for slot in self.slots:
            ray.kill(slot.handle, no_restart=True)
        self.slots.clear()

    @staticmethod
    async def _close_all(slot: WorkerSlot) -> None:
        await asyncio.wait_for(slot.handle.close_all.remote(), 30)
