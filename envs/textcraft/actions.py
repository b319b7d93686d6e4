"""Reading TextCraft commands: 'get <n> <item>', 'craft <n> <item> using <n> <x>, ...', 'inventory'.

Names are normalised the forgiving way an LLM writes them: case, underscores, a
'minecraft:' prefix and the square brackets of the inventory listing are all ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_COUNT = 999

_GET = re.compile(r"^(?:get|fetch)\s+(?:(\d+)\s+)?(.+)$")
_CRAFT = re.compile(r"^craft\s+(?:(\d+)\s+)?(.+?)\s+using\s+(.+)$")
_ENTRY = re.compile(r"^(?:(\d+)\s+)?(.+)$")
_INVENTORY = ("inventory", "inv", "check inventory", "show inventory", "look at inventory")


def normalise_name(text: str) -> str:
    """'Minecraft:Oak_Planks' / '[oak planks]' -> 'oak planks'."""
    text = text.lower().replace("minecraft:", "").replace("_", " ")
    text = text.replace("[", " ").replace("]", " ")
    return " ".join(text.split())


@dataclass(frozen=True)
class Get:
    count: int
    name: str


@dataclass(frozen=True)
class Craft:
    count: int | None
    name: str
    entries: tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class ShowInventory:
    pass


Command = Get | Craft | ShowInventory


def _count(text: str | None) -> int:
    return 1 if text is None else min(int(text), MAX_COUNT + 1)


def parse_command(action: str) -> Command | None:
    """The command an action text spells, or None when it is not a TextCraft command."""
    text = " ".join(action.strip().rstrip(".").split())
    lowered = text.lower()
    if lowered in _INVENTORY:
        return ShowInventory()
    match = _GET.match(lowered)
    if match and " using " not in lowered:
        return Get(_count(match.group(1)), normalise_name(match.group(2)))
    match = _CRAFT.match(lowered)
    if match:
        entries = []
        for part in match.group(3).split(","):
            entry = _ENTRY.match(part.strip())
            if not entry or not normalise_name(entry.group(2)):
                return None
            entries.append((_count(entry.group(1)), normalise_name(entry.group(2))))
        count = None if match.group(1) is None else _count(match.group(1))
        return Craft(count, normalise_name(match.group(2)), tuple(entries))
    return None
