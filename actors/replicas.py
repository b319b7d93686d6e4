"""A set of interchangeable, restartable actor replicas: least-outstanding routing, key
affinity, and failover. Policy and reward pools are thin layers over it.

Routing: a call goes to the replica with the fewest calls in flight; a call with an
`affinity_key` (e.g. the search node it expands) prefers the replica that served that key
before, as long as that replica is not much busier than the least busy one — so a backend's
prefix cache gets reused without starving the other replicas.

Failures: replicas are restartable Ray actors (`max_restarts=-1`), so a dead process comes
back by itself; a call that hits a dead replica, or outlives `timeout_s` (a hung replica, which
is then killed so Ray restarts it), is retried on another replica. Callers see a delay, not an
error. Errors raised by the call itself (bad input) are not retried.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

from agentrm_ray.errors import AgentRMError

log = logging.getLogger(__name__)

AFFINITY_SLACK = 2  # a sticky replica may have this many more calls in flight
AFFINITY_MEMORY = 4096
REPLICA_FAILURES = (RayActorError, ActorDiedError, ActorUnavailableError, TimeoutError)


class PoolExhaustedError(AgentRMError):
    """Every attempt to serve a call on some replica failed."""


@dataclass
class Replica:
    name: str
    handle: Any
    outstanding: int = 0
    failures: int = 0


class ReplicaSet:
    def __init__(self, name: str, timeout_s: float, max_attempts: int) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.replicas: list[Replica] = []
        self._affinity: OrderedDict[str, int] = OrderedDict()

    def add(self, name: str, handle: Any) -> None:
        self.replicas.append(Replica(name, handle))

    async def broadcast(self, method: str, *args: Any) -> list[Any]:
        return list(
            await asyncio.gather(*(getattr(r.handle, method).remote(*args) for r in self.replicas))
        )

    async def call(self, method: str, *args: Any, affinity_key: str | None = None) -> Any:
        last: Exception | None = None
        tried: set[int] = set()
        for _ in range(self.max_attempts):
            index = self._choose(affinity_key, avoid=tried)
            replica = self.replicas[index]
            replica.outstanding += 1
            try:
                ref = getattr(replica.handle, method).remote(*args)
                result = await asyncio.wait_for(ref, self.timeout_s)
            except REPLICA_FAILURES as exc:
                last = exc
                tried.add(index)
                replica.failures += 1
                self._forget(index)
                if isinstance(exc, TimeoutError):
                    log.warning(
                        "%s: %s timed out after %.0fs; restarting it",
                        self.name,
                        replica.name,
                        self.timeout_s,
                    )
                    ray.kill(replica.handle, no_restart=False)
                else:
                    log.warning(
                        "%s: %s failed (%s); retrying elsewhere",
                        self.name,
                        replica.name,
                        type(exc).__name__,
                    )
                continue
            finally:
                replica.outstanding -= 1
            if affinity_key:
                self._remember(affinity_key, index)
            return result
        raise PoolExhaustedError(
            f"{self.name}: call {method} failed on {self.max_attempts} attempts; last: {last!r}"
        )

    async def shutdown(self) -> None:
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.handle.shutdown.remote(), 30)
            except Exception:  # a dying replica must not block the others' shutdown
                log.debug("%s: %s did not shut down cleanly", self.name, replica.name)
            ray.kill(replica.handle, no_restart=True)
        self.replicas.clear()

    def _choose(self, key: str | None, avoid: set[int]) -> int:
        candidates = [i for i in range(len(self.replicas)) if i not in avoid]
        if not candidates:  # every replica failed once: restarted ones may answer now
            avoid.clear()
            candidates = list(range(len(self.replicas)))
        least = min(candidates, key=lambda i: (self.replicas[i].outstanding, i))
        if key is not None and key in self._affinity:
            sticky = self._affinity[key]
            if sticky in candidates and (
                self.replicas[sticky].outstanding
                <= self.replicas[least].outstanding + AFFINITY_SLACK
            ):
                return sticky
        return least

    def _remember(self, key: str, index: int) -> None:
        self._affinity[key] = index
        self._affinity.move_to_end(key)
        while len(self._affinity) > AFFINITY_MEMORY:
            self._affinity.popitem(last=False)

    def _forget(self, index: int) -> None:
        for key in [k for k, v in self._affinity.items() if v == index]:
            del self._affinity[key]


def replica_options(
    num_cpus: float, num_gpus: float, resources: dict[str, float] | None = None
) -> dict[str, Any]:
    """Actor options shared by every replica kind: restartable, concurrent, spread over nodes."""
    options: dict[str, Any] = {
        "num_cpus": num_cpus,
        "num_gpus": num_gpus,
        "max_restarts": -1,
        "max_task_retries": 0,
        "max_concurrency": 1000,
        "scheduling_strategy": "SPREAD",
    }
    if resources:
        options["resources"] = resources
    return options
