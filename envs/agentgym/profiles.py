"""Per-server dialects of the AgentGym env-server protocol, as data rather than if-chains.

Every AgentGym env server is a small FastAPI app with create/reset/step endpoints, but each
one spells them a little differently (see /work/shared/AGENTGYM_PROTOCOL.md): the URL prefix,
whether `create` takes a JSON body, the name of the data-index field in `reset` (and any other
field it requires), where the admissible actions live and in what shape, the key of the
observation in a step reply, whether `close` exists, how the reward is scaled and what counts
as success. A `ServerProfile` records one server's answers to those questions; the client
reads the profile and never tests the server's name.

Success, reward and progress per profile (the server's own numbers, normalised):
- babyai: success when the server says done with a positive reward (BabyAI's reward shrinks
  with the step count, so it is below 1 even for a solved level); progress 0/1.
- maze, wordle, textcraft, alfworld: success when the step reward is >= 1 (LMRL maze gives 1.0
  at the goal and -1.0 on failure; wordle and textcraft give 1 when solved; ALFWorld's reward
  is `float(won)`); progress 0/1.
- sciworld: success when the score reaches 100; progress = score/100, negatives (-100 for a
  fatal wrong focus) clamped to 0. The server's reward is the change of the score (25, 50,
  -100, ...), so the client reports that change divided by 100 as well, computed from the
  last *valid* score: an invalid action makes the server report a lost score (e.g. 0), which
  must neither count as progress lost nor be paid back by the next valid step.
- webshop: success when the reward is 1 (every attribute of the bought item matches);
  progress = the reward, which WebShop pays in [0, 1] when the episode ends (click[buy now]).

The default task catalogue (`Catalogue`) maps task i of a profile to a server data index; it
is the identity except where consecutive indices would all be one kind of task (SciWorld's
games are grouped by task type, ALFWorld's training games by task type, its test games last).
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from typing import Any


class ActionSource(str, Enum):
    """Where a server tells the client which actions are admissible now."""

    NONE = "none"  # nowhere: any text goes to the server
    OBSERVATION = "observation"  # inside the observation, after "\nAvailable actions: [...]"
    ENDPOINT = "endpoint"  # GET <prefix>available_actions?<id_field>=
    REPLY = "reply"  # in every reset/step reply under `actions_key` (ALFWorld); the
    # endpoint is the fallback for a reply without it


class ObservationShape(str, Enum):
    """What GET <prefix>observation returns."""

    OBJECT = "object"  # {"observation": "..."}
    STRING = "string"  # "..."


class CloseSupport(str, Enum):
    """Whether POST <prefix>close exists."""

    YES = "yes"
    NO = "no"
    PROBE = "probe"  # try once; a 404 means the server has none (real LMRL servers, ALFWorld
    # and older WebShop servers; our maze server offers it as an agentrm extension so tests
    # can count live envs)


@dataclass(frozen=True)
class StepReply:
    """One step's answer, in the client's terms."""

    observation: str
    reward: float = 0.0
    done: bool = False
    score: float | None = None
    invalid: bool = False


SuccessRule = Callable[[StepReply], bool]
ActionReader = Callable[[Any], list[str] | None]


def reward_at_least_one(reply: StepReply) -> bool:
    return reply.reward >= 1.0


def done_with_positive_reward(reply: StepReply) -> bool:
    return reply.done and reply.reward > 0.0


def score_at_least_100(reply: StepReply) -> bool:
    return reply.score is not None and reply.score >= 100.0


def read_action_list(payload: Any) -> list[str] | None:
    """A plain list of actions (maze, ALFWorld), or one under "available_actions"/"actions"."""
    if isinstance(payload, dict):
        payload = payload.get("available_actions", payload.get("actions"))
    if isinstance(payload, list):
        return [str(a) for a in payload]
    return None


def read_webshop_clickables(payload: Any) -> list[str] | None:
    """WebShop's `{"has_search_bar": bool, "clickables": [...]}` as `click[...]` actions.

    Where the page has a search bar any `search[keywords]` is admissible, which no list can
    hold, so the answer is None (anything goes, the server judges). Without one, AgentGym's
    own WebShop prompt limits the agent to clicking one of the clickables, so they are the
    whole action space. "search" is the search bar's own button, which WebShop never clicks.
    """
    if not isinstance(payload, dict) or payload.get("has_search_bar", True):
        return None
    clickables = payload.get("clickables")
    if not isinstance(clickables, list):
        return None
    return [f"click[{c}]" for c in clickables if isinstance(c, str) and c and c != "search"]


# Spread walk through a group: a stride near size/phi^2 visits far-apart variations first.
_SPREAD = (3.0 - math.sqrt(5.0)) / 2.0


@cache
def _interleaved(groups: tuple[tuple[str, int], ...]) -> tuple[int, ...]:
    """Every index of consecutive `groups`, round-robin over the groups, spread inside each.

    Round r takes the r-th variation of every group that still has one; inside a group of
    size c the variations are visited in the order (k * s) mod c with s coprime to c near
    c/phi^2, so any prefix of the order covers all groups first and then far-apart
    variations of each. A permutation of range(sum of sizes), independent of how many tasks
    are taken, so a task id keeps its index when the catalogue grows.
    """
    starts, strides = [], []
    start = 0
    for _, size in groups:
        stride = max(1, round(size * _SPREAD))
        while math.gcd(stride, size) != 1:
            stride += 1
        starts.append(start)
        strides.append(stride)
        start += size
    order: list[int] = []
    for r in range(max((size for _, size in groups), default=0)):
        for (_, size), first, stride in zip(groups, starts, strides, strict=True):
            if r < size:
                order.append(first + (r * stride) % size)
    return tuple(order)


@dataclass(frozen=True)
class Catalogue:
    """How task i of a profile's default catalogue maps to a server data index.

    Without `groups`: `offset + i`. With `groups` (the server's consecutive blocks of
    indices, e.g. SciWorld's task types with their variation counts): `offset` plus the i-th
    index of the round-robin walk of `_interleaved`, so the first tasks cover every group
    rather than the first group's variations.
    """

    offset: int = 0
    groups: tuple[tuple[str, int], ...] = ()

    @property
    def size(self) -> int | None:
        """How many distinct tasks the catalogue can name (None: as many as asked for)."""
        return sum(size for _, size in self.groups) if self.groups else None

    def index(self, i: int) -> int:
        """The server data index of catalogue task `i`."""
        if i < 0:
            raise ValueError(f"catalogue task {i} is negative")
        if not self.groups:
            return self.offset + i
        order = _interleaved(self.groups)
        if i >= len(order):
            raise ValueError(f"catalogue task {i} is past the server's {len(order)} games")
        return self.offset + order[i]


# ScienceWorld's task types in the order the AgentGym server enumerates them (`env.tasks`,
# i.e. scienceworld.constants.ID2TASK, skipping the server's exceptions 5-1, 5-2, 9-1, 9-2,
# 9-3, 10-1, 10-2), each with getMaxVariations(task): data_idx is the position in the
# concatenation of every task's variations (agentenv_sciworld/environment.py, `self.games`).
# They add up to the 4,639 games a real server has; 0-99 are boil, melt, freeze and 10
# change-of-state variations only.
SCIWORLD_TASK_VARIATIONS: tuple[tuple[str, int], ...] = (
    ("boil", 30), ("melt", 30), ("freeze", 30), ("change-the-state-of-matter-of", 30),
    ("use-thermometer", 540), ("measure-melting-point-known-substance", 436),
    ("measure-melting-point-unknown-substance", 300), ("power-component", 20),
    ("power-component-renewable-vs-nonrenewable-energy", 20), ("test-conductivity", 900),
    ("test-conductivity-of-unknown-substances", 600), ("find-living-thing", 300),
    ("find-non-living-thing", 300), ("find-plant", 300), ("find-animal", 300),
    ("chemistry-mix", 32), ("chemistry-mix-paint-secondary-color", 36),
    ("chemistry-mix-paint-tertiary-color", 36), ("lifespan-longest-lived", 125),
    ("lifespan-shortest-lived", 125), ("lifespan-longest-lived-then-shortest-lived", 125),
    ("identify-life-stages-1", 14), ("identify-life-stages-2", 10),
)

# ALFWorld (agentenv_alfworld/env_wrapper.py): `game` indexes configs/mappings_train.json
# (2,420 training games, sorted by task type: the first 100 are all look_at_obj_in_light)
# followed by configs/mappings_test.json (items 2420-2619, AgentGym's 200 test games, mixed).
ALFWORLD_TEST_GAMES = Catalogue(offset=2420)

WORDLE_GOAL = (
    "Guess the hidden five-letter word in at most 6 guesses. Answer with one guess per turn, "
    "five lowercase letters (spaces between them are fine). After each guess the server "
    "answers one letter per position: g = that letter is in the word at this position, "
    "y = the letter is in the word but at another position, b = the letter is not in the "
    "word. A guess that is not in the word list is answered \"invalid word\" and still uses "
    "up a guess."
)


@dataclass(frozen=True)
class ServerProfile:
    """One server's dialect of the protocol (see the module docstring)."""

    name: str
    prefix: str = "/"
    create_sends_json: bool = False  # TextCraft's create needs a JSON body ({}), others none
    create_resets: bool = False  # create already returns a reset env (TextCraft); we reset anyway
    id_field: str = "id"  # key of the env id in bodies and query strings (WebShop: env_idx)
    index_field: str = "data_idx"  # key of the task index in the reset body
    reset_extra: tuple[tuple[str, Any], ...] = ()  # fixed fields a reset body also needs
    observation_key: str = "observation"  # key of the text in step replies (WebShop: state)
    observation_shape: ObservationShape = ObservationShape.OBJECT
    actions: ActionSource = ActionSource.NONE
    actions_key: str = "available_actions"  # reply key of the actions (ActionSource.REPLY)
    action_reader: ActionReader = read_action_list  # the actions in an endpoint/reply value
    close: CloseSupport = CloseSupport.YES
    score_key: str | None = None  # reply key of a progress-like number, if any
    score_scale: float | None = None  # progress = score / score_scale (clamped to [0, 1])
    reward_scale: float = 1.0  # step reward = the server's reward / reward_scale
    reward_from_score: bool = False  # reward = change of the last valid score / reward_scale
    keep_score_on_invalid: bool = False  # an invalid step reports a lost score: keep the last
    success: SuccessRule = reward_at_least_one
    invalid_markers: tuple[str, ...] = ()  # server texts that mean "that action is invalid"
    unchanged_is_noop: bool = False  # a step answering the same observation did nothing
    goal_key: str | None = None  # reset-reply key holding the task description
    goal_pattern: str | None = None  # regex whose group 1 is the goal in the first observation
    goal: str = "Solve the task described in the observations."
    vocabulary_endpoint: str | None = None  # GET <prefix><this>?id= -> the word list (wordle)
    vocabulary_max_words: int = 500  # a longer list is not put into the goal text
    default_num_tasks: int = 25
    catalogue: Catalogue = Catalogue()

    def path(self, endpoint: str) -> str:
        return f"{self.prefix}{endpoint}"

    def progress(self, reply: StepReply, success: bool) -> float | None:
        """The server's score in [0, 1] where it has one, else 1.0 on success (None: unchanged)."""
        if self.score_scale and reply.score is not None:
            return min(1.0, max(0.0, reply.score / self.score_scale))
        return 1.0 if success else None

    def catalogue_index(self, i: int) -> int:
        """The server data index of default task `<server>-<i>` (see `Catalogue`)."""
        return self.catalogue.index(i)


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
            # Walking into a wall (or any move that goes nowhere) answers the very same text.
            unchanged_is_noop=True,
            goal="Reach the goal of the maze; every observation says where it is.",
            default_num_tasks=26,  # LMRL's maze has 26 start positions: games 0-25
        ),
        ServerProfile(
            name="wordle",
            prefix="/wordle/",
            index_field="seed",
            observation_shape=ObservationShape.STRING,
            close=CloseSupport.PROBE,
            invalid_markers=("invalid word",),
            goal=WORDLE_GOAL,
            vocabulary_endpoint="filtered_vocab",  # a JSON list of the words (LMRL's vocab)
            default_num_tasks=100,
        ),
        ServerProfile(
            name="textcraft",
            create_sends_json=True,
            create_resets=True,
            observation_shape=ObservationShape.STRING,
            # TextCraft's failed actions (ActionFailed): "Could not execute <action>",
            # "Could not find enough items to craft ...", "Could not find a valid recipe for
            # ...", "Could not find <item>", "Could not extract recipe from ...", "Wrong item
            # format: ..."; none of them changes the inventory.
            invalid_markers=("Could not execute", "Could not find", "Could not extract recipe",
                             "Wrong item format"),
            goal_pattern=r"Goal:\s*(.+)",
            goal="Craft the item named in the first observation.",
            default_num_tasks=100,
        ),
        ServerProfile(
            name="sciworld",
            score_key="score",
            score_scale=100.0,
            reward_scale=100.0,
            reward_from_score=True,
            keep_score_on_invalid=True,
            success=score_at_least_100,
            invalid_markers=("No known action matches that input",),
            goal_key="task_description",
            goal="Complete the science task described in the first observation.",
            default_num_tasks=100,
            catalogue=Catalogue(groups=SCIWORLD_TASK_VARIATIONS),
        ),
        ServerProfile(
            # agentenv_webshop/server.py: POST /create -> a bare int (random, not 0, 1, ...);
            # POST /reset {"env_idx", "session_id"} -> [observation, null]; POST /step
            # {"env_idx", "action"} -> {"state", "reward", "done", "info": null};
            # GET /available_actions?env_idx= -> {"has_search_bar", "clickables"};
            # GET /observation?env_idx= -> a bare string; POST /close {"env_idx"} ->
            # {"closed"} on newer servers only. An action it cannot parse or click does
            # nothing and answers the same page.
            name="webshop",
            id_field="env_idx",
            index_field="session_id",
            observation_key="state",
            observation_shape=ObservationShape.STRING,
            actions=ActionSource.ENDPOINT,
            action_reader=read_webshop_clickables,
            close=CloseSupport.PROBE,
            score_key="reward",
            score_scale=1.0,
            unchanged_is_noop=True,
            goal_pattern=r"Instruction:\s*\[SEP\]\s*([^\[]+)",
            goal="Buy the product that matches the instruction in the first observation.",
            default_num_tasks=200,
        ),
        ServerProfile(
            # agentenv_alfworld/server.py + env_wrapper.py: POST /create -> {"id"}; POST
            # /reset {"id", "game", "world_type"} -> {"id", "observation",
            # "available_actions", "task_type"}; POST /step {"id", "action"} ->
            # {"observation", "reward": float(won), "available_actions", "done"};
            # GET /available_actions?id= -> a list; GET /observation?id= -> a bare string;
            # no close. An inadmissible command answers "Nothing happens."
            name="alfworld",
            index_field="game",
            reset_extra=(("world_type", "Text"),),
            observation_shape=ObservationShape.STRING,
            actions=ActionSource.REPLY,
            close=CloseSupport.PROBE,
            invalid_markers=("Nothing happens",),
            goal_pattern=r"Your task is to:\s*(.+)",
            goal="Complete the household task stated in the first observation.",
            default_num_tasks=200,
            catalogue=ALFWORLD_TEST_GAMES,
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
