"""AgentGym families declared in a config (`envs.agentgym`): from YAML to a registered family.

A user who runs AgentGym env servers names each one in the config: the profile (the server's
dialect), the URL, which data indices form which split, and how patiently to wait. This module
turns such a declaration into a `FamilySpec`, the same object a bundled family exposes, so the
suite, the env workers, the CLI and Serve treat both alike. Declaring is per process (see
`declare_agentgym_families`): the driver, every env worker and every Serve replica do it from
the config they were given.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from agentrm_ray.config import ConfigError, ConfigProblem
from agentrm_ray.config.models import AgentGymFamilyConfig, AgentGymTimeoutsConfig
from agentrm_ray.envs.agentgym.profiles import PROFILES
from agentrm_ray.envs.agentgym.transport import CallTimeouts
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec

SELF_HOSTED = "self-hosted"  # base_url meaning "agentrm's maze server, in this process"
SELF_HOSTED_PROFILE = "maze"  # the only dialect the self-hosted server speaks
DEFAULT_MAX_STEPS = 30

GENERIC_INSTRUCTION = """You are acting in the {profile} environment, which runs on an AgentGym \
env server. Each observation is the server's own text; when it lists the available actions, \
answer with one of them exactly. Each turn, think briefly and then give exactly one action.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""


@dataclass(frozen=True)
class DeclaredTasks:
    """The task catalogue of a declared family: `<name>-<index>` for each split's range.

    A frozen dataclass rather than a closure so that declaring the same family twice compares
    equal (and is not re-registered)."""

    family: str
    splits: tuple[tuple[str, int, int], ...]  # (split, start, stop)

    def __call__(self) -> list[TaskSpec]:
        return [
            TaskSpec(f"{self.family}-{index}", split, seed=index,
                     params=(("data_idx", index),))
            for split, start, stop in self.splits
            for index in range(start, stop)
        ]


def call_timeouts(cfg: AgentGymTimeoutsConfig) -> CallTimeouts:
    """The transport's view of the configured timeouts and retry bounds."""
    return CallTimeouts(
        connect_s=cfg.connect_s, create_s=cfg.create_s, reset_s=cfg.reset_s,
        step_s=cfg.step_s, close_s=cfg.close_s, other_s=cfg.other_s,
        max_retries=cfg.max_retries, backoff_s=cfg.backoff_s, budget_s=cfg.retry_budget_s,
    )


def family_spec(cfg: AgentGymFamilyConfig) -> FamilySpec:
    """The registered family of one declaration."""
    splits = tuple(sorted((split, start, stop) for split, (start, stop) in cfg.splits.items()))
    instruction = cfg.instruction or GENERIC_INSTRUCTION.format(profile=cfg.profile)
    return FamilySpec(
        name=cfg.name,
        env_id=f"agentgym/{cfg.name}-v0",
        entry_point="agentrm_ray.envs.agentgym.env:AgentGymEnv",
        description=f"AgentGym {cfg.profile} server at {cfg.base_url} (declared in the config)",
        held_in=cfg.held_in,
        prompt=PromptSpec(instruction, ""),
        tasks=DeclaredTasks(cfg.name, splits),
        max_steps=cfg.max_steps or DEFAULT_MAX_STEPS,
        requires=("httpx",),
        env_kwargs={
            "base_url": cfg.base_url, "server": cfg.profile, "family_name": cfg.name,
            "splits": splits, "timeouts": call_timeouts(cfg.timeouts),
            "max_steps": cfg.max_steps or DEFAULT_MAX_STEPS,
        },
    )


def server_problem(cfg: AgentGymFamilyConfig) -> str | None:
    """Why the family's server cannot be used now (None: it answers HTTP at its URL).

    Any HTTP answer counts, even a 404: an AgentGym server need not serve `/`; what matters
    before a run starts is that something listens and speaks HTTP there, so a wrong or dead URL
    fails the run at once instead of failing every task one by one."""
    if cfg.base_url == SELF_HOSTED:
        return None
    timeout = httpx.Timeout(cfg.timeouts.other_s, connect=cfg.timeouts.connect_s)
    try:
        with httpx.Client(timeout=timeout, trust_env=False) as client:
            client.get(cfg.base_url.rstrip("/") + "/")
    except httpx.HTTPError as exc:
        return (f"no AgentGym server answers at {cfg.base_url} ({type(exc).__name__}: "
                f"{exc or 'no detail'}); start it, or fix the URL")
    return None


def unreachable_servers(declared: list[AgentGymFamilyConfig], families: set[str]
                        ) -> list[ConfigProblem]:
    """A problem naming `envs.agentgym.<i>.base_url` for each of `families` whose server
    does not answer."""
    problems = []
    for i, cfg in enumerate(declared):
        if cfg.name in families and (problem := server_problem(cfg)) is not None:
            problems.append(ConfigProblem(f"envs.agentgym.{i}.base_url", problem))
    return problems


def declaration_problems(declared: list[AgentGymFamilyConfig]) -> list[ConfigProblem]:
    """What is wrong with the declarations: unknown profile, unusable URL, a taken name."""
    from agentrm_ray.envs.registry import bundled_family_names

    problems: list[ConfigProblem] = []
    bundled = bundled_family_names()
    seen: set[str] = set()
    for i, family in enumerate(declared):
        where = f"envs.agentgym.{i}"
        if family.name in bundled or family.name in seen:
            problems.append(ConfigProblem(f"{where}.name", f"{family.name!r} is already a "
                                          "family name; choose another"))
        seen.add(family.name)
        if family.profile not in PROFILES:
            problems.append(ConfigProblem(f"{where}.profile", f"unknown profile "
                                          f"{family.profile!r}; known: {', '.join(PROFILES)}"))
        if family.base_url == SELF_HOSTED:
            if family.profile != SELF_HOSTED_PROFILE:
                problems.append(ConfigProblem(f"{where}.base_url", f"only the "
                                              f"{SELF_HOSTED_PROFILE!r} profile can be "
                                              "self-hosted; give the server's URL"))
        elif not family.base_url.startswith(("http://", "https://")):
            problems.append(ConfigProblem(f"{where}.base_url", "must start with http:// or "
                                          f"https:// (or be {SELF_HOSTED!r})"))
    return problems


def declare_agentgym_families(declared: list[AgentGymFamilyConfig]) -> list[FamilySpec]:
    """Register the config's AgentGym families in this process; returns their specs.

    Raises ConfigError naming every bad declaration, before anything is registered."""
    from agentrm_ray.envs.registry import declare_families

    problems = declaration_problems(declared)
    if problems:
        raise ConfigError(problems)
    specs = [family_spec(cfg) for cfg in declared]
    declare_families(specs)
    return specs
