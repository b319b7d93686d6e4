"""Per-process pools of JVM-hosted game objects, reused across env objects and forks.

Why a pool: ScienceWorld and TextWorld Express are Scala programs driven through py4j. A JVM
costs 0.5-2 s to start and 40-400 MB of memory, while the search and the contract tests create
hundreds of short-lived envs and replay forks. So an env borrows a game object (a
`PythonInterface`) from its family's pool on first use and gives it back on close() or garbage
collection; the next env gets the same game object without starting anything.

Two ways to host games, chosen per game by `JvmGameSpec.games_per_jvm`:
- several (None: any number): one JVM hosts many games. Right for ScienceWorld, whose game
  objects are independent (the same task played interleaved in two game objects prints exactly
  what it prints alone; tests/envs/test_sciworld.py checks this); the limit keeps a JVM's heap
  from running out, and more games start another JVM.
- 1: each game gets a JVM of its own; idle JVMs are kept for reuse. Needed for TextWorld
  Express, whose games share state inside one JVM (two `sorting` games of the same seed see
  each other's moves).

Lifetime: a JVM starts when a game is needed and none is free. A JVM no game is borrowed from
stops after `linger_seconds` (or at once beyond `max_idle_jvms` idle JVMs); `shutdown_jvms()`
(also run at interpreter exit) stops all of them at once. JVMs are launched with py4j's
die-on-exit, so they end with this process even if Python is killed. A process forked from one
that holds JVMs never touches the parent's JVMs: it starts its own on first use.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import shlex
import subprocess
import threading
from dataclasses import dataclass
from typing import Any

from agentrm_ray.envs.errors import EnvUnavailableError

# Small heap and a cheap JIT/GC: the games are small and many processes may each hold a JVM.
JVM_BASE_OPTIONS: tuple[str, ...] = ("-Xmx400m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1")
# Every identity hash code equal: hash-set iteration order then no longer depends on the JVM's
# history, which ScienceWorld otherwise lets leak into object listings (same task, same
# variation, different order of objects on every load).
STABLE_HASH_OPTIONS: tuple[str, ...] = ("-XX:+UnlockExperimentalVMOptions", "-XX:hashCode=2")
# Extra JVM options from the environment (appended, so e.g. a larger -Xmx wins).
EXTRA_OPTIONS_VARIABLE = "AGENTRM_JAVA_OPTIONS"
STOP_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class JvmGameSpec:
    """Which jar to run, which class a game object is, and how games share JVMs."""

    name: str
    jar_path: str
    working_dir: str
    interface_class: str
    java_options: tuple[str, ...] = JVM_BASE_OPTIONS
    games_per_jvm: int | None = None
    linger_seconds: float = 10.0
    max_idle_jvms: int = 2
    max_idle_games: int = 4


class _Jvm:
    """A running JVM with its py4j gateway and the game objects it holds."""

    def __init__(self, spec: JvmGameSpec) -> None:
        from py4j.java_gateway import GatewayParameters, JavaGateway, launch_gateway

        options = list(spec.java_options) + shlex.split(os.environ.get(EXTRA_OPTIONS_VARIABLE, ""))
        try:
            port, process = launch_gateway(
                classpath=spec.jar_path, javaopts=options, die_on_exit=True,
                cwd=spec.working_dir, return_proc=True,
            )
        except OSError as err:
            raise EnvUnavailableError(
                f"{spec.name} needs a Java runtime (17 works) on PATH: {err}. "
                "On Debian: apt-get install -y default-jre-headless"
            ) from err
        self.process: subprocess.Popen[bytes] = process
        self.gateway = JavaGateway(
            gateway_parameters=GatewayParameters(port=port, auto_field=True, auto_close=True),
            java_process=process,
        )
        self._interface = functools.reduce(getattr, spec.interface_class.split("."),
                                           self.gateway.jvm)
        self.borrowed = 0
        self.idle_games: list[Any] = []
        self.stop_timer: threading.Timer | None = None

    def new_game(self) -> Any:
        return self._interface()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def cancel_timer(self) -> None:
        if self.stop_timer is not None:
            self.stop_timer.cancel()
            self.stop_timer = None

    def stop(self) -> None:
        """Close the gateway and make sure the Java process has exited."""
        self.cancel_timer()
        self.idle_games = []
        with contextlib.suppress(Exception):  # the JVM may be gone already; stopping must not fail
            self.gateway.shutdown()
        process = self.process
        if process.poll() is None and process.stdin is not None:
            # die_on_exit makes the JVM exit when its stdin reaches end of file.
            with contextlib.suppress(OSError):
                process.stdin.close()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


class GameLease:
    """One game object borrowed from a pool; `release()` gives it back (idempotent)."""

    def __init__(self, pool: JvmPool, jvm: _Jvm, server: Any) -> None:
        self._pool = pool
        self._jvm: _Jvm | None = jvm
        self._server = server

    @property
    def server(self) -> Any:
        """The py4j proxy of the game object (raises once released or its JVM stopped)."""
        if self._server is None:
            raise RuntimeError(f"{self._pool.spec.name}: this game object was already released")
        if not self.alive:
            raise RuntimeError(f"{self._pool.spec.name}: the JVM holding this game was shut "
                               "down; reset() the env to continue on a new one")
        return self._server

    @property
    def released(self) -> bool:
        return self._server is None

    @property
    def alive(self) -> bool:
        """Not released, and the JVM it lives in still runs for this pool."""
        return self._server is not None and self._pool._hosts(self._jvm)

    @property
    def java_pid(self) -> int | None:
        return self._jvm.process.pid if self._jvm is not None else None

    def release(self) -> None:
        server, self._server = self._server, None
        jvm, self._jvm = self._jvm, None
        if server is not None and jvm is not None:
            self._pool._give_back(jvm, server)


class JvmPool:
    """The process's JVMs for one game jar, and the game objects they lend out."""

    def __init__(self, spec: JvmGameSpec) -> None:
        self.spec = spec
        self._lock = threading.RLock()
        self._jvms: list[_Jvm] = []

    # ----------------------------------------------------------------- public
    def acquire(self) -> GameLease:
        """Borrow a game object, starting a JVM only when no running one has room."""
        with self._lock:
            for dead in [j for j in self._jvms if not j.alive]:
                self._remove(dead)
            jvm = self._jvm_with_room()
            if jvm is None:
                jvm = _Jvm(self.spec)
                self._jvms.append(jvm)
            jvm.cancel_timer()
            server = jvm.idle_games.pop() if jvm.idle_games else jvm.new_game()
            jvm.borrowed += 1
            return GameLease(self, jvm, server)

    def shutdown(self) -> None:
        """Stop every JVM of this pool now; game objects still borrowed stop working."""
        with self._lock:
            for jvm in list(self._jvms):
                self._remove(jvm)

    @property
    def java_pids(self) -> list[int]:
        """Process ids of this pool's running JVMs."""
        with self._lock:
            return [j.process.pid for j in self._jvms if j.alive]

    @property
    def borrowed(self) -> int:
        """Game objects currently lent out."""
        with self._lock:
            return sum(j.borrowed for j in self._jvms)

    # ----------------------------------------------------------------- internals
    def _jvm_with_room(self) -> _Jvm | None:
        limit = self.spec.games_per_jvm
        candidates = [j for j in self._jvms if limit is None or j.borrowed < limit]
        # prefer a JVM with an idle game object, then the busiest (keeps others free to stop)
        candidates.sort(key=lambda j: (not j.idle_games, -j.borrowed))
        return candidates[0] if candidates else None

    def _hosts(self, jvm: _Jvm | None) -> bool:
        return jvm is not None and jvm in self._jvms and jvm.alive

    def _give_back(self, jvm: _Jvm, server: Any) -> None:
        with self._lock:
            if jvm not in self._jvms:
                return  # that JVM was stopped; nothing to return it to
            jvm.borrowed = max(0, jvm.borrowed - 1)
            if len(jvm.idle_games) < self.spec.max_idle_games:
                jvm.idle_games.append(server)
            if jvm.borrowed == 0:
                self._retire_idle(jvm)

    def _retire_idle(self, jvm: _Jvm) -> None:
        """Stop an unused JVM now (too many idle, or no linger) or after the linger time."""
        idle = [j for j in self._jvms if j.borrowed == 0]
        if self.spec.linger_seconds <= 0 or len(idle) > self.spec.max_idle_jvms:
            self._remove(jvm)
            return
        timer = threading.Timer(self.spec.linger_seconds, self._stop_if_idle, args=(jvm,))
        timer.daemon = True
        jvm.cancel_timer()
        jvm.stop_timer = timer
        timer.start()

    def _stop_if_idle(self, jvm: _Jvm) -> None:
        with self._lock:
            if jvm in self._jvms and jvm.borrowed == 0:
                self._remove(jvm)

    def _remove(self, jvm: _Jvm) -> None:
        if jvm in self._jvms:
            self._jvms.remove(jvm)
        jvm.stop()

    def _forget_after_fork(self) -> None:
        """In a forked child: drop the parent's JVMs without closing anything they share."""
        _PARENT_JVMS.extend(self._jvms)  # keep their sockets open: they belong to the parent
        self._jvms = []
        self._lock = threading.RLock()


_POOLS: dict[str, JvmPool] = {}
_POOLS_LOCK = threading.Lock()
_PARENT_JVMS: list[_Jvm] = []


def jvm_pool(spec: JvmGameSpec) -> JvmPool:
    """The process-wide pool for `spec` (one per jar path)."""
    with _POOLS_LOCK:
        pool = _POOLS.get(spec.jar_path)
        if pool is None:
            pool = _POOLS[spec.jar_path] = JvmPool(spec)
        return pool


def shutdown_jvms() -> None:
    """Stop every JVM this process started (borrowed game objects stop working)."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
    for pool in pools:
        pool.shutdown()


def running_jvm_pids() -> list[int]:
    """Process ids of the JVMs this process currently runs."""
    with _POOLS_LOCK:
        pools = list(_POOLS.values())
    return [pid for pool in pools for pid in pool.java_pids]


def _after_fork_in_child() -> None:
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()
    for pool in _POOLS.values():
        pool._forget_after_fork()


atexit.register(shutdown_jvms)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
