"""A value RM checkpoint is checked for a trained head before anything loads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from agentrm_ray.actors.reward.pool import reward_settings
from agentrm_ray.config import load_config
from agentrm_ray.models.value_head import ValueHeadError, check_value_head
from agentrm_ray.search.stack import check_before_start


def _copy_with_config(source: str, target: Path, **changes: object) -> Path:
    shutil.copytree(source, target)
    config = json.loads((target / "config.json").read_text())
    config.update(changes)
    (target / "config.json").write_text(json.dumps(config))
    return target


def test_a_trained_single_output_head_passes(tiny_value_model: str) -> None:
    assert check_value_head(tiny_value_model) == 0


def test_a_causal_lm_is_refused_naming_its_architecture(tiny_model: str) -> None:
    with pytest.raises(ValueHeadError, match=r"LlamaForCausalLM, not a \*ForSequenceClassific"
                                             r".*allow_untrained_head"):
        check_value_head(tiny_model)


def test_a_classifier_config_without_head_weights_is_refused(tiny_model: str,
                                                            tmp_path: Path) -> None:
    # The AgentRM-style release that ships the backbone only, whatever its config says.
    headless = _copy_with_config(tiny_model, tmp_path / "headless",
                                 architectures=["LlamaForSequenceClassification"],
                                 id2label={"0": "LABEL_0"})
    with pytest.raises(ValueHeadError, match="weights hold no value head .*score.weight"):
        check_value_head(headless)


def test_several_outputs_need_the_score_label(tiny_value_model: str, tmp_path: Path) -> None:
    two = _copy_with_config(tiny_value_model, tmp_path / "two",
                            id2label={"0": "bad", "1": "good"})
    with pytest.raises(ValueHeadError, match="2 outputs .*reward.score_label"):
        check_value_head(two)
    assert check_value_head(two, score_label=1) == 1
    with pytest.raises(ValueHeadError, match="score_label=2, but"):
        check_value_head(two, score_label=2)


def test_run_and_validate_refuse_a_headless_rm_unless_allowed(tiny_model: str) -> None:
    sets = ["search.strategy=beam", "reward.method=value", f"reward.model={tiny_model}",
            f"policy.model={tiny_model}", "policy.backend=hf"]
    with pytest.raises(ValueHeadError, match="reward.model="):
        check_before_start(load_config(overrides=sets))  # what `config validate` runs
    with pytest.raises(ValueHeadError):
        reward_settings(load_config(overrides=sets))  # what building the RM pool runs
    allowed = load_config(overrides=[*sets, "reward.allow_untrained_head=true"])
    check_before_start(allowed)
    settings = reward_settings(allowed)
    assert settings.untrained_head and settings.score_label == 0
    greedy = load_config(overrides=[*sets, "search.strategy=greedy"])
    check_before_start(greedy)  # a run that starts no RM does not care


def test_every_ensemble_member_is_checked_and_named(tiny_model: str, tiny_value_model: str,
                                                    tiny_value_model_b: str) -> None:
    sets = ["search.strategy=beam", "reward.method=value", f"reward.model={tiny_value_model}",
            f"policy.model={tiny_model}", "policy.backend=hf"]
    good = load_config(overrides=[*sets, f"reward.ensemble=[{tiny_value_model_b}]"])
    check_before_start(good)
    assert [m.model_path for m in reward_settings(good).ensemble] == [tiny_value_model_b]
    headless = load_config(overrides=[
        *sets, f"reward.ensemble=[{tiny_value_model_b}, {tiny_model}]"])
    for check in (check_before_start, reward_settings):
        with pytest.raises(ValueHeadError, match=rf"reward.ensemble\[1\]={tiny_model}"):
            check(headless)
    # A packaged base model is a causal LM: validation refuses it as a member without
    # converting it (only reward.model may take the untrained-head allowance).
    packaged = load_config(overrides=[*sets, "reward.ensemble=[smollm2-135m]"])
    with pytest.raises(ValueHeadError, match=r"reward.ensemble\[0\]=smollm2-135m: a packaged"):
        check_before_start(packaged)
