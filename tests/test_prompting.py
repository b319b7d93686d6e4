"""RM input templates (prompting.RMTemplate): the prefix property KV reuse needs, the action
spans the implicit RM sums over, config resolution and the check against what an RM was
trained on."""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict
from pathlib import Path

import pytest

from agentrm_ray.actors.reward.pool import check_trained_template
from agentrm_ray.config import ConfigError, config_hash, load_config
from agentrm_ray.config.models import RMTemplateConfig
from agentrm_ray.models.provenance import PROVENANCE_FILE
from agentrm_ray.prompting import (
    AGENTRM_ACT_V1,
    AGENTRM_RAW_V1,
    AGENTRM_V1,
    PLAIN_V1,
    RM_TEMPLATES,
    resolve_rm_template,
    rm_text,
)
from agentrm_ray.types import Step, Task, Trajectory

TRAJECTORY = Trajectory(
    task=Task(env_id="agentrm/Maze-v0", task_id="t"), goal="reach the exit",
    initial_observation="a room",
    steps=[Step(thought="north looks open", action="move north", observation="a hall"),
           Step(action="move north", observation="the exit")])
CUSTOM = RMTemplateConfig(name="mine-v1", header="<task>{goal}</task>{observation}|",
                          step="<act>{action}</act><obs>{observation}</obs>")


@pytest.mark.parametrize("template", [AGENTRM_V1, AGENTRM_RAW_V1, AGENTRM_ACT_V1, PLAIN_V1,
                                      resolve_rm_template(CUSTOM)])
def test_a_states_text_is_a_prefix_of_every_longer_ones_and_spans_hold_the_actions(
        template) -> None:
    texts = [template.text("Walk.", TRAJECTORY, upto=k) for k in range(3)]
    assert all(longer.startswith(shorter) for shorter, longer in itertools.pairwise(texts))
    text, spans = template.text_and_action_spans("Walk.", TRAJECTORY)
    assert text == texts[-1]
    assert [text[lo:hi] for lo, hi in spans] == ["move north", "move north"]
    assert spans[0] != spans[1]  # each span is its own step's action, not a repeat's


def test_the_raw_template_renders_the_policys_own_turn_and_marks_its_emitted_ids() -> None:
    said = Step(thought="north looks open", action="move north", observation="a hall",
                raw=" I go north.\nAction: `move north`", token_ids=[5, 6, 7])
    trajectory = TRAJECTORY.model_copy(update={"steps": [said, *TRAJECTORY.steps[1:]]})
    text, spans = AGENTRM_RAW_V1.text_and_action_spans("Walk.", trajectory)
    assert " I go north.\nAction: `move north`\nObservation: a hall\n" in text
    assert "Action: move north\nObservation: the exit\n" in text  # no raw kept: canonical
    assert [text[lo:hi] for lo, hi in spans] == ["move north", "move north"]
    (segment,) = AGENTRM_RAW_V1.emitted_segments("Walk.", trajectory)
    assert text[segment[0]:segment[1]] == said.raw and segment[2] == [5, 6, 7]
    # The default re-renders the turn canonically, which is not what this policy wrote.
    assert AGENTRM_V1.emitted_segments("Walk.", trajectory) == []


def test_the_default_template_marks_a_canonical_turns_emitted_ids() -> None:
    """An SFT'd policy writes the canonical turn: the default's text of it is the emitted text,
    so its ids are used; a step without ids, or written otherwise, is re-tokenised."""
    canonical = Step(thought="north looks open", action="move north", observation="a hall",
                     raw="Thought: north looks open\nAction: move north", token_ids=[5, 6, 7])
    other = canonical.model_copy(update={"raw": "Thought: north looks open\nAction: move north "})
    for steps, marked in (([canonical, *TRAJECTORY.steps[1:]], [0]),
                          ([other, *TRAJECTORY.steps[1:]], []),
                          ([TRAJECTORY.steps[0], canonical], [1])):
        trajectory = TRAJECTORY.model_copy(update={"steps": steps})
        text = AGENTRM_V1.text("Walk.", trajectory)
        segments = AGENTRM_V1.emitted_segments("Walk.", trajectory)
        assert [text[lo:hi] for lo, hi, _ in segments] == [canonical.raw] * len(marked)
        assert all(ids == [5, 6, 7] for _, _, ids in segments)
        # agentrm-v1's step piece opens with the turn: it starts where the state before ends
        assert [lo for lo, _, _ in segments] == [len(AGENTRM_V1.text("Walk.", trajectory, i))
                                                 for i in marked]


def test_the_default_template_is_the_projects_layout() -> None:
    assert RM_TEMPLATES["agentrm-v1"] is AGENTRM_V1
    assert rm_text("Walk.", TRAJECTORY) == (
        "Walk.\nYour task is to: reach the exit\nObservation: a room\n"
        "Thought: north looks open\nAction: move north\nObservation: a hall\n"
        "Action: move north\nObservation: the exit\n")
    assert resolve_rm_template(CUSTOM).text("x", TRAJECTORY, upto=1) == (
        "<task>reach the exit</task>a room|<act>move north</act><obs>a hall</obs>")


def test_the_act_template_ends_at_the_last_action_and_never_shows_the_last_observation(
        ) -> None:
    """What each step acted on, then the step: the outcome the last observation states is not
    in the text, and each state's text is a prefix of the next one's."""
    text = AGENTRM_ACT_V1.text("Walk.", TRAJECTORY)
    assert text == ("Walk.\nYour task is to: reach the exit\n"
                    "Observation: a room\nThought: north looks open\nAction: move north\n"
                    "Observation: a hall\nAction: move north\n")
    assert "the exit" not in text.split("\n", 2)[2]
    assert AGENTRM_ACT_V1.text("Walk.", TRAJECTORY, upto=1) == (
        "Walk.\nYour task is to: reach the exit\n"
        "Observation: a room\nThought: north looks open\nAction: move north\n")


@pytest.mark.parametrize("spec, match", [
    ("agentrm-v9", "unknown RM template 'agentrm-v9'"),
    (RMTemplateConfig(name="m", header="{task}", step="{action}"), "unknown field"),
    (RMTemplateConfig(name="m", header="{goal}", step="{thought}"), "exactly once"),
    (RMTemplateConfig(name="m", header="{goal", step="{action}"), "header"),
])
def test_a_bad_template_is_a_config_error_naming_reward_template(spec, match: str) -> None:
    with pytest.raises(ConfigError, match=match) as exc:
        resolve_rm_template(spec)
    assert {p.path for p in exc.value.problems} == {"reward.template"}


def test_the_template_enters_the_config_hash_only_when_not_the_default() -> None:
    default = config_hash(load_config())
    assert config_hash(load_config(overrides=["reward.template=agentrm-v1"])) == default
    assert config_hash(load_config(overrides=["reward.template=plain-v1"])) != default
    custom = load_config(overrides=[
        "reward.template={name: mine-v1, header: '{goal}', step: '{action}'}"])
    assert resolve_rm_template(custom.reward.template).name == "mine-v1"


def test_an_rm_served_with_another_template_than_it_learned_is_refused(tmp_path: Path) -> None:
    (tmp_path / PROVENANCE_FILE).write_text(json.dumps({"rm_template": asdict(PLAIN_V1)}))
    check_trained_template(tmp_path, PLAIN_V1)
    with pytest.raises(ConfigError, match="trained on RM template 'plain-v1'") as exc:
        check_trained_template(tmp_path, AGENTRM_V1)
    assert exc.value.problems[0].path == "reward.template"
    check_trained_template(tmp_path / "elsewhere", AGENTRM_V1)  # records nothing: no check
