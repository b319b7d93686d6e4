"""Typed configuration of agentrm-ray: models, loading, overrides, validation."""

from agentrm_ray.config.errors import ConfigError, ConfigProblem
from agentrm_ray.config.loader import (
    bundled_config_names,
    config_hash,
    load_config,
    validate_config,
)
from agentrm_ray.config.models import (
    PolicyBackend,
    RewardMethod,
    RootConfig,
    ScoreAggregate,
    SearchStrategy,
    TrainKind,
)

__all__ = [
    "ConfigError",
    "ConfigProblem",
    "PolicyBackend",
    "RewardMethod",
    "RootConfig",
    "ScoreAggregate",
    "SearchStrategy",
    "TrainKind",
    "bundled_config_names",
    "config_hash",
    "load_config",
    "validate_config",
]
