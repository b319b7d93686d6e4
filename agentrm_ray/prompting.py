"""The text layouts of the system, each built in one place.

* The policy prompt (ReAct): an instruction with a one-shot example, the task's goal and first
  observation, then the history as alternating assistant turns ("Thought: …\nAction: …") and
  user turns ("Observation: …"). Chat templates come from each model's tokenizer; this module
  only produces the messages.
* The same in ETO's layout (`eto_policy_messages`, for prompt packs): the instruction as a user
  message, the assistant's "OK", the in-context example conversations turn by turn, then the
  task and its history as above.
* The reward-model input (AgentRM's format): the task's instruction header followed by the
  Thought/Action/Observation history as plain text; the RM scores the state after the last step.
  The text of a prefix is a prefix of the text of any longer trajectory (needed for KV reuse).
"""

from __future__ import annotations

from collections.abc import Sequence

from agentrm_ray.types import Step, Trajectory

TASK_HEADER = "Your task is to: {goal}"
EXAMPLE_OPENS = "Here is an example.\n"
EXAMPLE_CLOSES = "\n\nNow it is your turn.\n"
ETO_ACKNOWLEDGEMENT = "OK"  # the assistant's answer to the instruction in ETO's layout


def policy_messages(instruction: str, example: str, trajectory: Trajectory) -> list[dict[str, str]]:
    """Chat messages asking the policy for its next Thought/Action."""
    shown = f"{EXAMPLE_OPENS}{example}{EXAMPLE_CLOSES}" if example else ""
    first = (
        f"{instruction}\n\n{shown}"
        f"{TASK_HEADER.format(goal=trajectory.goal)}\n"
        f"Observation: {trajectory.initial_observation}"
    )
    messages = [{"role": "user", "content": first}]
    for step in trajectory.steps:
        messages.append({"role": "assistant", "content": step_turn(step)})
        messages.append({"role": "user", "content": f"Observation: {step.observation}"})
    return messages


def eto_policy_messages(instruction: str, examples: Sequence[Sequence[dict[str, str]]],
                        trajectory: Trajectory) -> list[dict[str, str]]:
    """Chat messages in ETO's layout: the examples are whole conversations of the pack."""
    messages = [{"role": "user", "content": instruction},
                {"role": "assistant", "content": ETO_ACKNOWLEDGEMENT}]
    for example in examples:
        messages += [{"role": turn["role"], "content": turn["content"]} for turn in example]
    task = policy_messages("", "", trajectory)
    task[0]["content"] = task[0]["content"].lstrip()
    return messages + task


def instruction_of_preamble(preamble: str) -> str:
    """The instruction in the text before the task line of a first policy message: without
    the one-shot example `policy_messages` shows there (the RM reads no example)."""
    opens = preamble.find(EXAMPLE_OPENS.strip())
    closes = preamble.rfind(EXAMPLE_CLOSES.strip())
    if opens == -1 or closes < opens:
        return preamble.strip()
    return (preamble[:opens] + preamble[closes + len(EXAMPLE_CLOSES.strip()):]).strip()


def step_turn(step: Step) -> str:
    """The assistant turn of one step, in the canonical layout the parser reads back."""
    if step.thought:
        return f"Thought: {step.thought}\nAction: {step.action}"
    return f"Action: {step.action}"


def rm_header(instruction: str, trajectory: Trajectory) -> str:
    """The RM input up to (and including) the first observation."""
    return (
        f"{instruction}\n{TASK_HEADER.format(goal=trajectory.goal)}\n"
        f"Observation: {trajectory.initial_observation}\n"
    )


def rm_step_text(step: Step) -> str:
    """The RM text one step appends to the state."""
    return f"{step_turn(step)}\nObservation: {step.observation}\n"


def rm_text(instruction: str, trajectory: Trajectory, upto: int | None = None) -> str:
    """The RM input for the state after `upto` steps (default: all of them)."""
    steps = trajectory.steps if upto is None else trajectory.steps[:upto]
    return rm_header(instruction, trajectory) + "".join(rm_step_text(s) for s in steps)
