"""Renamed env ids: old ids resolve with a warning, and old result files resume."""

from __future__ import annotations

import pytest

from agentrm_ray.data.results import RunStore
from agentrm_ray.env_ids import RENAMED_ENV_IDS, current_env_id
from agentrm_ray.envs import family_by_env_id, family_statuses, make_env
from agentrm_ray.types import SearchResult, Task


def test_the_re_creations_are_registered_under_names_that_say_so() -> None:
    ids = {s.spec.name: s.spec.env_id for s in family_statuses()}
    assert ids["alfworld"] == "agentrm/ALFWorldSim-v0"
    assert ids["webshop"] == "agentrm/WebShopSim-v0"
    assert ids["tool_query"] == "agentrm/ToolQuerySim-v0"
    assert ids["tool_operation"] == "agentrm/ToolOperationSim-v0"
    assert not set(RENAMED_ENV_IDS) & set(ids.values())


@pytest.mark.parametrize(("old", "family"), [("agentrm/ALFWorld-v0", "alfworld"),
                                             ("agentrm/WebShop-v0", "webshop"),
                                             ("agentrm/ToolQuery-v0", "tool_query"),
                                             ("agentrm/ToolOperation-v0", "tool_operation")])
def test_an_old_id_still_resolves_with_a_warning_naming_the_new_one(old: str,
                                                                    family: str) -> None:
    with pytest.warns(FutureWarning, match=RENAMED_ENV_IDS[old]):
        assert family_by_env_id(old).name == family
    with pytest.warns(FutureWarning):
        env = make_env(old)
    assert env is not None


def test_current_ids_resolve_without_a_warning(recwarn: pytest.WarningsRecorder) -> None:
    assert family_by_env_id("agentrm/WebShopSim-v0").name == "webshop"
    assert family_by_env_id("webshop").name == "webshop"
    assert not [w for w in recwarn if issubclass(w.category, FutureWarning)]


def test_a_task_read_from_an_old_record_takes_the_current_id() -> None:
    old = '{"env_id": "agentrm/WebShop-v0", "task_id": "w1", "split": "test", "seed": 0}'
    task = Task.model_validate_json(old)
    assert task.env_id == "agentrm/WebShopSim-v0"
    assert task.key == "agentrm/WebShopSim-v0|test|w1|0"
    assert current_env_id("agentrm/Maze-v0") == "agentrm/Maze-v0"


def test_a_run_written_before_the_rename_resumes_its_finished_tasks(tmp_path) -> None:
    store = RunStore(tmp_path, config_hash="abc")
    record = SearchResult(task=Task(env_id="agentrm/Maze-v0", task_id="t"), strategy="greedy")
    line = record.model_dump_json().replace("agentrm/Maze-v0", "agentrm/ALFWorld-v0")
    store.results_path.write_text(line + "\n")
    assert store.done_keys() == {Task(env_id="agentrm/ALFWorldSim-v0", task_id="t").key}
