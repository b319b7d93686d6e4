"""Reading YAML a user hands us (configs, suites, `--set` values) within fixed bounds.

`yaml.safe_load` runs no code, but a few hundred bytes of nested aliases expand to millions
of nodes once validation or a deep copy walks them, and a recursive alias makes a cycle
that ends in `RecursionError`. Configs are small and hand-written, so the bounds below are
far above any real one; past them the file is refused as a ConfigError naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from agentrm_ray.config.errors import ConfigError, ConfigProblem

MAX_YAML_BYTES = 1 << 20  # 1 MiB
MAX_ALIASES = 256
MAX_EXPANDED_NODES = 200_000  # values after aliases are expanded


class _CountingLoader(yaml.SafeLoader):
    """SafeLoader that stops at the MAX_ALIASES-th alias instead of composing on."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(f"more than {MAX_ALIASES} YAML aliases")
        return super().compose_node(parent, index)


class _Refused(Exception):
    pass


def read_text(path: Path, label: str | None = None) -> str:
    """A YAML file's text; a file that is too large or not UTF-8 is a ConfigError."""
    label = label or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            too_big = f"{size} bytes is more than a config may hold ({MAX_YAML_BYTES})"
            raise ConfigError([ConfigProblem("", too_big)], label)
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError([ConfigProblem("", f"cannot read it: {exc.strerror}")], label) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [ConfigProblem("", f"not UTF-8 text (byte {exc.start}: {data[exc.start]:#04x})")],
            label,
        ) from None


def load_yaml(text: str, label: str, where: str = "") -> Any:
    """Parse `text` like `yaml.safe_load`, refusing alias bombs, cycles and huge documents.

    `where` is the dotted path that problems are reported under ('' for a whole file).
    """
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError([ConfigProblem(where, "YAML text larger than 1 MiB")], label)
    loader = _CountingLoader(text)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise ConfigError([ConfigProblem(where, f"refused: {exc}")], label) from None
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(where, f"not valid YAML: {exc}")], label) from None
    finally:
        loader.dispose()
    problem = _shape_problem(data)
    if problem:
        raise ConfigError([ConfigProblem(where, f"refused: {problem}")], label)
    return data


def _shape_problem(data: Any) -> str | None:
    """Why the parsed value is unsafe to walk (a cycle, or too many nodes), else None.

    Iterative, and bounded by MAX_EXPANDED_NODES visits, so the check itself cannot blow up.
    """
    visits = 0
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            on_path.discard(id(node))
            continue
        visits += 1
        if visits > MAX_EXPANDED_NODES:
            return f"its aliases expand to more than {MAX_EXPANDED_NODES} values"
        if isinstance(node, dict | list):
            if id(node) in on_path:
                return "a recursive YAML alias (a value that contains itself)"
            on_path.add(id(node))
            stack.append((node, True))
            children = list(node.values()) if isinstance(node, dict) else node
            stack.extend((child, False) for child in children)
    return None
