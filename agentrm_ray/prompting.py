"""The text layouts of the system, each built in one place.

* The policy prompt (ReAct): an instruction with a one-shot example, the task's goal and first
  observation, then the history as alternating assistant turns ("Thought: …\nAction: …") and
  user turns ("Observation: …"). Chat templates come from each model's tokenizer; this module
  only produces the messages.
* The same in ETO's layout (`eto_policy_messages`, for prompt packs): the instruction as a user
  message, the assistant's "OK", the in-context example conversations turn by turn, then the
  task and its history as above.
* The reward-model input (AgentRM's format by default): the task's instruction header followed
  by the Thought/Action/Observation history as plain text; the RM scores the state after the
  last step. The text of a prefix is a prefix of the text of any longer trajectory (needed for
  KV reuse). Other named templates (`RM_TEMPLATES`, `reward.template`) match checkpoints
  trained on another rendering.
"""

from __future__ import annotations

import string
from collections.abc import Sequence
from dataclasses import dataclass

from agentrm_ray.config.errors import ConfigError, ConfigProblem
from agentrm_ray.config.models import RMTemplateConfig
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


def raw_turn(step: Step) -> str:
    """The turn as the policy wrote it, where the step kept it; else the canonical one."""
    return step.raw if step.raw is not None else step_turn(step)


# ------------------------------------------------------------------ RM input templates
# The fields a template may use. Header: {instruction} {goal} {observation} (the first one).
# Step: {react} (the canonical "Thought: …\nAction: …" turn), {raw} (the policy's own text
# of the turn, the canonical one where it was not kept), {thought}, {action}, {observation}
# (what the step led to), {previous_observation} (what it acted on: the first observation for
# the first step); the action must appear exactly once, through {react}, {raw} or {action},
# so the implicit RM can find the tokens it sums over. {raw} is text the policy emitted token
# for token; {react} is too where the policy wrote the canonical turn. There training uses the
# emitted token ids.
HEADER_FIELDS = frozenset({"instruction", "goal", "observation"})
STEP_FIELDS = frozenset({"react", "raw", "thought", "action", "observation",
                         "previous_observation"})
_ACTION_FIELDS = ("react", "raw", "action")
_ACTION_MARK = "\x00action\x00"
_RAW_MARK = "\x00raw\x00"


@dataclass(frozen=True)
class RMTemplate:
    """How (instruction, trajectory) becomes the RM's input text: a header, then one piece
    per step. The text of a state is a prefix of the text of any longer trajectory (the value
    RM's KV reuse relies on it) by construction: a step's piece reads only that step and the
    observation it acted on. Named and versioned: a checkpoint records the name it was trained
    with, so a run can be matched to it (`reward.template`)."""

    name: str
    header_format: str
    step_format: str

    def header(self, instruction: str, trajectory: Trajectory) -> str:
        """The RM input before the first step's piece."""
        return self.header_format.format(instruction=instruction, goal=trajectory.goal,
                                         observation=trajectory.initial_observation)

    def piece(self, trajectory: Trajectory, i: int) -> str:
        """The RM text step `i` appends to the state before it."""
        return self._format(trajectory, i)

    def _format(self, trajectory: Trajectory, i: int, step: Step | None = None,
                raw: str | None = None, react: str | None = None) -> str:
        """Step i's piece; `step`, `raw`, `react` stand in for its fields (to find spans)."""
        step = trajectory.steps[i] if step is None else step
        before = trajectory.steps[i - 1].observation if i else trajectory.initial_observation
        return self.step_format.format(
            react=step_turn(step) if react is None else react,
            raw=raw_turn(step) if raw is None else raw, thought=step.thought,
            action=step.action, observation=step.observation, previous_observation=before)

    @property
    def renders_raw(self) -> bool:
        """Whether a step's text holds the policy's own text of the turn ({raw})."""
        return "{raw}" in self.step_format

    def text(self, instruction: str, trajectory: Trajectory, upto: int | None = None) -> str:
        """The RM input for the state after `upto` steps (default: all of them)."""
        count = len(trajectory.steps) if upto is None else min(upto, len(trajectory.steps))
        return self.header(instruction, trajectory) + "".join(
            self.piece(trajectory, i) for i in range(count))

    def text_and_action_spans(self, instruction: str, trajectory: Trajectory
                              ) -> tuple[str, list[tuple[int, int]]]:
        """The text and the character span of every step's action in it (the implicit RM
        sums its log-ratio over exactly those tokens, in training and in scoring)."""
        text = self.header(instruction, trajectory)
        spans = []
        for i, step in enumerate(trajectory.steps):
            if self.renders_raw:  # the action inside the policy's own text, its last mention
                raw = raw_turn(step)
                at = raw.rfind(step.action) if step.action else -1
                base = len(text) + self._format(trajectory, i, raw=_RAW_MARK).index(_RAW_MARK)
                start = base + at if at >= 0 else base + len(raw)
                spans.append((start, start + (len(step.action) if at >= 0 else 0)))
            else:
                marked = self._format(trajectory, i,
                                      step=step.model_copy(update={"action": _ACTION_MARK}))
                start = len(text) + marked.index(_ACTION_MARK)
                spans.append((start, start + len(step.action)))
            text += self.piece(trajectory, i)
        return text, spans

    def emitted_segments(self, instruction: str, trajectory: Trajectory
                         ) -> list[tuple[int, int, list[int]]]:
        """(start, end, ids) of every step whose text here is text the policy emitted as
        `ids`. Training and the implicit RM use those ids for that span instead of
        re-tokenising it (re-tokenising a conversation changes its ids)."""
        segments = []
        text = self.header(instruction, trajectory)
        for i, step in enumerate(trajectory.steps):
            start = self._emitted_start(trajectory, i)
            if start is not None:
                segments.append((len(text) + start, len(text) + start + len(step.raw),
                                 list(step.token_ids)))
            text += self.piece(trajectory, i)
        return segments

    def _emitted_start(self, trajectory: Trajectory, i: int) -> int | None:
        """Where step i's emitted text starts in its piece, if the piece holds it: {raw}
        always does; {react} does when the policy wrote the canonical turn, which an SFT'd
        policy does (12,652 of 12,656 steps of fidelity run 4's samples), so the default
        template trains on emitted ids too."""
        step = trajectory.steps[i]
        if step.token_ids is None or step.raw is None:
            return None
        if self.renders_raw:
            return self._format(trajectory, i, raw=_RAW_MARK).index(_RAW_MARK)
        if "{react}" in self.step_format and step.raw == step_turn(step):
            return self._format(trajectory, i, react=_RAW_MARK).index(_RAW_MARK)
        return None


def template_problems(header_format: str, step_format: str) -> list[str]:
    """What is wrong with a template's formats (empty: usable)."""
    problems = []
    for label, fmt, allowed in (("header", header_format, HEADER_FIELDS),
                                ("step", step_format, STEP_FIELDS)):
        try:
            used = [f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None]
        except ValueError as exc:
            problems.append(f"{label}: {exc}")
            continue
        unknown = sorted(set(used) - allowed)
        if unknown:
            problems.append(f"{label}: unknown field(s) {unknown}; allowed: {sorted(allowed)}")
        if label == "step" and sum(used.count(f) for f in _ACTION_FIELDS) != 1:
            problems.append("step: the action must appear exactly once, as {react}, {raw} or "
                            "{action}")
    return problems


AGENTRM_V1 = RMTemplate(
    name="agentrm-v1",
    header_format="{instruction}\n" + TASK_HEADER + "\nObservation: {observation}\n",
    step_format="{react}\nObservation: {observation}\n",
)
# agentrm-v1 with each turn as the policy wrote it: its emitted token ids are what training
# and the implicit RM read (issue: re-tokenising a conversation changes its ids).
AGENTRM_RAW_V1 = RMTemplate(
    name="agentrm-raw-v1",
    header_format=AGENTRM_V1.header_format,
    step_format="{raw}\nObservation: {observation}\n",
)
# The state as the policy saw it when it acted, then its action: every observation but the
# last. A finished trajectory's last observation often states its outcome ("You completed the
# mission", "Your score ...: 1.00"); an RM trained on this text cannot read that verdict and
# must judge the actions (fidelity run 4's agentrm-v1 RM read it: docs/fidelity.md).
AGENTRM_ACT_V1 = RMTemplate(
    name="agentrm-act-v1",
    header_format="{instruction}\n" + TASK_HEADER + "\n",
    step_format="Observation: {previous_observation}\n{react}\n",
)
# The same content without our labels: the goal and observations as they are, one per line.
PLAIN_V1 = RMTemplate(
    name="plain-v1",
    header_format="{instruction}\n{goal}\n{observation}\n",
    step_format="{thought}\n{action}\n{observation}\n",
)
RM_TEMPLATES: dict[str, RMTemplate] = {
    t.name: t for t in (AGENTRM_V1, AGENTRM_RAW_V1, AGENTRM_ACT_V1, PLAIN_V1)}
DEFAULT_RM_TEMPLATE = AGENTRM_V1.name


def resolve_rm_template(spec: str | RMTemplateConfig, field: str = "reward.template"
                        ) -> RMTemplate:
    """The template a config names (a built-in) or defines; ConfigError naming `field`."""
    if isinstance(spec, str):
        if spec not in RM_TEMPLATES:
            raise ConfigError([ConfigProblem(field, f"unknown RM template {spec!r}; built-in: "
                                             f"{', '.join(sorted(RM_TEMPLATES))}, or give "
                                             "{name, header, step}")])
        return RM_TEMPLATES[spec]
    problems = template_problems(spec.header, spec.step)
    if problems:
        raise ConfigError([ConfigProblem(field, p) for p in problems])
    return RMTemplate(spec.name, spec.header, spec.step)


def rm_text(instruction: str, trajectory: Trajectory, upto: int | None = None) -> str:
    """The default template's text of the state after `upto` steps (default: all)."""
    return AGENTRM_V1.text(instruction, trajectory, upto)
