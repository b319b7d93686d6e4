"""Dotted-key overrides (`--set search.beam.width=4`) applied to raw config data.

Values are parsed as YAML scalars/flow collections, so `4` is an int, `true` a bool,
`[a, b]` a list and `null` clears a field — the same spelling as in the YAML file. The CLI's
own options (`--strategy`, `--output`, …) are typed already: they are set as `updates`, values
as they are, never spelled out and parsed again (an output directory named `null` or `on` is a
directory, not None or True).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agentrm_ray.config.errors import ConfigError, ConfigProblem
from agentrm_ray.config.safe_yaml import load_yaml


def parse_override(text: str) -> tuple[str, Any]:
    """Split `a.b.c=value` into its dotted key and parsed value."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError([ConfigProblem(text, "override must look like dotted.key=value")])
    if any(not part for part in key.split(".")):
        raise ConfigError([ConfigProblem(key, "empty component in dotted key")])
    value = load_yaml(raw, "--set", where=key) if raw.strip() else ""
    return key, value


def apply_overrides(data: dict[str, Any], overrides: list[str],
                    updates: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a copy of `data` with every override set, then every typed update (a dotted key
    and its value as it is); intermediate sections are created.

    Whether a key exists is left to validation, which reports unknown keys with their path.
    """
    result = _deep_copy(data)
    for text in overrides:
        _set_path(result, *parse_override(text))
    for key, value in (updates or {}).items():
        _set_path(result, key, value)
    return result


def _set_path(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    node = data
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            where = ".".join(parts[: depth + 1])
            raise ConfigError([ConfigProblem(key, f"{where} is a value, not a section")])
        node = child
    node[parts[-1]] = value


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in data.items()}
