"""The documented mapping from an OpenAI chat history to the RM's trajectory (chat_history.py)."""

from __future__ import annotations

import pytest

from agentrm_ray.prompting import policy_messages, rm_text
from agentrm_ray.serve.chat_history import read_chat
from agentrm_ray.serve.chat_schemas import ChatMessage
from agentrm_ray.serve.errors import RequestProblems
from agentrm_ray.types import Step, Task, Trajectory


def _messages(*turns: tuple[str, str]) -> list[ChatMessage]:
    return [ChatMessage(role=role, content=content) for role, content in turns]


def _locs(exc: pytest.ExceptionInfo[RequestProblems]) -> list[tuple]:
    return [p.loc for p in exc.value.problems]


def test_our_own_policy_prompt_reads_back_as_the_trajectory_the_rm_was_trained_on() -> None:
    trajectory = Trajectory(
        task=Task(env_id="agentrm/Maze-v0", task_id="t"), goal="reach the exit",
        initial_observation="You are at (0, 0).",
        steps=[Step(thought="go right", action="move right", observation="You are at (1, 0)."),
               Step(action="move up", observation="Wall.")])
    example = "Your task is to: reach a door\nAction: move left"
    chat = [ChatMessage(**m) for m in policy_messages("Solve mazes.", example, trajectory)]
    history = read_chat(chat)
    assert history.instruction == "Solve mazes."
    assert history.trajectory.goal == "reach the exit"
    assert history.trajectory.initial_observation == "You are at (0, 0)."
    assert [(s.thought, s.action, s.observation) for s in history.trajectory.steps] == [
        ("go right", "move right", "You are at (1, 0)."), ("", "move up", "Wall.")]
    expected = rm_text("Solve mazes.", trajectory)
    assert rm_text(history.instruction, history.trajectory) == expected
    assert history.policy_messages == [m.model_dump(include={"role", "content"}) for m in chat]


def test_a_plain_chat_is_goal_then_assistant_user_steps_and_system_is_the_instruction() -> None:
    history = read_chat(_messages(
        ("system", "You shop online."), ("user", "Buy a red mug."),
        ("assistant", "I should search.\nAction: search[red mug]"),
        ("user", "Observation: 3 results"), ("assistant", "click[item 1]"), ("user", "Item page")))
    assert history.instruction == "You shop online."
    assert history.trajectory.goal == "Buy a red mug."
    assert history.trajectory.initial_observation == ""
    steps = history.trajectory.steps
    assert [(s.action, s.observation) for s in steps] == [
        ("search[red mug]", "3 results"), ("click[item 1]", "Item page")]
    assert steps[0].thought == "I should search."
    assert history.policy_messages[0] == {"role": "system", "content": "You shop online."}


def test_task_start_keeps_in_context_examples_out_of_the_trajectory() -> None:
    eto = _messages(
        ("user", "You are a household agent."), ("assistant", "OK"),
        ("user", "Your task is to: put a cup in the sink"), ("assistant", "Action: go to sink"),
        ("user", "Observation: done"),
        ("user", "Your task is to: heat an egg\nObservation: You are in the kitchen."),
        ("assistant", "Thought: find it\nAction: open fridge"), ("user", "The fridge is open."))
    history = read_chat(eto, task_start=5, instruction="Household tasks.")
    assert history.instruction == "Household tasks."
    assert history.trajectory.goal == "heat an egg"
    assert history.trajectory.initial_observation == "You are in the kitchen."
    assert [s.action for s in history.trajectory.steps] == ["open fridge"]
    assert len(history.policy_messages) == len(eto)  # the policy still sees the examples


def test_developer_messages_are_system_and_content_parts_are_joined() -> None:
    history = read_chat([
        ChatMessage(role="developer", content=[{"type": "text", "text": "Be "},
                                               {"type": "text", "text": "careful."}]),
        ChatMessage(role="user", content="Go.")])
    assert history.instruction == "Be careful."
    assert history.policy_messages[0] == {"role": "system", "content": "Be careful."}


def test_a_chat_without_a_user_turn_is_refused_naming_messages() -> None:
    with pytest.raises(RequestProblems, match="no user message") as exc:
        read_chat(_messages(("system", "hi")))
    assert _locs(exc) == [("body", "messages")]


def test_a_chat_ending_with_the_assistant_is_refused_naming_that_message() -> None:
    with pytest.raises(RequestProblems, match="must end with a user message") as exc:
        read_chat(_messages(("user", "Go."), ("assistant", "Action: wait")))
    assert _locs(exc) == [("body", "messages", 1, "role")]


def test_turns_out_of_order_are_refused_naming_each_message() -> None:
    with pytest.raises(RequestProblems) as exc:
        read_chat(_messages(("user", "Go."), ("user", "again"), ("assistant", "a"),
                            ("system", "late"), ("user", "x")))
    assert ("body", "messages", 1, "role") in _locs(exc)
    assert ("body", "messages", 3, "role") in _locs(exc)


@pytest.mark.parametrize("start, match", [(9, "past the last"), (1, "assistant message")])
def test_a_bad_task_start_is_refused_naming_it(start: int, match: str) -> None:
    with pytest.raises(RequestProblems, match=match) as exc:
        read_chat(_messages(("user", "Go."), ("assistant", "a"), ("user", "b")), task_start=start)
    assert _locs(exc) == [("body", "task_start")]
