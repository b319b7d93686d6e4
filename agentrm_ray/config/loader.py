"""Load a `RootConfig` from YAML (a file, a bundled name or the default) plus overrides."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentrm_ray.config.errors import ConfigError, ConfigProblem
from agentrm_ray.config.models import RewardConfig, RootConfig, SearchStrategy
from agentrm_ray.config.overrides import apply_overrides
from agentrm_ray.config.safe_yaml import load_yaml, read_text
from agentrm_ray.config.validation import check_combinations

DEFAULT_CONFIG_NAME = "default"

# Sections that do not change what a search computes (where and how it runs, serving, the
# quickstart's stage sizes): two runs that differ only here share a config hash.
_NOT_HASHED = ("ray", "output", "serve", "quickstart")
# Placement and capacity fields anywhere in the tree: they decide where and how fast a run
# computes, not what it computes, so resizing a cluster does not orphan a run directory.
_PLACEMENT_FIELDS = frozenset({
    "replicas", "num_cpus_per_replica", "num_gpus_per_replica", "workers",
    "num_cpus_per_worker", "max_sessions_per_worker", "idle_timeout_s", "request_timeout_s",
    "max_concurrent_tasks", "max_batch_size", "cpus_per_worker", "gpus_per_worker",
    "kv_cache_gib", "gpu_memory_utilization",
})
# search.<strategy> sections: settings that only the run of that strategy reads.
_STRATEGY_SECTIONS = frozenset(s.value for s in SearchStrategy)


def bundled_config_names() -> list[str]:
    """Names of the configs shipped in the package (configs/*.yaml)."""
    root = resources.files("agentrm_ray.configs")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def read_config_text(source: str | Path | None) -> tuple[str, str]:
    """Return (text, label) of a config given as a path, a bundled name, or None (default)."""
    if source is None:
        source = DEFAULT_CONFIG_NAME
    path = Path(source)
    if path.is_file():
        return read_text(path), str(path)
    name = str(source)
    bundled = resources.files("agentrm_ray.configs").joinpath(f"{name}.yaml")
    if "/" not in name and bundled.is_file():
        return bundled.read_text(encoding="utf-8"), f"<bundled {name}.yaml>"
    names = ", ".join(bundled_config_names())
    raise ConfigError(
        [
            ConfigProblem(
                "", f"config {str(source)!r} is neither a file nor a bundled config ({names})"
            )
        ]
    )


def parse_yaml(text: str, label: str) -> dict[str, Any]:
    data = load_yaml(text, label)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError([ConfigProblem("", "the top level must be a mapping")], label)
    return data


def validate_config(data: dict[str, Any], label: str | None = None) -> RootConfig:
    """Validate raw data; raise ConfigError naming each bad field by its dotted path."""
    try:
        cfg = RootConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem_from_pydantic(e) for e in exc.errors()], label) from None
    problems = check_combinations(cfg)
    if problems:
        raise ConfigError(problems, label)
    return cfg


def load_config(source: str | Path | None = None, overrides: list[str] | None = None,
                updates: Mapping[str, Any] | None = None) -> RootConfig:
    """Load, override and validate a config. `source` is a path, a bundled name or None;
    `overrides` are `--set` strings, `updates` typed values by dotted key (they win)."""
    text, label = read_config_text(source)
    data = apply_overrides(parse_yaml(text, label), list(overrides or []), updates)
    return validate_config(data, label)


# reward fields added after runs were cached under hashes that lacked them
_REWARD_HASHED_WHEN_SET = ("template", "backend", "ensemble")


def config_hash(cfg: RootConfig) -> str:
    """Stable short hash of everything in a config that can change results.

    Of `search`'s per-strategy sections only the strategy's own counts: widening the beam
    changes no MCTS tree, so it must not orphan the MCTS run's directory.
    """
    data = _without_placement(
        {k: v for k, v in cfg.model_dump(mode="json").items() if k not in _NOT_HASHED}
    )
    # Where an AgentGym server listens and how patiently to wait are placement; no declared
    # families at all hashes as before the section existed.
    declared = [{k: v for k, v in family.items() if k not in ("base_url", "timeouts")}
                for family in data["envs"].pop("agentgym", [])]
    if declared:
        data["envs"]["agentgym"] = declared
    for name in _REWARD_HASHED_WHEN_SET:  # a default hashes as before its field existed
        if getattr(cfg.reward, name) == RewardConfig.model_fields[name].get_default(
                call_default_factory=True):
            del data["reward"][name]
    # A suite by its content: stages cached under a hash (the quickstart's demos) are not
    # reused once the suite's tasks change.
    data["tasks"]["suite"] = _suite_digest(cfg.tasks.suite) or cfg.tasks.suite
    prompts = data.pop("prompts")  # no pack hashes as before the section existed
    if cfg.prompts.dir is not None:
        data["prompts"] = {**prompts, "dir": _pack_digest(cfg.prompts.dir)}
    strategy = cfg.search.strategy.value
    data["search"] = {k: v for k, v in data["search"].items()
                      if k not in _STRATEGY_SECTIONS or k == strategy}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def hash_without_rm_choice(cfg: RootConfig) -> str:
    """`config_hash` of the config as if the RM were chosen by default (template, backend,
    ensemble): the key of what no RM reads, such as the quickstart's demos, so a loop that
    only renders or ensembles its RMs otherwise reuses them. The fields hash only when set,
    so keys made before they existed still match."""
    reset = {name: RewardConfig.model_fields[name].get_default(call_default_factory=True)
             for name in _REWARD_HASHED_WHEN_SET}
    return config_hash(cfg.model_copy(update={"reward": cfg.reward.model_copy(update=reset)}))


def _suite_digest(name_or_path: str) -> str | None:
    """A suite file's parsed content (comments and layout aside), found as the run finds it: a
    path, else a bundled suite's name. None where it cannot be read: the suite's loader
    reports that when the run selects its tasks."""
    path = Path(name_or_path)
    try:
        if path.is_file():
            text = read_text(path)
        else:
            bundled = resources.files("agentrm_ray.configs").joinpath(
                "suites", f"{name_or_path}.yaml")
            if not bundled.is_file():
                return None
            text = bundled.read_text()
        content = load_yaml(text, str(name_or_path))
    except (ConfigError, OSError):
        return None
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return "suite:" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _pack_digest(directory: str) -> str:
    """A prompt pack by its content, not where it lies: moving it keeps a run's hash, editing a
    prompt changes it. Unreadable files are left to the pack's loader to report."""
    digest = hashlib.sha256()
    root = Path(directory).expanduser()
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _without_placement(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _without_placement(v) for k, v in data.items() if k not in _PLACEMENT_FIELDS}
    return data


def _problem_from_pydantic(err: Any) -> ConfigProblem:
    path = ".".join(str(part) for part in err.get("loc", ()))
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return ConfigProblem(path, "unknown key")
    message = err.get("msg", "invalid value")
    if "input" in err and kind not in ("missing",) and not isinstance(err["input"], dict):
        message = f"{message} (got {err['input']!r})"
    return ConfigProblem(path, message)
