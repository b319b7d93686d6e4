"""Which env families exist, registering them with gymnasium, and making envs by id.

Families are found by module name in `FAMILY_MODULES`; each module exposes `FAMILY`, a
`FamilySpec`. A family whose optional dependency is missing stays listed, as unavailable,
with the extra that installs it — rather than disappearing from `agentrm-ray envs list`.
"""

from __future__ import annotations

import importlib
import importlib.util
import warnings
from dataclasses import dataclass
from functools import cache
from typing import Any

import gymnasium as gym

from agentrm_ray.env_ids import RENAMED_ENV_IDS
from agentrm_ray.envs.base import TextEnv
from agentrm_ray.envs.errors import EnvUnavailableError, UnknownEnvError
from agentrm_ray.envs.suites import FamilySpec

FAMILY_MODULES: tuple[str, ...] = (
    "agentrm_ray.envs.maze.family",
    "agentrm_ray.envs.tools.query_family",
    "agentrm_ray.envs.tools.operation_family",
    "agentrm_ray.envs.babyai.family",
    "agentrm_ray.envs.textcraft.family",
    "agentrm_ray.envs.agentgym.family",
    "agentrm_ray.envs.alfworld.family",
    "agentrm_ray.envs.webshop.family",
    "agentrm_ray.envs.pddl.family",
    "agentrm_ray.envs.sciworld.family",
    "agentrm_ray.envs.twx.family",
)


# Families declared at run time (AgentGym servers named in a config's `envs.agentgym`), by
# name. Process-wide like gymnasium's own registry, which they are registered with too; every
# process that resolves env ids (the driver, env workers, Serve replicas) declares them from
# its config through `declare_families`.
_declared: dict[str, FamilySpec] = {}


@dataclass(frozen=True)
class FamilyStatus:
    spec: FamilySpec
    available: bool
    reason: str = ""


def family_statuses() -> list[FamilyStatus]:
    """Every known family (bundled, then declared), registered with gymnasium, with whether
    it can run here."""
    statuses = []
    for spec in [*_bundled_specs(), *_declared.values()]:
        missing = missing_modules(spec.requires)
        reason = ""
        if missing:
            hint = f" (pip install 'agentrm-ray[{spec.extra}]')" if spec.extra else ""
            reason = f"needs {', '.join(missing)}{hint}"
        _register(spec)
        statuses.append(FamilyStatus(spec, not missing, reason))
    return statuses


def declare_families(specs: list[FamilySpec]) -> None:
    """Make declared families resolvable by name and env id in this process (idempotent; a
    family declared again with other settings replaces the earlier declaration)."""
    for spec in specs:
        if spec.name in bundled_family_names():
            raise ValueError(f"{spec.name!r} is a bundled family; a declared family needs "
                             "a name of its own")
        if _declared.get(spec.name) != spec and spec.env_id in gym.registry:
            del gym.registry[spec.env_id]  # re-declared: register the new settings
        _declared[spec.name] = spec
        _register(spec)


@cache
def _bundled_specs() -> tuple[FamilySpec, ...]:
    return tuple(importlib.import_module(m).FAMILY for m in FAMILY_MODULES)


def declared_family_names() -> frozenset[str]:
    """Names of the families declared in this process (see `declare_families`)."""
    return frozenset(_declared)


def bundled_family_names() -> frozenset[str]:
    """Names of the families shipped with the package (declared ones may not reuse them)."""
    return frozenset(spec.name for spec in _bundled_specs())


@cache
def missing_modules(modules: tuple[str, ...]) -> tuple[str, ...]:
    """The modules of `modules` that cannot be imported here.

    Cached per process: `find_spec` walks sys.path (0.2 ms a lookup here, more under load),
    and every served request and env session resolves its family through `family_statuses`.
    """
    return tuple(m for m in modules if importlib.util.find_spec(m) is None)


def families() -> dict[str, FamilySpec]:
    """Family name -> spec, for all families (available or not)."""
    return {s.spec.name: s.spec for s in family_statuses()}


def family_by_env_id(env_id: str) -> FamilySpec:
    """The family of an env id (or of a bare family name); unknown ids list the valid ones.

    A renamed id (`agentrm_ray.env_ids`) still resolves, with a FutureWarning naming the
    current one.
    """
    if env_id in RENAMED_ENV_IDS:
        warnings.warn(f"env id {env_id!r} is deprecated: it names an in-house re-creation, "
                      f"not the benchmark; use {RENAMED_ENV_IDS[env_id]!r}",
                      FutureWarning, stacklevel=2)
        env_id = RENAMED_ENV_IDS[env_id]
    statuses = family_statuses()
    for status in statuses:
        if env_id in (status.spec.env_id, status.spec.name):
            if not status.available:
                raise EnvUnavailableError(f"env {env_id!r} is not available: {status.reason}")
            return status.spec
    valid = ", ".join(s.spec.env_id for s in statuses)
    raise UnknownEnvError(f"unknown env id {env_id!r}; valid ids: {valid}")


def make_env(env_id: str, **kwargs: Any) -> TextEnv:
    """Create an env by id or family name; returns the unwrapped TextEnv (fork/oracle API)."""
    spec = family_by_env_id(env_id)
    env = gym.make(spec.env_id, **kwargs)
    return env.unwrapped  # type: ignore[return-value]


def _register(spec: FamilySpec) -> None:
    if spec.env_id not in gym.registry:
        gym.register(
            id=spec.env_id,
            entry_point=spec.entry_point,
            kwargs=dict(spec.env_kwargs),
            disable_env_checker=False,
            order_enforce=True,
        )
