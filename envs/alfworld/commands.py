"""ALFWorld's command language: parsing free text into commands, and listing admissible ones.

Object and receptacle names are always "<type> <number>", which makes the grammar
unambiguous ("put mug 1 in/on coffeemachine 1"). Parsing is lenient about case, a trailing
full stop, the word "the" and a few synonyms, but the admissible list uses ALFWorld's exact
spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentrm_ray.envs.alfworld.catalog import APPLIANCE
from agentrm_ray.envs.alfworld.state import World

_NAME = r"([a-z]+ \d+)"
_GRAMMAR: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (verb, re.compile(pattern))
    for verb, pattern in (
        ("go", rf"^(?:go to|goto|walk to|move to) {_NAME}$"),
        ("open", rf"^open {_NAME}$"),
        ("close", rf"^close {_NAME}$"),
        ("take", rf"^(?:take|pick up|get) {_NAME} from {_NAME}$"),
        ("put", rf"^(?:put|move|place) {_NAME} (?:in/on|in|on|into|onto|to|inside) {_NAME}$"),
        ("clean", rf"^clean {_NAME} (?:with|using|in) {_NAME}$"),
        ("heat", rf"^heat {_NAME} (?:with|using|in) {_NAME}$"),
        ("cool", rf"^cool {_NAME} (?:with|using|in) {_NAME}$"),
        ("use", rf"^(?:use|toggle|turn on) {_NAME}$"),
        ("examine", rf"^(?:examine|inspect|look at) {_NAME}$"),
        ("inventory", r"^(?:inventory|inv|i)$"),
        ("look", r"^look(?: around)?$"),
    )
)


@dataclass(frozen=True)
class Command:
    """A parsed command: its verb and the names it mentions, in order."""

    verb: str
    args: tuple[str, ...]


def normalise(text: str) -> str:
    """Lower-case, drop a trailing full stop and the word 'the', squeeze spaces."""
    words = text.lower().strip().rstrip(".!").replace("\t", " ").split()
    return " ".join(w for w in words if w != "the")


def parse(text: str) -> Command | None:
    """The command `text` names, or None if it is not a command of the language."""
    clean = normalise(text)
    for verb, pattern in _GRAMMAR:
        match = pattern.match(clean)
        if match:
            return Command(verb, match.groups())
    return None


def admissible(world: World) -> list[str]:
    """ALFWorld-style admissible commands in the current state."""
    actions = [f"go to {name}" for name in world.receptacles if name != world.location]
    here = world.here()
    held = world.held
    if here is not None:
        if here.openable:
            actions.append(f"{'close' if here.is_open else 'open'} {here.name}")
        if here.accessible:
            for item in world.visible_items():
                if item.takeable and held is None:
                    actions.append(f"take {item.name} from {here.name}")
                elif not item.takeable:
                    actions.append(f"use {item.name}")
            if held is not None:
                actions.append(f"put {held} in/on {here.name}")
        for transform, appliance in APPLIANCE.items():  # the verb is the transform's name
            if held is not None and here.kind == appliance:
                actions.append(f"{transform} {held} with {here.name}")
        actions.append(f"examine {here.name}")
    if held is not None:
        actions.append(f"examine {held}")
    actions.extend(["inventory", "look"])
    return actions
