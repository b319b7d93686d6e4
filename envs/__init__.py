"""Gymnasium text environments (installed as `agentrm_ray.envs`; never import top-level `envs`).

Importing this package registers every family with gymnasium under `agentrm/<Name>-v0`.
"""

from agentrm_ray.envs.base import TextEnv, Transition, text_space
from agentrm_ray.envs.errors import (
    EnvUnavailableError,
    EpisodeFinishedError,
    UnknownEnvError,
    UnknownTaskError,
)
from agentrm_ray.envs.parsing import ParsedTurn, format_react, parse_react, parse_turn
from agentrm_ray.envs.registry import families, family_by_env_id, family_statuses, make_env
from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec

family_statuses()  # register every family with gymnasium on import

__all__ = [
    "EnvUnavailableError",
    "EpisodeFinishedError",
    "FamilySpec",
    "ParsedTurn",
    "PromptSpec",
    "TaskSpec",
    "TextEnv",
    "Transition",
    "UnknownEnvError",
    "UnknownTaskError",
    "families",
    "family_by_env_id",
    "family_statuses",
    "format_react",
    "make_env",
    "parse_react",
    "parse_turn",
    "text_space",
]
