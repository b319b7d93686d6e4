"""Suites: task counts per family and the optional difficulty levels."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrm_ray.config import ConfigError, load_config
from agentrm_ray.envs import family_statuses
from agentrm_ray.envs.suites import DIFFICULTIES
from agentrm_ray.tasks import select_tasks

LEVELLED = {"maze", "webshop", "alfworld", "textcraft", "babyai"}


def _suite(tmp_path: Path, families: str) -> str:
    path = tmp_path / "suite.yaml"
    path.write_text(f"name: mine\nseed: 0\nfamilies:\n{families}")
    return str(path)


def _select(suite: str, splits: str = "[test]"):
    return select_tasks(load_config(overrides=[f"tasks.suite={suite}", f"tasks.splits={splits}",
                                               "tasks.limit_per_family=null"]).tasks)


def test_difficulty_keeps_only_tasks_of_those_levels(tmp_path: Path) -> None:
    easy = _select(_suite(tmp_path, "  maze: {tasks: 30, difficulty: [easy]}\n"))
    assert easy.tasks and all(t.task_id.startswith("double-t-") for t in easy.tasks)
    both = _select(_suite(tmp_path, "  maze: {tasks: 30, difficulty: [easy, medium]}\n"))
    ids = {t.task_id for t in both.tasks}
    assert ids > {t.task_id for t in easy.tasks} and any("4x4" in i for i in ids)
    assert not any("5x5" in i or "6x6" in i for i in ids)


def test_the_short_form_selects_what_it_always_did(tmp_path: Path) -> None:
    short = _select(_suite(tmp_path, "  maze: 5\n  webshop: 3\n"))
    long = _select(_suite(tmp_path, "  maze: {tasks: 5}\n  webshop: {tasks: 3}\n"))
    assert short.tasks == long.tasks and len(short.tasks) == 8


def test_bad_difficulties_name_the_field(tmp_path: Path) -> None:
    bad_level = r"tasks\.suite\.families\.maze\.difficulty\.0: Input should be .easy."
    with pytest.raises(ConfigError, match=bad_level):
        _select(_suite(tmp_path, "  maze: {tasks: 3, difficulty: [trivial]}\n"))
    with pytest.raises(ConfigError, match=r"tasks\.suite\.families\.pddl\.difficulty"):
        _select(_suite(tmp_path, "  pddl: {tasks: 3, difficulty: [easy]}\n"))


@pytest.mark.parametrize("name", sorted(LEVELLED))
def test_every_task_of_a_levelled_family_has_a_level(name: str) -> None:
    spec = next(s.spec for s in family_statuses() if s.spec.name == name)
    assert spec.difficulty is not None
    for split in ("train", "test"):
        levels = {spec.difficulty(t) for t in spec.split(split)}
        assert levels == set(DIFFICULTIES), (name, split, levels)
        assert sum(len(spec.split(split, [lv])) for lv in DIFFICULTIES) == len(spec.split(split))
