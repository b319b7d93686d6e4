"""ScienceWorld's simulator as the env uses it: the shared JVM, gold paths, reply parsing.

The env talks to the simulator's `PythonInterface` directly instead of through
`scienceworld.ScienceWorldEnv`: that wrapper starts a JVM per object and asks for the list of
valid actions (400-900 strings) after every step, which makes a step 10-50x slower.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from agentrm_ray.envs.jvm.pool import (
    JVM_BASE_OPTIONS,
    STABLE_HASH_OPTIONS,
    JvmGameSpec,
    JvmPool,
    jvm_pool,
)

# What the simulator answers when it cannot parse the input at all, and when an ambiguity
# question ("enter the number ...") gets something that is not one of the offered numbers.
UNPARSED_REPLIES = ("No known action matches that input", "Unknown action.")
# "This room is called the kitchen." / "This outside location is called the outside."
_ROOM_IN_LOOK = re.compile(r"^This [a-z ]*?is called the (.+?)\.", re.MULTILINE)
_MOVED_TO = re.compile(r"^You move to the (.+?)\.\s*$")


def sciworld_pool() -> JvmPool:
    """The process-wide pool of ScienceWorld JVMs (up to 16 games each, started on demand)."""
    from scienceworld.constants import BASEPATH, JAR_PATH

    return jvm_pool(JvmGameSpec(
        name="ScienceWorld",
        jar_path=JAR_PATH,
        working_dir=BASEPATH,
        interface_class="scienceworld.runtime.pythonapi.PythonInterface",
        java_options=JVM_BASE_OPTIONS + STABLE_HASH_OPTIONS,
        # a loaded game holds ~11 MB of heap: 400 MB ran out at 33 live games, so a JVM hosts
        # at most 16 (+ up to 4 idle ones) and further games go to another JVM
        games_per_jvm=16,
    ))


_GOLD: dict[tuple[str, int, str], tuple[str, ...]] = {}
_GOLD_LOCK = threading.Lock()
_TEMPLATES: list[str] = []


def gold_actions(task_name: str, variation: int, simplifications: str = "") -> tuple[str, ...]:
    """The simulator's gold action sequence from the task's start (cached per process).

    Generated on a scratch game object borrowed from the pool, so asking for it never
    disturbs a running episode.
    """
    key = (task_name, variation, simplifications)
    with _GOLD_LOCK:
        cached = _GOLD.get(key)
    if cached is not None:
        return cached
    lease = sciworld_pool().acquire()
    try:
        lease.server.load(task_name, variation, simplifications, True)
        gold = tuple(str(a) for a in lease.server.getGoldActionSequence())
    finally:
        lease.release()
    with _GOLD_LOCK:
        _GOLD[key] = gold
    return gold


def action_templates(server: Any) -> list[str]:
    """The simulator's action templates ("open OBJ", "go OBJ", ...), fetched once."""
    if not _TEMPLATES:
        _TEMPLATES.extend(sorted(str(t) for t in server.getPossibleActions()))
    return list(_TEMPLATES)


def is_unparsed(reply: str) -> bool:
    """True when the simulator did not recognise the input as an action."""
    return reply.strip().startswith(UNPARSED_REPLIES)


def room_in_look(look: str) -> str | None:
    """The room named by a 'look around' reply."""
    match = _ROOM_IN_LOOK.search(look)
    return match.group(1) if match else None


def room_moved_to(reply: str) -> str | None:
    """The room the agent entered, if the reply reports a move."""
    match = _MOVED_TO.match(reply.strip())
    return match.group(1) if match else None


def action_key(action: str) -> str:
    """Comparison key that treats 'go kitchen' and 'go to kitchen' as the same action."""
    words = action.lower().split()
    if len(words) >= 2 and words[0] == "go" and words[1] != "to":
        words.insert(1, "to")
    return " ".join(words)
