"""TextWorld Express's simulator as the env uses it: the shared JVM and reply parsing."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

from agentrm_ray.envs.jvm.pool import JVM_BASE_OPTIONS, JvmGameSpec, JvmPool, jvm_pool

UNKNOWN_ACTION_REPLY = "Unknown action"
OPPOSITE = {"north": "south", "south": "north", "east": "west", "west": "east"}


def twx_pool() -> JvmPool:
    """The process-wide pool of TextWorld Express JVMs, one game each (started on demand)."""
    from textworld_express.constants import BASEPATH, JAR_PATH

    return jvm_pool(JvmGameSpec(
        name="TextWorld Express",
        jar_path=JAR_PATH,
        working_dir=BASEPATH,
        interface_class="textworldexpress.runtime.PythonInterface",
        java_options=JVM_BASE_OPTIONS,
        games_per_jvm=1,  # games in one JVM share state (see agentrm_ray.envs.jvm.pool)
    ))


# TextWorld Express's gold agents for coin and twc walk randomly with an unseeded random
# generator, so two resets of one game can get different (equally valid) gold paths. The
# first one generated in a process is kept, so resets and replay forks agree on the oracle.
_GOLD: OrderedDict[tuple[str, str, str, int], tuple[str, ...]] = OrderedDict()
_GOLD_LOCK = threading.Lock()
GOLD_CACHE_SIZE = 4096


def cached_gold(key: tuple[str, str, str, int]) -> tuple[str, ...] | None:
    """The gold path kept for (game, params, fold, seed), if one was generated here."""
    with _GOLD_LOCK:
        return _GOLD.get(key)


def keep_gold(key: tuple[str, str, str, int], gold: tuple[str, ...]) -> tuple[str, ...]:
    """Keep the first gold path generated for a game; returns the one kept."""
    with _GOLD_LOCK:
        kept = _GOLD.setdefault(key, gold)
        while len(_GOLD) > GOLD_CACHE_SIZE:
            _GOLD.popitem(last=False)
        return kept


def parse_reply(reply: str) -> dict[str, Any]:
    """The simulator's JSON reply (observation, validActions, score, tasksuccess, ...)."""
    return json.loads(reply)


def is_unknown(observation: str) -> bool:
    return observation.strip().startswith(UNKNOWN_ACTION_REPLY)


_NEEDS_HOLDING = ("put ", "cook ", "slice ", "dice ", "chop ")


def prerequisite(action: str) -> str | None:
    """The action that must come first when `action` handles an object not in hand."""
    lowered = action.lower()
    for verb in _NEEDS_HOLDING:
        if lowered.startswith(verb):
            rest = action[len(verb):]
            for joint in (" in ", " with ", " on "):
                rest = rest.split(joint)[0]
            return f"take {rest.strip()}"
    return None


def undo_move(action: str, observation: str) -> str | None:
    """The move that walks back, if `action` moved the agent into another room."""
    words = action.lower().split()
    moved = observation.strip().startswith("You are in the")
    if moved and len(words) == 2 and words[0] == "move" and words[1] in OPPOSITE:
        return f"move {OPPOSITE[words[1]]}"
    return None
