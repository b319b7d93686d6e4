"""English for the four domains: how facts read, how actions are written and parsed back.

Each domain has a `Lexicon`: a sentence template per predicate (predicates without one are
bookkeeping the agent need not see, such as barman's shaker levels) and a command template per
action schema in AgentBoard's style ("unstack b1 from b2"). A command template may leave out
parameters that the state determines (the free hand, the shaker's level), so several ground
actions can share one command; at most one of them is applicable at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agentrm_ray.envs.pddl.strips import Fact, GroundAction


@dataclass(frozen=True)
class Lexicon:
    """Fact sentences ({0}, {1} = arguments) and action commands ({param} = parameter)."""

    facts: dict[str, str]
    actions: dict[str, str]
    intro: str

    def fact(self, fact: Fact) -> str | None:
        template = self.facts.get(fact[0])
        return None if template is None else template.format(*fact[1:])

    def describe(self, facts: list[Fact]) -> list[str]:
        """Sentences for the visible facts, in predicate order then argument order."""
        order = {name: i for i, name in enumerate(self.facts)}
        visible = sorted((f for f in facts if f[0] in order), key=lambda f: (order[f[0]], f[1:]))
        return [self.facts[f[0]].format(*f[1:]) for f in visible]

    def command(self, action: GroundAction, parameters: tuple[tuple[str, str], ...]) -> str:
        template = self.actions[action.name]
        binding = {name.lstrip("?").replace("-", "_"): arg
                   for (name, _), arg in zip(parameters, action.args, strict=True)}
        return template.format(**binding)


def normalize(text: str) -> str:
    """The key an action is looked up by: case, spacing, quotes, brackets, a final period,
    hyphens/underscores and the word 'the' do not matter."""
    text = text.strip().lower().strip("`'\"")
    text = text.rstrip(".!")
    text = re.sub(r"[()\[\],]", " ", text)
    text = re.sub(r"[-_]", " ", text)
    words = [w for w in text.split() if w != "the"]
    return " ".join(words)


BLOCKSWORLD = Lexicon(
    facts={
        "on": "{0} is on {1}",
        "ontable": "{0} is on the table",
        "clear": "{0} is clear",
        "holding": "you are holding {0}",
        "handempty": "your hand is empty",
    },
    actions={
        "pick-up": "pick up {b}",
        "put-down": "put down {b}",
        "stack": "stack {b} on {target}",
        "unstack": "unstack {b} from {from}",
    },
    intro=("You control a robot hand that moves blocks one at a time. With an empty hand you "
           "can pick up a clear block from the table or unstack a clear block from the block "
           "below it; the held block can be put down on the table or stacked on a clear block."),
)

GRIPPER = Lexicon(
    facts={
        "at-robby": "the robot is in {0}",
        "at": "{0} is in {1}",
        "carry": "the {1} gripper is carrying {0}",
        "free": "the {0} gripper is free",
    },
    actions={
        "move": "move from {from} to {to}",
        "pick": "pick {b} in {r} with {g}",
        "drop": "drop {b} in {r} with {g}",
    },
    intro=("You control a robot with a left and a right gripper that carries balls between "
           "rooms. Each free gripper can pick one ball in the room where the robot is, and "
           "drop it there later."),
)

BARMAN = Lexicon(
    facts={
        "cocktail-part1": "{0} needs {1} as its first ingredient",
        "cocktail-part2": "{0} needs {1} as its second ingredient",
        "dispenses": "{0} dispenses {1}",
        "holding": "the {0} hand is holding {1}",
        "handempty": "the {0} hand is empty",
        "ontable": "{0} is on the table",
        "contains": "{0} contains {1}",
        "empty": "{0} is empty",
        "clean": "{0} is clean",
        "used": "{0} has been used for {1}",
        "unshaked": "{0} has not been shaken",
        "shaked": "{0} has been shaken",
        "shaker-level": "{0} is filled to level {1}",
    },
    actions={
        "grasp": "grasp {c} with {h} hand",
        "leave": "put down {c} with {h} hand",
        "fill-shot": "fill {s} with {i} using {h1} hand",
        "refill-shot": "refill {s} with {i} using {h1} hand",
        "empty-shot": "empty {s} using {h} hand",
        "clean-shot": "clean {s} using {h1} hand",
        "pour-shot-to-clean-shaker": "pour {s} into {k} using {h1} hand",
        "pour-shot-to-used-shaker": "pour {s} into {k} using {h1} hand",
        "empty-shaker": "empty {k} using {h} hand",
        "clean-shaker": "clean {k} using {h1} hand",
        "shake": "shake {c} in {k} using {h1} hand",
        "pour-shaker-to-shot": "pour {b} from {k} into {s} using {h} hand",
    },
    intro=("You are a robot bartender with a left and a right hand. Containers (the shaker "
           "and the shots) must be grasped before use. A shot is filled at the dispenser of an "
           "ingredient while the other hand is empty; filling needs a clean shot, refilling a "
           "shot used for the same ingredient. Pouring a shot into the shaker empties the "
           "shot; the shaker takes two ingredients, which are shaken (other hand empty) into "
           "the cocktail they make. A cocktail is poured from the shaken shaker into a clean, "
           "empty shot. Emptied shots and shakers can be cleaned while the other hand is "
           "empty."),
)

TYREWORLD = Lexicon(
    facts={
        "have": "you have {0}",
        "in": "{0} is in {1}",
        "open": "{0} is open",
        "closed": "{0} is closed",
        "unlocked": "{0} is unlocked",
        "on": "{0} is on {1}",
        "intact": "{0} is intact",
        "inflated": "{0} is inflated",
        "not-inflated": "{0} is not inflated",
        "tight": "{0} is tight on {1}",
        "loose": "{0} is loose on {1}",
        "fastened": "{0} is fastened",
        "unfastened": "{0} is unfastened",
        "on-ground": "{0} is on the ground",
        "not-on-ground": "{0} is jacked up",
        "free": "{0} has no wheel on it",
    },
    actions={
        "open": "open {c}",
        "close": "close {c}",
        "fetch": "fetch {x} from {c}",
        "put-away": "put away {x} in {c}",
        "loosen": "loosen {n} on {h}",
        "tighten": "tighten {n} on {h}",
        "jack-up": "jack up {h}",
        "jack-down": "jack down {h}",
        "undo": "undo {n} on {h}",
        "do-up": "do up {n} on {h}",
        "remove-wheel": "remove {w} from {h}",
        "put-on-wheel": "put {w} on {h}",
        "inflate": "inflate {w}",
    },
    intro=("You must change flat tyres: fetch the tools and the intact spare wheels from the "
           "open boot, swap the wheels, inflate the spares and put everything back. Nuts are "
           "loosened or tightened with the wrench while the hub is on the ground; a hub is "
           "jacked up with the jack (jacking down gives the jack back); on a jacked-up hub you "
           "undo the loose nut, remove the wheel, put another on and do up the nut."),
)

LEXICONS: dict[str, Lexicon] = {
    "blocksworld": BLOCKSWORLD,
    "gripper": GRIPPER,
    "barman": BARMAN,
    "tyreworld": TYREWORLD,
}


def join_sentences(sentences: list[str]) -> str:
    """'a, b and c.' style list; an empty list reads as 'nothing'."""
    if not sentences:
        return "nothing."
    return ", ".join(sentences) + "."
