"""A set of interchangeable, restartable actor replicas: least-outstanding routing, key
affinity, and failover. Policy and reward pools are thin layers over it.

Routing: a call goes to the replica with the fewest calls in flight; a call with an
`affinity_key` (e.g. the search node it expands) prefers the replica that served that key
before, as long as that replica is not much busier than the least busy one — so a backend's
prefix cache gets reused without starving the other replicas.

Failures: replicas are restartable Ray actors (`max_restarts=-1`), so a dead process comes
back by itself; a call that hits a dead replica is retried on another replica, and the replica
is marked down, so new calls go elsewhere until a probe finds it serving again (the env fleet's
rule, actors/retry.py). A call that outlives `timeout_s` makes the set probe its replica with a
cheap call: a replica that does not answer is hung, and is killed so Ray restarts it; a
replica that answers is only slow (a CPU engine with a deep queue), and killing it would throw
away every call in flight on it, so the call moves to another replica if there is one and
otherwise keeps waiting. Each wait counts as an attempt. Callers see a delay, not an error.
Errors raised by the call itself (bad input) are not retried.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import ray
from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

from agentrm_ray.actors.retry import doubling_backoff_s, probe_until_back
from agentrm_ray.actors.routing import Router
from agentrm_ray.errors import AgentRMError

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 30.0  # a replica whose event loop cannot answer a stats call in this is hung
REPLICA_FAILURES = (RayActorError, ActorDiedError, ActorUnavailableError, TimeoutError)
# A replica that failed is being restarted by Ray (max_restarts=-1); calling it again at once
# only meets "the actor was restarted". With no other replica to try, wait this long before
# the next attempt, doubling each time up to the cap (actors/retry.py), so the attempts span
# a restart.
RESTART_BACKOFF_S = 0.5
RESTART_BACKOFF_MAX_S = 8.0
RESTART_GIVE_UP_S = 600.0  # a down replica's probe stops; calls may still try it (last resort)


class PoolExhaustedError(AgentRMError):
    """Every attempt to serve a call on some replica failed."""


@dataclass
class Replica:
    name: str
    handle: Any
    outstanding: int = 0
    failures: int = 0
    down: bool = False  # failed and not yet seen serving again: new calls go elsewhere


class _SlowReplica(Exception):
    """The call outlived its timeout on a replica that still answers a probe."""


class ReplicaSet:
    def __init__(
        self, name: str, timeout_s: float, max_attempts: int, probe_method: str = "stats"
    ) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.max_attempts = max_attempts
        self.probe_method = probe_method
        self.replicas: list[Replica] = []
        self.router = Router()
        self._probes: dict[int, asyncio.Task[None]] = {}

    def add(self, name: str, handle: Any) -> None:
        self.replicas.append(Replica(name, handle))

    async def broadcast(self, method: str, *args: Any) -> list[Any]:
        return list(
            await asyncio.gather(*(getattr(r.handle, method).remote(*args) for r in self.replicas))
        )

    async def call(self, method: str, *args: Any, affinity_key: str | None = None) -> Any:
        last: Exception | None = None
        tried: set[int] = set()
        attempts = 0
        restart_waits = 0
        while attempts < self.max_attempts:
            index = self._choose(affinity_key, avoid=tried)
            replica = self.replicas[index]
            replica.outstanding += 1
            try:
                ref = getattr(replica.handle, method).remote(*args)
                pending = asyncio.wrap_future(ref.future())
                pending.add_done_callback(_retrieve)  # an abandoned call's error is not news
                while True:
                    attempts += 1
                    done, _ = await asyncio.wait({pending}, timeout=self.timeout_s)
                    if done:
                        result = pending.result()
                        break
                    if not await self._answers_probe(replica):
                        raise TimeoutError(f"{replica.name} did not answer a probe")
                    if attempts >= self.max_attempts or self._has_other(index, tried):
                        _cancel(ref)
                        raise _SlowReplica(f"{replica.name} still busy after {self.timeout_s}s")
                    log.warning(
                        "%s: %s is slow but alive (%s unanswered after %.0fs); still waiting",
                        self.name,
                        replica.name,
                        method,
                        self.timeout_s,
                    )
            except (*REPLICA_FAILURES, _SlowReplica) as exc:
                last = exc
                tried.add(index)
                self.router.forget(index)
                if isinstance(exc, _SlowReplica):
                    log.warning("%s: %s; moving the call elsewhere", self.name, exc)
                elif isinstance(exc, TimeoutError):
                    replica.failures += 1
                    self._mark_down(index)
                    log.warning(
                        "%s: %s timed out after %.0fs and did not answer a probe; restarting it",
                        self.name,
                        replica.name,
                        self.timeout_s,
                    )
                    ray.kill(replica.handle, no_restart=False)
                else:
                    replica.failures += 1
                    self._mark_down(index)
                    log.warning(
                        "%s: %s failed (%s); retrying elsewhere",
                        self.name,
                        replica.name,
                        type(exc).__name__,
                    )
                if (attempts < self.max_attempts and not isinstance(exc, _SlowReplica)
                        and not self._has_other(index, tried)):
                    # its only alternative is itself, restarting
                    await asyncio.sleep(doubling_backoff_s(
                        restart_waits, RESTART_BACKOFF_S, RESTART_BACKOFF_MAX_S))
                    restart_waits += 1
                continue
            finally:
                replica.outstanding -= 1
            replica.down = False
            if affinity_key:
                self.router.remember(affinity_key, index)
            return result
        raise PoolExhaustedError(
            f"{self.name}: call {method} failed on {self.max_attempts} attempts; last: {last!r}"
        )

    async def _answers_probe(self, replica: Replica) -> bool:
        """Whether the replica's event loop still answers: slow is not the same as hung."""
        try:
            probe = getattr(replica.handle, self.probe_method).remote()
            await asyncio.wait_for(probe, min(PROBE_TIMEOUT_S, self.timeout_s))
        except Exception:  # dead, hung or unreachable: all mean "restart it"
            return False
        return True

    def _mark_down(self, index: int) -> None:
        self.replicas[index].down = True
        probe = self._probes.get(index)
        if probe is None or probe.done():
            self._probes[index] = asyncio.get_running_loop().create_task(self._probe(index))

    async def _probe(self, index: int) -> None:
        """Route to a down replica again once its restarted process answers a probe."""
        replica = self.replicas[index]

        async def ping() -> None:
            probe = getattr(replica.handle, self.probe_method).remote()
            await asyncio.wait_for(probe, min(PROBE_TIMEOUT_S, self.timeout_s))

        await probe_until_back(self.name, replica, ping, REPLICA_FAILURES, RESTART_BACKOFF_S,
                               RESTART_BACKOFF_MAX_S, RESTART_GIVE_UP_S)

    def _has_other(self, index: int, tried: set[int]) -> bool:
        return any(i != index and i not in tried for i in range(len(self.replicas)))

    async def shutdown(self) -> None:
        for probe in self._probes.values():
            probe.cancel()
        self._probes.clear()
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.handle.shutdown.remote(), 30)
            except Exception:  # a dying replica must not block the others' shutdown
                log.debug("%s: %s did not shut down cleanly", self.name, replica.name)
            ray.kill(replica.handle, no_restart=True)
        self.replicas.clear()

    def _choose(self, key: str | None, avoid: set[int]) -> int:
        if len(avoid) >= len(self.replicas):  # every replica failed once: restarted ones
            avoid.clear()                     # may answer now
        return self.router.choose([r.outstanding for r in self.replicas], avoid, key,
                                  down=[r.down for r in self.replicas])


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _cancel(ref: Any) -> None:
    try:
        ray.cancel(ref)
    except Exception:  # best effort: the call's result is dropped either way
        log.debug("could not cancel %s", ref)


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
