"""The BabyAI action language: six primitives and AgentBoard-style macros, parsed from text.

Primitives map one-to-one onto minigrid actions. Macros name a visible object by colour, kind
and number ("red ball 1", numbered as the observation lists them) and are executed by the env
as several primitive steps:

    go to <color> <kind> <n>                  walk next to the object and face it
    pick up <color> <kind> <n>                go to it, then pick it up
    go through <color> door <n>               go to an open door and walk through it
    toggle and go through <color> door <n>    go to a closed door, open it, walk through
    check available actions                   list the actions valid now (no move)

A missing number means 1 (the nearest such object).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRIMITIVES: dict[str, int] = {
    "turn left": 0,
    "turn right": 1,
    "move forward": 2,
    "pick up": 3,
    "drop": 4,
    "toggle": 5,
}
_ALIASES = {
    "left": "turn left",
    "right": "turn right",
    "forward": "move forward",
    "go forward": "move forward",
    "move ahead": "move forward",
    "pickup": "pick up",
    "put down": "drop",
}
MACROS = ("go to", "pick up", "go through", "toggle and go through")
CHECK = "check available actions"
COLORS = ("red", "green", "blue", "purple", "yellow", "grey")
KINDS = ("ball", "box", "key", "door")

_MACRO = re.compile(
    r"^(go to|pick up|pickup|go through|toggle and go through) "
    r"(?:the )?([a-z]+) ([a-z]+)(?: (\d+))?$"
)


@dataclass(frozen=True)
class Command:
    """A parsed action: a primitive (`primitive` set), a macro (`macro` set), or the check."""

    text: str
    primitive: int | None = None
    macro: str | None = None
    color: str = ""
    kind: str = ""
    number: int = 0
    check: bool = False

    @property
    def target(self) -> str:
        return f"{self.color} {self.kind} {self.number}"


def normalise(action: str) -> str:
    text = action.lower().replace("_", " ").replace("-", " ")
    text = " ".join(text.split())
    return text.rstrip(".!").strip()


def parse_command(action: str) -> Command | None:
    """The command an action text names, or None if it is not in the action language."""
    text = normalise(action)
    text = _ALIASES.get(text, text)
    if text in PRIMITIVES:
        return Command(text, primitive=PRIMITIVES[text])
    if text in (CHECK, "check valid actions"):
        return Command(CHECK, check=True)
    match = _MACRO.match(text)
    if match is None:
        return None
    verb, color, kind, number = match.groups()
    if color not in COLORS or kind not in KINDS:
        return None
    verb = "pick up" if verb == "pickup" else verb
    return Command(text, macro=verb, color=color, kind=kind, number=int(number or 1))
