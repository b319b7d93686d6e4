"""The text-env contract every family follows, implemented once.

A family subclasses `TextEnv` and writes only what differs: how a task id becomes a state
(`_load_task`), what an action does (`_apply`), which actions are admissible, and the expert's
next action (`oracle_action`). The base class owns everything the contract promises across
families: the info keys, step counting and truncation, "Invalid action" observations instead
of exceptions, an error on stepping a finished episode, and forking (cheap snapshot where the
family provides one, replay of the action prefix from the same seed otherwise).
"""

from __future__ import annotations

import copy
import functools
import re
import string
from dataclasses import dataclass, field
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from agentrm_ray.envs.errors import EpisodeFinishedError, UnknownTaskError
from agentrm_ray.envs.suites import TaskSpec

# Observations and actions are free text. gymnasium's Text space checks membership per
# character, so the charset must hold everything an env may print: all printable ASCII.
TEXT_CHARSET = string.printable
MAX_TEXT_LENGTH = 1 << 16


@functools.cache
def _text_space_prototype(max_length: int) -> gym.spaces.Text:
    return gym.spaces.Text(max_length=max_length, min_length=0, charset=TEXT_CHARSET)


def text_space(max_length: int = MAX_TEXT_LENGTH) -> gym.spaces.Text:
    """The observation/action space of every text env.

    Building a Text space costs ~100 us (charset bookkeeping) and forks create envs often, so
    each env gets a shallow copy of one never-sampled prototype: same charset, own RNG (the
    prototype's RNG is unset, so every copy seeds its own on first use).
    """
    return copy.copy(_text_space_prototype(max_length))


_OUTSIDE_CHARSET = re.compile(f"[^{re.escape(TEXT_CHARSET)}]")


def to_ascii(text: str) -> str:
    """Keep observations inside TEXT_CHARSET (other characters would leave the space)."""
    return _OUTSIDE_CHARSET.sub("?", text)


# Info key under which env workers report the server calls an env made since the last report
# ({"create": n, "reset": n, "step": n}; see `TextEnv.take_remote_calls`).
REMOTE_CALLS = "remote_calls"


@dataclass
class Transition:
    """What a family's `_apply` reports for one action; the base class builds the gym tuple."""

    observation: str
    reward: float = 0.0
    done: bool = False
    success: bool = False
    progress: float | None = None
    valid: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class TextEnv(gym.Env[str, str]):
    """Base of all agentrm text environments (see module docstring)."""

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 1}
    family: ClassVar[str] = ""
    default_max_steps: ClassVar[int] = 30

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}")
        self.render_mode = render_mode
        self.max_steps = int(max_steps or self.default_max_steps)
        self.observation_space = text_space()
        self.action_space = text_space(max_length=4096)
        self._task: TaskSpec | None = None
        self._reset_seed: int | None = None
        self._reset_options: dict[str, Any] | None = None
        self._actions: list[str] = []
        self._observation = ""
        self._goal = ""
        self._progress = 0.0
        self._finished = False

    # ----------------------------------------------------------------- family hooks
    def task_catalogue(self) -> list[TaskSpec]:
        """Every task this env can load (its suites' tasks)."""
        raise NotImplementedError

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        """Set up `task`; return (first observation, goal text)."""
        raise NotImplementedError

    def _apply(self, action: str) -> Transition:
        """Perform one (stripped, non-empty) action in the current state."""
        raise NotImplementedError

    def admissible_actions(self) -> list[str] | None:
        """Actions valid now, where the family can list them (None where it cannot)."""
        return None

    def oracle_action(self) -> str:
        """The expert's next action in the current state."""
        raise NotImplementedError

    def take_remote_calls(self) -> dict[str, int] | None:
        """Calls this env made to a remote server since the last take (then zeroed), for envs
        whose state lives on one; None for in-process envs. Taken by the env worker after an
        open or a step, so a fork's create, reset and replay count with its first step."""
        return None

    def _snapshot(self) -> Any | None:
        """Family state for a cheap fork, or None to fork by replay."""
        return None

    def _restore(self, snapshot: Any) -> None:
        raise NotImplementedError

    # ----------------------------------------------------------------- gym API
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        task = self._resolve_task(options.get("task_id"))
        self._task = task
        self._reset_seed = seed
        self._reset_options = options
        self._actions = []
        self._finished = False
        self._progress = 0.0
        task_rng = np.random.default_rng([task.seed, 0 if seed is None else seed])
        observation, goal = self._load_task(task, task_rng)
        self._observation = to_ascii(observation)
        self._goal = to_ascii(goal)
        return self._observation, self._info(valid=True, success=False)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        if self._task is None:
            raise EpisodeFinishedError(f"{self.family}: call reset() before step()")
        if self._finished:
            raise EpisodeFinishedError(
                f"{self.family} task {self._task.task_id}: the episode has finished; "
                "call reset() to start a new one"
            )
        text = action if isinstance(action, str) else str(action)
        text = text.strip()
        self._actions.append(text)
        if not text:
            result = Transition(self.invalid_observation("(empty)"), valid=False)
        else:
            result = self._apply(text)
        if result.progress is not None:
            self._progress = float(min(1.0, max(0.0, result.progress)))
        if result.success:
            self._progress = 1.0
        self._observation = to_ascii(result.observation)
        terminated = bool(result.done or result.success)
        truncated = not terminated and len(self._actions) >= self.step_limit
        self._finished = terminated or truncated
        info = self._info(valid=result.valid, success=result.success)
        info.update(result.extra)
        return self._observation, float(result.reward), terminated, truncated, info

    def render(self) -> str | None:
        text = f"Goal: {self._goal}\n{self._observation}"
        if self.render_mode == "human":
            print(text)
            return None
        return text

    # ----------------------------------------------------------------- contract extras
    @property
    def task(self) -> TaskSpec | None:
        return self._task

    @property
    def step_limit(self) -> int:
        """Steps before truncation: the task's own limit where it sets one, else max_steps."""
        task_limit = self._task.param("max_steps") if self._task is not None else None
        return int(task_limit or self.max_steps)

    @property
    def goal(self) -> str:
        return self._goal

    @property
    def actions_taken(self) -> list[str]:
        return list(self._actions)

    @property
    def finished(self) -> bool:
        return self._finished

    def invalid_observation(self, action: str) -> str:
        """The explanatory observation for an action the env cannot perform."""
        valid = self.admissible_actions()
        if valid:
            return f"Invalid action: {action!r}. Valid actions are: {', '.join(valid)}."
        return f"Invalid action: {action!r}."

    def fork(self) -> TextEnv:
        """An independent copy in the current state (snapshot if cheap, else replay)."""
        clone = self._blank_copy()
        snapshot = self._snapshot()
        if snapshot is not None and self._task is not None:
            for name in (
                "_task",
                "_reset_seed",
                "_reset_options",
                "_observation",
                "_goal",
                "_progress",
                "_finished",
            ):
                setattr(clone, name, copy.deepcopy(getattr(self, name)))
            clone._actions = list(self._actions)
            clone._np_random = copy.deepcopy(self._np_random)
            clone._restore(copy.deepcopy(snapshot))
            return clone
        return self.replay_fork()

    def replay_fork(self) -> TextEnv:
        """Fork by resetting a fresh env with the same seed/options and replaying the actions."""
        clone = self._blank_copy()
        if self._task is None:
            return clone
        clone.reset(seed=self._reset_seed, options=self._reset_options)
        for action in self._actions:
            clone.step(action)
        return clone

    def _blank_copy(self) -> TextEnv:
        return type(self)(**self._init_kwargs())

    def _init_kwargs(self) -> dict[str, Any]:
        """Constructor arguments that recreate this env (families add theirs)."""
        return {"max_steps": self.max_steps, "render_mode": self.render_mode}

    # ----------------------------------------------------------------- internals
    def _resolve_task(self, task_id: Any) -> TaskSpec:
        catalogue = self.task_catalogue()
        if task_id is None:
            index = int(self.np_random.integers(len(catalogue)))
            return catalogue[index]
        by_id = {t.task_id: t for t in catalogue}
        try:
            return by_id[str(task_id)]
        except KeyError:
            examples = ", ".join(list(by_id)[:5])
            raise UnknownTaskError(
                f"unknown task id {task_id!r} for suite {self.family!r} "
                f"({len(by_id)} tasks, e.g. {examples})"
            ) from None

    def _info(self, *, valid: bool, success: bool) -> dict[str, Any]:
        assert self._task is not None
        info: dict[str, Any] = {
            "task_id": self._task.task_id,
            "goal": self._goal,
            "progress": self._progress,
            "success": bool(success),
            "valid_action": bool(valid),
            "steps": len(self._actions),
        }
        admissible = self.admissible_actions()
        if admissible is not None:
            info["admissible_actions"] = list(admissible)
        return info
