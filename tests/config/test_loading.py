from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agentrm_ray.config import ConfigError, RootConfig, config_hash, load_config
from agentrm_ray.config.models import SearchStrategy


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_embedded_default_loads_and_matches_model_defaults_where_unset() -> None:
    cfg = load_config()
    assert isinstance(cfg, RootConfig)
    assert cfg.ray.loopback_only is True and cfg.ray.address is None
    assert cfg.serve.host == "127.0.0.1"
    assert cfg.policy.model == "smollm2-135m"


def test_yaml_file_round_trips_through_the_model(tmp_path: Path) -> None:
    cfg = load_config(overrides=["search.strategy=beam", "search.beam.width=3"])
    again = load_config(_write(tmp_path, cfg.to_yaml_dict()))
    assert again == cfg


def test_dotted_overrides_are_typed_yaml_values() -> None:
    cfg = load_config(
        overrides=[
            "search.beam.width=4",
            "tasks.families=[maze, babyai]",
            "ray.num_cpus=null",
            "policy.sampling.temperature=0",
            "ray.include_dashboard=true",
        ]
    )
    assert cfg.search.beam.width == 4
    assert cfg.tasks.families == ["maze", "babyai"]
    assert cfg.ray.num_cpus is None and cfg.ray.include_dashboard is True
    assert cfg.policy.sampling.temperature == 0.0


@pytest.mark.parametrize(
    ("overrides", "path", "fragment"),
    [
        (["search.beam.width=0"], "search.beam.width", "greater than or equal to 1"),
        (["search.beam.widht=2"], "search.beam.widht", "unknown key"),
        (["policy.backend=tgi"], "policy.backend", "'vllm', 'hf' or 'openai'"),
        (["search.best_of_n.n=many"], "search.best_of_n.n", "valid integer"),
        (["tasks.splits=test"], "tasks.splits", "valid list"),
        (["search.strategy=beam", "reward.method=none"], "reward.method", "ranks states"),
        (["policy.backend=openai"], "policy.openai.base_url", "required"),
        (["train.gpus_per_worker=1"], "train.gpus_per_worker", "use_gpu"),
        (["policy.tensor_parallel_size=2"], "policy.tensor_parallel_size", "vllm"),
        (
            ["policy.backend=vllm", "policy.tensor_parallel_size=2"],
            "policy.num_gpus_per_replica",
            "GPUs",
        ),
        (["reward.judge_backend=openai"], "reward.judge_backend", "vllm or hf"),
        (["reward.method=judge", "reward.backend=vllm"], "reward.backend", "value RMs only"),
        (["reward.backend=vllm", "reward.allow_untrained_head=true"], "reward.backend",
         "trained value head"),
        (["reward.backend=onnx"], "reward.backend", "'hf' or 'vllm'"),
        (["quickstart.share_best_of_n_samples=maybe"], "quickstart.share_best_of_n_samples",
         "valid boolean"),
        (["serve.autoscaling.min_replicas=3"], "serve.autoscaling.min_replicas", "max_replicas"),
        (["serve.port=8404"], "serve.runtime.haproxy_stats_port", "also serve.port"),
        (["serve.runtime.ingress=haproxy", "serve.runtime.fallback_proxy_port=9101"],
         "serve.runtime.fallback_proxy_port", "HAProxy ingress"),
        (["serve.runtime.ingress=nginx"], "serve.runtime.ingress", "'auto', 'proxy' or"),
        (["serve.limits.max_n=0"], "serve.limits.max_n", "greater than or equal to 1"),
        (["serve.limits.max_timeout_s=-5"], "serve.limits.max_timeout_s", "greater than 0"),
        (["serve.limits.max_width=4"], "serve.limits.max_width", "unknown key"),
        (["search.beam=3"], "search.beam", "valid dictionary"),
        (["search.beam.width.x=3"], "search.beam.width.x", "is a value"),
    ],
)
def test_bad_values_name_the_dotted_field(overrides: list[str], path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(overrides=overrides)
    paths = [p.path for p in info.value.problems]
    assert path in paths, paths
    assert fragment in str(info.value)


def test_the_python_proxy_does_not_care_about_haproxys_ports() -> None:
    cfg = load_config(overrides=["serve.runtime.ingress=proxy", "serve.port=8404"])
    assert cfg.serve.port == cfg.serve.runtime.haproxy_stats_port


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(overrides=["search.beam.width=0", "seed=x", "nope=1"])
    assert {p.path for p in info.value.problems} == {"search.beam.width", "seed", "nope"}


def test_malformed_override_and_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"dotted\.key=value"):
        load_config(overrides=["search.beam.width"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("search: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="neither a file nor a bundled config"):
        load_config("no-such-config")


def test_unknown_key_in_a_file_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path, {"search": {"beam": {"width": 2, "W2": 3}}})
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert [p.path for p in info.value.problems] == ["search.beam.W2"]
    assert str(path) in str(info.value)


def test_serve_limits_come_from_the_file_and_a_bad_one_is_named(tmp_path: Path) -> None:
    cfg = load_config(_write(tmp_path, {"serve": {"limits": {"max_n": 2, "max_timeout_s": 30}}}))
    assert cfg.serve.limits.max_n == 2 and cfg.serve.limits.max_timeout_s == 30.0
    assert cfg.serve.limits.max_score_states == 64  # unset keys keep their defaults
    limited = load_config(overrides=["serve.limits.max_n=2"])
    assert config_hash(limited) == config_hash(load_config())  # serving limits change no result
    bad = _write(tmp_path, {"serve": {"limits": {"max_beam_cells": "wide"}}})
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert [p.path for p in info.value.problems] == ["serve.limits.max_beam_cells"]
    assert "valid integer" in str(info.value)


def test_config_hash_ignores_where_it_runs_but_not_what_it_computes() -> None:
    base = load_config()
    assert config_hash(base) == config_hash(
        load_config(overrides=["output.dir=/tmp/x", "ray.num_cpus=1"])
    )
    assert config_hash(base) != config_hash(load_config(overrides=["seed=1"]))
    assert config_hash(base) != config_hash(
        load_config(overrides=[f"search.strategy={SearchStrategy.beam.value}"])
    )


def test_every_field_is_documented() -> None:
    from pydantic import BaseModel

    def walk(model: type[BaseModel], prefix: str) -> list[str]:
        missing = []
        for name, field in model.model_fields.items():
            ann = field.annotation
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                missing += walk(ann, f"{prefix}{name}.")
            elif not field.description:
                missing.append(prefix + name)
        return missing

    assert walk(RootConfig, "") == []


def test_config_hash_ignores_placement_and_capacity() -> None:
    base = load_config()
    resized = load_config(overrides=["policy.replicas=4", "reward.num_cpus_per_replica=2",
                                     "search.max_concurrent_tasks=1", "envs.workers=3"])
    assert config_hash(base) == config_hash(resized)
    assert config_hash(base) != config_hash(load_config(overrides=["policy.model=other"]))


def test_config_hash_counts_only_the_strategy_s_own_settings() -> None:
    beam = load_config(overrides=["search.strategy=beam"])
    assert config_hash(beam) == config_hash(
        load_config(overrides=["search.strategy=beam", "search.mcts.iterations=99"]))
    assert config_hash(beam) != config_hash(
        load_config(overrides=["search.strategy=beam", "search.beam.width=7"]))
    assert config_hash(beam) != config_hash(load_config(overrides=["search.strategy=mcts"]))


def test_typed_updates_are_set_as_they_are_and_win_over_set_strings() -> None:
    # An output directory named like a YAML keyword stays a directory name.
    for name in ("null", "on", "123", "a: b"):
        assert load_config(updates={"output.dir": name}).output.dir == name
    with pytest.raises(ConfigError, match="output.dir"):
        load_config(overrides=["output.dir=on"])  # the --set spelling parses YAML: a bool
    cfg = load_config(overrides=["search.strategy=beam"],
                      updates={"search.strategy": SearchStrategy.greedy})
    assert cfg.search.strategy is SearchStrategy.greedy
    with pytest.raises(ConfigError, match="search.beam.width"):
        load_config(updates={"search.beam.width": 0})  # still validated


def test_the_reward_backend_enters_the_config_hash_only_when_not_the_default() -> None:
    default = config_hash(load_config())
    assert config_hash(load_config(overrides=["reward.backend=hf"])) == default
    assert config_hash(load_config(overrides=["reward.backend=vllm"])) != default


def test_an_rm_ensemble_enters_the_config_hash_only_when_set() -> None:
    default = config_hash(load_config())
    assert config_hash(load_config(overrides=["reward.ensemble=[]"])) == default
    assert config_hash(load_config(overrides=["reward.ensemble=[/m/seed-1]"])) != default


@pytest.mark.parametrize(("overrides", "fragment"), [
    (["reward.method=judge"], "reward.method is judge"),
    (["reward.backend=vllm"], "needs reward.backend=hf"),
    (["reward.allow_untrained_head=true"], "allow_untrained_head must be off"),
])
def test_an_rm_ensemble_is_value_heads_scored_by_transformers(overrides: list[str],
                                                             fragment: str) -> None:
    with pytest.raises(ConfigError, match="reward.ensemble") as err:
        load_config(overrides=["reward.ensemble=[/m/seed-1]", *overrides])
    assert fragment in str(err.value)


def test_a_suite_enters_the_config_hash_by_its_content(tmp_path) -> None:
    """Editing the tasks a suite selects orphans the runs made with it (the quickstart's
    cached stages among them); moving it or changing its comments does not."""
    from importlib import resources

    bundled = yaml.safe_load(
        resources.files("agentrm_ray.configs").joinpath("suites", "tiny.yaml").read_text())
    copy = tmp_path / "tiny.yaml"
    copy.write_text("# a comment\n" + yaml.safe_dump(bundled))
    base = config_hash(load_config(overrides=["tasks.suite=tiny"]))
    assert config_hash(load_config(overrides=[f"tasks.suite={copy}"])) == base
    first = next(iter(bundled["families"]))
    bundled["families"][first] += 1
    copy.write_text(yaml.safe_dump(bundled))
    assert config_hash(load_config(overrides=[f"tasks.suite={copy}"])) != base
