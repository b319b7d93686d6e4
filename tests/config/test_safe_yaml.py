"""Hostile or broken config files end in a ConfigError naming the file, quickly."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agentrm_ray.config import ConfigError, load_config
from agentrm_ray.config.safe_yaml import MAX_ALIASES, load_yaml
from agentrm_ray.tasks import load_suite

BOMB = "\n".join(
    ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
)


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB + "\nseed: 1\n")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="expand to more than") as info:
        load_config(path)
    assert time.perf_counter() - started < 2.0
    assert str(path) in str(info.value)


def test_too_many_aliases_are_refused() -> None:
    text = "base: &b 1\nitems: [" + ", ".join(["*b"] * (MAX_ALIASES + 1)) + "]\n"
    with pytest.raises(ConfigError, match=f"more than {MAX_ALIASES} YAML aliases"):
        load_yaml(text, "t.yaml")


def test_a_few_aliases_still_work() -> None:
    data = load_yaml("model: &m some/model\npolicy: {model: *m}\nreward: {model: *m}\n", "t")
    assert data["reward"]["model"] == "some/model"


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("search: &s {beam: *s}\n")
    with pytest.raises(ConfigError, match="recursive YAML alias"):
        load_config(path)


def test_config_not_utf8_names_file_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("seed: 1\n# caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 13: 0xe9\)") as info:
        load_config(path)
    assert str(path) in str(info.value)


def test_override_value_with_a_bomb_is_refused() -> None:
    bomb = "[" + ", ".join(["&x [1]"] + ["*x"] * (MAX_ALIASES + 1)) + "]"
    with pytest.raises(ConfigError, match="seed"):
        load_config(None, [f"seed={bomb}"])


def test_suite_file_gets_the_same_bounds(tmp_path: Path) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(BOMB)
    with pytest.raises(ConfigError, match="expand to more than"):
        load_suite(str(path))
