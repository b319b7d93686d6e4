from __future__ import annotations

import pytest

from agentrm_ray.envs import format_react, parse_react


@pytest.mark.parametrize(
    ("text", "thought", "action"),
    [
        ("Thought: go down.\nAction: move down", "go down.", "move down"),
        ("thought: x\naction: move left\nObservation: You moved left.", "x", "move left"),
        ("**Thought:** think\n**Action:** `click[Buy Now]`", "think", "click[Buy Now]"),
        ('Thought 2: hmm\nAction 2: "go to cabinet 1"', "hmm", "go to cabinet 1"),
        ("Action: move up\nAction: move down", "", "move up"),
        (
            "Thought: a\n\nAction:\n  take apple 1 from countertop 2.\nThought: next",
            "a",
            "take apple 1 from countertop 2",
        ),
        ("move right", "", "move right"),
        ("  ACTION :   search[blue lipstick]  ", "", "search[blue lipstick]"),
        (
            'Thought: query\nAction: neighbourCheck with Action Input: {"graph": "PaperNet",\n'
            ' "node": "A"}\nObservation: ...',
            "query",
            'neighbourCheck with Action Input: {"graph": "PaperNet",\n "node": "A"}',
        ),
        ("I think I should move.\nAction: move up", "I think I should move.", "move up"),
    ],
)
def test_parse_tolerates_common_model_output(text: str, thought: str, action: str) -> None:
    parsed = parse_react(text)
    assert parsed.ok, parsed
    assert parsed.thought == thought
    assert parsed.action == action


@pytest.mark.parametrize(
    "text", ["", "Thought: I am not sure what to do.\nMaybe later.", "Thought: x\nAction:   \n"]
)
def test_unusable_turns_are_reported_not_raised(text: str) -> None:
    parsed = parse_react(text)
    assert not parsed.ok and parsed.action == "" and parsed.error


def test_format_and_parse_round_trip() -> None:
    text = format_react("the goal is below", "move down")
    parsed = parse_react(text)
    assert (parsed.thought, parsed.action) == ("the goal is below", "move down")


def test_parse_turn_keeps_the_whole_text_as_the_action_where_none_is_found() -> None:
    from agentrm_ray.envs import parse_turn

    assert parse_turn("Thought: go\nAction: move north").action == "move north"
    unusable = parse_turn("  Thought: x\nAction:   \n")
    assert (unusable.ok, unusable.action, unusable.thought) == (False, "Thought: x\nAction:", "x")
