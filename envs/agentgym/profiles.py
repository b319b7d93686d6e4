"""Per-server dialects of the AgentGym env-server protocol, as data rather than if-chains.

Every AgentGym env server is a small FastAPI app with create/reset/step endpoints, but each
one spells them a little differently (see /work/shared/AGENTGYM_PROTOCOL.md): the URL prefix,
whether `create` takes a JSON body, the name of the data-index field in `reset`, where the
admissible actions live, the key of the observation in a step reply, whether `close` exists,
and what counts as success. A `ServerProfile` records one server's answers to those questions;
the client reads the profile and never tests the server's name.

Success and progress per profile (the server's own numbers, normalised):
- babyai: success when the server says done with a positive reward (BabyAI's reward shrinks
  with the step count, so it is below 1 even for a solved level); progress 0/1.
- maze, wordle, textcraft: success when the step reward is >= 1 (LMRL maze gives 1.0 at the
  goal and -1.0 on failure; wordle and textcraft give 1 when solved); progress 0/1.
- sciworld: success when the score reaches 100; progress = score/100, negatives (-100 for a
  fatal wrong focus) clamped to 0.
- webshop: success when the reward is 1 (every attribute of the bought item matches);
  progress = the reward, which WebShop pays in [0, 1] at the end of the episode.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class ActionSource(str, Enum):
    """Where a server tells the client which actions are admissible now."""

    NONE = "none"  # nowhere: any text goes to the server
    OBSERVATION = "observation"  # inside the observation, after "\nAvailable actions: [...]"
    ENDPOINT = "endpoint"  # GET <prefix>available_actions?id=


class ObservationShape(str, Enum):
    """What GET <prefix>observation returns."""

    OBJECT = "object"  # {"observation": "..."}
    STRING = "string"  # "..."


class CloseSupport(str, Enum):
    """Whether POST <prefix>close exists."""

    YES = "yes"
    NO = "no"
    PROBE = "probe"  # try once; a 404 means the server has none (real LMRL servers; our test
    # server offers it as an agentrm extension so tests can count live envs)


@dataclass(frozen=True)
class StepReply:
    """One step's answer, in the client's terms."""

    observation: str
    reward: float = 0.0
    done: bool = False
    score: float | None = None
    invalid: bool = False


SuccessRule = Callable[[StepReply], bool]


def reward_at_least_one(reply: StepReply) -> bool:
    return reply.reward >= 1.0


def done_with_positive_reward(reply: StepReply) -> bool:
    return reply.done and reply.reward > 0.0


def score_at_least_100(reply: StepReply) -> bool:
    return reply.score is not None and reply.score >= 100.0


@dataclass(frozen=True)
class ServerProfile:
    """One server's dialect of the protocol (see the module docstring)."""

    name: str
    prefix: str = "/"
    create_sends_json: bool = False  # TextCraft's create needs a JSON body ({}), others none
    create_resets: bool = False  # create already returns a reset env (TextCraft); we reset anyway
    id_field: str = "id"  # key of the env id in bodies and query strings (WebShop: env_idx)
    index_field: str = "data_idx"  # key of the task index in the reset body
    observation_key: str = "observation"  # key of the text in step replies (WebShop: state)
    observation_shape: ObservationShape = ObservationShape.OBJECT
    actions: ActionSource = ActionSource.NONE
    close: CloseSupport = CloseSupport.YES
    score_key: str | None = None  # reply key of a progress-like number, if any
    score_scale: float | None = None  # progress = score / score_scale (clamped to [0, 1])
    success: SuccessRule = reward_at_least_one
    invalid_markers: tuple[str, ...] = ()  # server texts that mean "that action is invalid"
    goal_key: str | None = None  # reset-reply key holding the task description
    goal_pattern: str | None = None  # regex whose group 1 is the goal in the first observation
    goal: str = "Solve the task described in the observations."
    default_num_tasks: int = 25

    def path(self, endpoint: str) -> str:
        return f"{self.prefix}{endpoint}"

    def progress(self, reply: StepReply, success: bool) -> float | None:
        """The server's score in [0, 1] where it has one, else 1.0 on success (None: unchanged)."""
        if self.score_scale and reply.score is not None:
            return min(1.0, max(0.0, reply.score / self.score_scale))
        return 1.0 if success else None


# Texts that mean "invalid action" on any server; profiles add their own.
GENERIC_INVALID_MARKERS = ("invalid action", "not a valid action")

PROFILES: dict[str, ServerProfile] = {
    p.name: p
    for p in (
        ServerProfile(
            name="babyai",
            actions=ActionSource.OBSERVATION,
            success=done_with_positive_reward,
            invalid_markers=("The action is not recognized",),
            goal_pattern=r"Your goal:\s*(.+)",
            goal="Accomplish the goal stated in the first observation.",
            default_num_tasks=400,  # 40 levels x 10 seeds (level = idx % 40 + 1, seed = idx // 40)
        ),
        ServerProfile(
            name="maze",
            prefix="/maze/",
            index_field="game",
            observation_shape=ObservationShape.STRING,
            actions=ActionSource.ENDPOINT,
            close=CloseSupport.PROBE,
            goal="Reach the goal of the maze; every observation says where it is.",
            default_num_tasks=25,  # LMRL's maze has games 0-24
        ),
        ServerProfile(
            name="wordle",
            prefix="/wordle/",
            index_field="seed",
            observation_shape=ObservationShape.STRING,
            close=CloseSupport.PROBE,
            invalid_markers=("invalid word",),
            goal="Guess the hidden five-letter word, letters separated by spaces.",
            default_num_tasks=100,
        ),
        ServerProfile(
            name="textcraft",
            create_sends_json=True,
            create_resets=True,
            observation_shape=ObservationShape.STRING,
            goal_pattern=r"Goal:\s*(.+)",
            goal="Craft the item named in the first observation.",
            default_num_tasks=100,
        ),
        ServerProfile(
            name="sciworld",
            score_key="score",
            score_scale=100.0,
            success=score_at_least_100,
            invalid_markers=("No known action matches that input",),
            goal_key="task_description",
            goal="Complete the science task described in the first observation.",
            default_num_tasks=100,
        ),
        ServerProfile(
            name="webshop",
            id_field="env_idx",
            index_field="session_id",
            observation_key="state",
            observation_shape=ObservationShape.STRING,
            close=CloseSupport.NO,
            score_key="reward",
            score_scale=1.0,
            goal_pattern=r"Instruction:\s*\[SEP\]\s*([^\[]+)",
            goal="Buy the product that matches the instruction in the first observation.",
            default_num_tasks=200,
        ),
    )
}


def get_profile(name: str) -> ServerProfile:
    """The profile of a server dialect by name; unknown names list the known ones."""
    from agentrm_ray.envs.agentgym.errors import AgentGymError

    try:
        return PROFILES[name]
    except KeyError:
        raise AgentGymError(
            f"unknown AgentGym server profile {name!r}; known: {', '.join(sorted(PROFILES))}"
        ) from None


_LISTED_ACTIONS = re.compile(r"Available actions:\s*(\[.*?\])[ \t]*(?:\n|$)", re.DOTALL)
_QUOTED = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")


def parse_listed_actions(observation: str) -> list[str] | None:
    """The actions a BabyAI-style observation lists after "Available actions: [...]".

    BabyAI prints a JSON-like list of double-quoted strings; be lenient about quoting because
    an action may itself contain a quote. Returns None when the observation lists nothing.
    """
    matches = list(_LISTED_ACTIONS.finditer(observation))
    if not matches:
        return None
    listed = matches[-1].group(1)
    for loader in (json.loads, ast.literal_eval):
        try:
            value: Any = loader(listed)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [v.strip() for v in value if v.strip()]
    quoted = [a or b for a, b in _QUOTED.findall(listed)]
    if quoted:
        return [q.strip() for q in quoted if q.strip()]
    inner = listed.strip()[1:-1]
    return [part.strip() for part in inner.split(",") if part.strip()]
