"""What the policy and the RM are told about each family: the one place prompts are looked up.

By default a family's prompts are its own (`FamilySpec.prompt`: an instruction and a one-shot
example, in this project's layout; `prompts.icl_examples: 0` drops the example, which a policy
fine-tuned on the layout may not need and which is 29% of the quickstart's SFT tokens). With
`prompts.dir` set, the families mapped in `prompts.tasks` take theirs from a prompt pack in
ETO's directory layout (the layout AgentRM's evaluation uses), and the policy is prompted in
ETO's chat layout. The book is built once from the config (`PromptBook.from_config`) and
handed to everything that prompts: the search's expander, the RM scorer, the SFT demos and the
RM labels, and Serve's /v1/score, so a policy is trained, searched and scored with the same
text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentrm_ray.config.errors import ConfigError, ConfigProblem
from agentrm_ray.config.models import PromptsConfig
from agentrm_ray.envs import families, family_by_env_id
from agentrm_ray.prompting import eto_policy_messages, policy_messages
from agentrm_ray.types import Task, Trajectory

Turn = dict[str, str]
INSTRUCTION_FILE = "instructions/{task}_inst.txt"
EXAMPLES_FILE = "icl_examples/{task}_icl.json"
RM_INSTRUCTION_FILE = "prm_instruction/{task}.txt"


@dataclass(frozen=True)
class FamilyPrompts:
    """One family's prompts; `examples` set means ETO's layout (a pack), else ours."""

    instruction: str
    rm_instruction: str
    example: str = ""
    examples: tuple[tuple[Turn, ...], ...] | None = None
    source: str = "family"

    def policy_messages(self, trajectory: Trajectory) -> list[Turn]:
        """The chat asking the policy for its next turn (search and SFT alike)."""
        if self.examples is not None:
            return eto_policy_messages(self.instruction, self.examples, trajectory)
        return policy_messages(self.instruction, self.example, trajectory)


@dataclass(frozen=True)
class PromptBook:
    """Family name -> its pack prompts; any other family answers with its own, with its
    one-shot example unless `own_example` is off (`prompts.icl_examples: 0`)."""

    packed: dict[str, FamilyPrompts] = field(default_factory=dict)
    own_example: bool = True

    @classmethod
    def from_config(cls, cfg: PromptsConfig) -> PromptBook:
        """Read the pack's files for every mapped family; ConfigError names each problem."""
        own_example = cfg.icl_examples > 0
        if cfg.dir is None:
            return cls(own_example=own_example)
        root = Path(cfg.dir).expanduser()
        if not root.is_dir():
            raise ConfigError([ConfigProblem("prompts.dir", f"{root} is not a directory")])
        known = set(families())
        problems: list[ConfigProblem] = []
        packed: dict[str, FamilyPrompts] = {}
        for family, task in cfg.tasks.items():
            if family not in known:
                problems.append(ConfigProblem(f"prompts.tasks.{family}", f"unknown family; "
                                              f"known: {', '.join(sorted(known))}"))
                continue
            try:
                packed[family] = _read_task(root, task, cfg.icl_examples)
            except _PackProblem as exc:
                problems.append(ConfigProblem(f"prompts.tasks.{family}", str(exc)))
        if problems:
            raise ConfigError(problems)
        return cls(packed, own_example=own_example)

    def for_family(self, name: str) -> FamilyPrompts:
        if name in self.packed:
            return self.packed[name]
        prompt = families()[name].prompt
        example = prompt.example if self.own_example else ""
        return FamilyPrompts(prompt.instruction, prompt.instruction, example=example)

    def for_env(self, env_id: str) -> FamilyPrompts:
        return self.for_family(family_by_env_id(env_id).name)

    def rm_instruction(self, task: Task) -> str:
        """The instruction the RM reads for a task (the scorer's lookup)."""
        return self.for_env(task.env_id).rm_instruction

    def rm_instruction_of_env(self, env_id: str) -> str:
        """The same, by env id (the label stage's lookup)."""
        return self.for_env(env_id).rm_instruction


class _PackProblem(Exception):
    """A mapped task whose files are missing or malformed."""


def _read_task(root: Path, task: str, icl_examples: int) -> FamilyPrompts:
    instruction = _read_text(root, INSTRUCTION_FILE.format(task=task), required=True)
    rm_path = RM_INSTRUCTION_FILE.format(task=task)
    rm_instruction = _read_text(root, rm_path, required=False) or instruction
    examples = _read_examples(root, EXAMPLES_FILE.format(task=task))
    return FamilyPrompts(instruction=instruction, rm_instruction=rm_instruction,
                         examples=tuple(examples[:icl_examples]), source=str(root))


def _read_text(root: Path, relative: str, required: bool) -> str:
    path = root / relative
    if not path.is_file():
        if required:
            raise _PackProblem(f"{relative} is missing from the pack at {root}")
        return ""
    text = path.read_text(encoding="utf-8").strip()
    if required and not text:
        raise _PackProblem(f"{relative} is empty")
    return text


def _read_examples(root: Path, relative: str) -> list[tuple[Turn, ...]]:
    """A list of example conversations; a file holding one conversation (a flat list of
    turns) is read as one example."""
    path = root / relative
    if not path.is_file():
        raise _PackProblem(f"{relative} is missing from the pack at {root}")
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise _PackProblem(f"{relative} is not JSON ({exc})") from None
    if isinstance(data, list) and data and all(isinstance(t, dict) for t in data):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(e, list) for e in data):
        raise _PackProblem(f"{relative} must be a list of example conversations, each a list "
                           "of {role, content} turns")
    return [_example(relative, i, example) for i, example in enumerate(data)]


def _example(relative: str, index: int, turns: list[Any]) -> tuple[Turn, ...]:
    out = []
    for j, turn in enumerate(turns):
        if (not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant")
                or not isinstance(turn.get("content"), str)):
            raise _PackProblem(f"{relative}: example {index}, turn {j} needs a role (user or "
                               "assistant) and a string content")
        expected = "user" if j % 2 == 0 else "assistant"
        if turn["role"] != expected:
            raise _PackProblem(f"{relative}: example {index}, turn {j} is {turn['role']}; "
                               "turns alternate user, assistant from a user turn")
        out.append({"role": turn["role"], "content": turn["content"]})
    if not out or out[-1]["role"] != "assistant":
        raise _PackProblem(f"{relative}: example {index} must end with an assistant turn")
    return tuple(out)
