"""The quickstart's column -> run config mapping and the collect config (no Ray)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.config.errors import ConfigError
from agentrm_ray.config.models import LoopColumn, RewardBackend, RewardMethod, SearchStrategy
from agentrm_ray.loop.columns import COLUMNS, LoopModels, column_config
from agentrm_ray.loop.stages import collect_config, eval_tasks_config

MODELS = LoopModels(policy="/m/sft", explicit_rm="/m/value", implicit_rm="/m/implicit",
                    judge="smollm2-135m")


@pytest.mark.parametrize("column", list(LoopColumn))
def test_every_column_runs_the_sft_policy_with_its_own_scorer(column: LoopColumn,
                                                              tmp_path: Path) -> None:
    cfg = column_config(load_config("quickstart"), column, MODELS, tmp_path)
    spec = COLUMNS[column]
    assert cfg.policy.model == "/m/sft"
    assert (cfg.search.strategy, cfg.reward.method) == (spec.strategy, spec.method)
    assert cfg.output.dir == str(tmp_path / column.value)
    expected_rm = {RewardMethod.value: "/m/value", RewardMethod.implicit: "/m/implicit",
                   RewardMethod.judge: "smollm2-135m"}.get(spec.method)
    assert cfg.reward.model == expected_rm
    assert cfg.reward.reference_model == ("/m/sft" if spec.method is RewardMethod.implicit
                                          else None)


@pytest.mark.parametrize("column", list(LoopColumn))
def test_reward_backend_vllm_reaches_the_explicit_rm_columns_only(column: LoopColumn,
                                                                  tmp_path: Path) -> None:
    """A vLLM value RM does not make the implicit RM or the judge columns ask for one."""
    base = load_config("quickstart", ["reward.backend=vllm"])
    cfg = column_config(base, column, MODELS, tmp_path)
    value = COLUMNS[column].method is RewardMethod.value
    assert cfg.reward.backend is (RewardBackend.vllm if value else RewardBackend.hf)


@pytest.mark.parametrize("column", list(LoopColumn))
def test_the_explicit_rm_ensemble_ranks_the_explicit_rm_columns_only(column: LoopColumn,
                                                                     tmp_path: Path) -> None:
    base = load_config("quickstart", ["reward.ensemble=[/elsewhere/rm]"])
    models = LoopModels(**{**MODELS.__dict__, "explicit_ensemble": ("/m/value-seed-1",)})
    cfg = column_config(base, column, models, tmp_path)
    value = COLUMNS[column].method is RewardMethod.value
    assert cfg.reward.ensemble == (["/m/value-seed-1"] if value else [])


@pytest.mark.parametrize("column", list(LoopColumn))
def test_the_rm_template_reaches_the_columns_whose_rm_reads_it(column: LoopColumn,
                                                               tmp_path: Path) -> None:
    """Greedy, the oracle and the judge read no template: their runs keep the default, so
    a loop with another template reuses (and links to) the same greedy and oracle runs."""
    from agentrm_ray.config import config_hash

    base = load_config("quickstart", ["reward.template=agentrm-act-v1"])
    cfg = column_config(base, column, MODELS, tmp_path)
    reads = COLUMNS[column].method in (RewardMethod.value, RewardMethod.implicit)
    assert cfg.reward.template == ("agentrm-act-v1" if reads else "agentrm-v1")
    if not reads:
        plain = column_config(load_config("quickstart"), column, MODELS, tmp_path)
        assert config_hash(cfg) == config_hash(plain)


def test_a_loop_ensemble_on_a_vllm_rm_is_refused_before_it_trains() -> None:
    with pytest.raises(ConfigError, match="quickstart.rm_ensemble"):
        load_config("quickstart", ["quickstart.rm_ensemble=2", "reward.backend=vllm"])


def test_the_table_has_greedy_and_the_explicit_rm_ranked_strategies() -> None:
    strategies = {(s.strategy, s.method) for s in COLUMNS.values()}
    assert (SearchStrategy.greedy, RewardMethod.none) in strategies
    assert (SearchStrategy.best_of_n, RewardMethod.value) in strategies
    assert (SearchStrategy.beam, RewardMethod.value) in strategies
    assert (SearchStrategy.best_of_n, RewardMethod.oracle) in strategies


def test_a_column_without_its_trained_rm_is_an_error(tmp_path: Path) -> None:
    models = LoopModels(policy="/m/sft", explicit_rm="/m/value", implicit_rm=None, judge="j")
    with pytest.raises(ValueError, match="best_of_n_implicit"):
        column_config(load_config("quickstart"), LoopColumn.best_of_n_implicit, models, tmp_path)


def test_collect_searches_only_held_in_train_tasks_with_mcts() -> None:
    cfg = collect_config(load_config("quickstart"), "/m/sft", "out/collect", 3)
    assert cfg.search.strategy is SearchStrategy.mcts
    assert cfg.tasks.splits == ["train"] and cfg.tasks.limit_per_family == 3
    assert sorted(cfg.tasks.families or []) == ["alfworld", "webshop"]
    assert cfg.policy.model == "/m/sft" and cfg.output.dir == "out/collect"


def test_collect_without_a_held_in_family_names_the_problem() -> None:
    cfg = load_config("quickstart", ["tasks.families=[babyai, textcraft]"])
    with pytest.raises(ConfigError, match="held-in"):
        collect_config(cfg)


def test_evaluation_runs_the_test_split_capped_per_family() -> None:
    cfg = eval_tasks_config(load_config("quickstart", ["quickstart.eval_tasks_per_family=2"]))
    assert cfg.tasks.splits == ["test"] and cfg.tasks.limit_per_family == 2


def test_quickstart_knobs_do_not_change_a_search_runs_config_hash() -> None:
    from agentrm_ray.config import config_hash

    a = load_config("quickstart")
    b = load_config("quickstart", ["quickstart.collect_tasks_per_family=1"])
    assert config_hash(a) == config_hash(b)


def test_rms_train_on_the_length_they_are_served_with() -> None:
    from agentrm_ray.config.models import TrainKind
    from agentrm_ray.loop.stages import training_config

    cfg = load_config("quickstart", ["train.max_length=2048", "reward.max_length=1024"])
    assert training_config(cfg, TrainKind.policy_sft, "m", 1, 1e-4).train.max_length == 2048
    for kind in (TrainKind.rm_explicit, TrainKind.rm_implicit):
        trained = training_config(cfg, kind, "m", 1, 1e-5).train
        assert (trained.max_length, trained.kind, trained.base_model) == (1024, kind, "m")


def test_rm_settings_do_not_orphan_collected_trees() -> None:
    from agentrm_ray.config import config_hash

    a = collect_config(load_config("quickstart"))
    b = collect_config(load_config("quickstart", ["reward.max_length=512", "reward.beta=0.1"]))
    assert config_hash(a) == config_hash(b)


def test_collect_can_search_dev_tasks_the_policy_was_not_trained_on() -> None:
    cfg = collect_config(load_config("quickstart", ["quickstart.collect_splits=[dev]"]))
    assert cfg.tasks.splits == ["dev"]


def test_collect_refuses_the_test_split() -> None:
    with pytest.raises(ConfigError, match="quickstart.collect_splits"):
        load_config("quickstart", ["quickstart.collect_splits=[test]"])
