"""Read an OpenAI chat history as an agent trajectory: the one mapping the endpoint documents.

A harness that keeps its environment to itself sends the whole conversation each turn. The
RM needs it as (instruction, goal, initial observation, steps), the layout it was trained on
(`prompting.rm_text`). The rule, in order:

1. Messages before `task_start` (default: the first user message) are prompt only: the
   harness's instructions and in-context examples. The policy sees them; the RM does not.
2. The task message (a user message) holds the goal. Where it contains the line
   "Your task is to: <goal>" (this project's layout; the last such line), the goal is that
   line, the text after a following "Observation:" is the initial observation, and the text
   before the line, less the one-shot example this project's prompt shows there, is the
   instruction if nothing else gives one. Otherwise the whole message is the goal.
3. After it, each assistant message and the user message that answers it are one step: the
   action parsed from the assistant's "Thought: …\nAction: …" (the whole text where no action
   is found, as the search does) and the observation (a leading "Observation:" dropped).
4. The conversation ends with a user message: the harness asks for the next assistant turn.
5. The instruction the RM reads: the request's `instruction`, else the system (and developer)
   messages joined, else the text before the task line (rule 2), else none.

Anything else is refused with the index of the message at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentrm_ray.envs import parse_turn
from agentrm_ray.prompting import TASK_HEADER, instruction_of_preamble
from agentrm_ray.serve.chat_schemas import ChatMessage
from agentrm_ray.serve.errors import FieldProblem, RequestProblems
from agentrm_ray.types import Step, Task, Trajectory

# The trajectory's task: a conversation is not a task of any registered env family.
CHAT_TASK = Task(env_id="openai/chat", task_id="conversation", split="test", seed=0)
_TASK_LINE = re.compile("^" + re.escape(TASK_HEADER.split("{", 1)[0]) + "(.*)$", re.MULTILINE)
_OBSERVATION = re.compile(r"^\s*observation\s*:\s*", re.IGNORECASE)
_SYSTEM_ROLES = ("system", "developer")


@dataclass(frozen=True)
class ChatHistory:
    policy_messages: list[dict[str, str]]
    instruction: str
    trajectory: Trajectory


def read_chat(messages: list[ChatMessage], task_start: int | None = None,
              instruction: str | None = None) -> ChatHistory:
    """The conversation as prompt + trajectory, or RequestProblems naming the message."""
    start = _task_start(messages, task_start)
    task = messages[start].text
    goal, initial_observation, preamble = _split_task(task)
    steps, problems = _steps(messages, start)
    if messages[-1].role != "user":
        problems.append(_problem(len(messages) - 1, "role", "the conversation must end with a "
                                 "user message (the task or the latest observation): this "
                                 "endpoint writes the next assistant turn"))
    if problems:
        raise RequestProblems(problems)
    system = "\n\n".join(m.text for m in messages[:start] if m.role in _SYSTEM_ROLES)
    return ChatHistory(
        policy_messages=[{"role": _policy_role(m.role), "content": m.text} for m in messages],
        instruction=instruction if instruction is not None else (system or preamble),
        trajectory=Trajectory(task=CHAT_TASK, goal=goal, initial_observation=initial_observation,
                              steps=steps),
    )


def _task_start(messages: list[ChatMessage], task_start: int | None) -> int:
    if task_start is None:
        first_user = next((i for i, m in enumerate(messages) if m.role == "user"), None)
        if first_user is None:
            raise RequestProblems([FieldProblem(("body", "messages"), "no user message: the "
                                                "conversation needs a task to act on")])
        return first_user
    if task_start >= len(messages):
        raise RequestProblems([FieldProblem(("body", "task_start"), f"{task_start} is past the "
                                            f"last of {len(messages)} messages")])
    if messages[task_start].role != "user":
        raise RequestProblems([FieldProblem(("body", "task_start"), f"message {task_start} is "
                                            f"a {messages[task_start].role} message; the task "
                                            "is stated by a user message")])
    return task_start


def _split_task(text: str) -> tuple[str, str, str]:
    """(goal, initial observation, text before the task line) of the task message."""
    lines = list(_TASK_LINE.finditer(text))  # the last one: an example before it has one too
    line = lines[-1] if lines else None
    if line is None:
        return text.strip(), "", ""
    rest = text[line.end():]
    observation = _OBSERVATION.match(rest.lstrip("\n"))
    initial = rest.lstrip("\n")[observation.end():] if observation else rest
    return line.group(1).strip(), initial.strip(), instruction_of_preamble(text[: line.start()])


def _steps(messages: list[ChatMessage], start: int) -> tuple[list[Step], list[FieldProblem]]:
    steps: list[Step] = []
    problems: list[FieldProblem] = []
    turns = messages[start + 1:]
    for offset in range(0, len(turns), 2):
        index = start + 1 + offset
        said = turns[offset]
        if said.role != "assistant":
            problems.append(_problem(index, "role", f"expected an assistant message after "
                                     f"message {index - 1}, got {said.role}: after the task, "
                                     "turns alternate assistant, user"))
            continue
        if offset + 1 >= len(turns):
            break  # the last message is an assistant's: reported by the caller
        answer = turns[offset + 1]
        if answer.role != "user":
            problems.append(_problem(index + 1, "role", f"expected the user's observation "
                                     f"after message {index}, got {answer.role}"))
            continue
        parsed = parse_turn(said.text)
        steps.append(Step(
            thought=parsed.thought,
            action=parsed.action,
            observation=_OBSERVATION.sub("", answer.text, count=1).strip(),
        ))
    return steps, problems


def _problem(index: int, field: str, msg: str) -> FieldProblem:
    return FieldProblem(("body", "messages", index, field), msg)


def _policy_role(role: str) -> str:
    return "system" if role in _SYSTEM_ROLES else role
