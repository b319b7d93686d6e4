"""Seeded problem generators for the four domains, in the spirit of the IPC generators.

Each generator takes a size and a `random.Random`, and returns a `Problem` whose goal is not
already true in its initial state. Objects are named as AgentBoard names them (b1, ball1,
rooma, shot1, hub1 ...), so observations look familiar to agents trained on those games.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from itertools import pairwise

from agentrm_ray.envs.pddl.strips import Fact, Problem

Towers = list[list[str]]


def _random_towers(blocks: list[str], rng: random.Random) -> Towers:
    """Blocks in random order, each starting a new tower with probability 0.35."""
    order = list(blocks)
    rng.shuffle(order)
    towers: Towers = [[order[0]]]
    for block in order[1:]:
        if rng.random() < 0.35:
            towers.append([block])
        else:
            towers[-1].append(block)
    return towers


def _tower_facts(towers: Towers) -> set[Fact]:
    facts: set[Fact] = set()
    for tower in towers:  # tower[0] is the bottom block
        facts.add(("ontable", tower[0]))
        facts.add(("clear", tower[-1]))
        facts.update(("on", top, below) for below, top in pairwise(tower))
    return facts


def blocksworld(n_blocks: int, rng: random.Random) -> Problem:
    """Random initial and goal towers; the goal is every (on x y) of the goal towers."""
    blocks = [f"b{i}" for i in range(1, n_blocks + 1)]
    init = _tower_facts(_random_towers(blocks, rng)) | {("handempty",)}
    while True:
        goal = sorted(f for f in _tower_facts(_random_towers(blocks, rng)) if f[0] == "on")
        if goal and not all(f in init for f in goal):
            break
    return Problem(
        name=f"blocksworld-{n_blocks}", domain="blocksworld",
        objects=tuple((b, "block") for b in blocks),
        init=frozenset(init), goal=tuple(goal),
    )


def gripper(n_balls: int, rng: random.Random) -> Problem:
    """Balls scattered over two or three rooms; every ball must end in another room."""
    rooms = ["rooma", "roomb"] + (["roomc"] if rng.random() < 0.4 else [])
    balls = [f"ball{i}" for i in range(1, n_balls + 1)]
    grippers = ["left", "right"]
    start = {b: rng.choice(rooms) for b in balls}
    init: set[Fact] = {("at-robby", rng.choice(rooms))}
    init.update(("at", b, r) for b, r in start.items())
    init.update(("free", g) for g in grippers)
    goal = [("at", b, rng.choice([r for r in rooms if r != start[b]])) for b in balls]
    return Problem(
        name=f"gripper-{n_balls}", domain="gripper",
        objects=tuple([(r, "room") for r in rooms] + [(b, "ball") for b in balls]
                      + [(g, "gripper") for g in grippers]),
        init=frozenset(init), goal=tuple(goal),
    )


def barman(n_cocktails: int, rng: random.Random) -> Problem:
    """One shaker, n+1 shots, 3-4 ingredients; serve n distinct cocktails in chosen shots."""
    n_ingredients = 3 + (1 if n_cocktails > 1 and rng.random() < 0.5 else 0)
    ingredients = [f"ingredient{i}" for i in range(1, n_ingredients + 1)]
    dispensers = [f"dispenser{i}" for i in range(1, n_ingredients + 1)]
    shots = [f"shot{i}" for i in range(1, n_cocktails + 2)]
    cocktails = [f"cocktail{i}" for i in range(1, n_cocktails + 1)]
    levels = ["l0", "l1", "l2"]
    pairs = [(a, b) for a in ingredients for b in ingredients if a < b]
    recipes = rng.sample(pairs, n_cocktails)
    init: set[Fact] = {("ontable", "shaker1"), ("clean", "shaker1"), ("empty", "shaker1"),
                       ("shaker-empty-level", "shaker1", "l0"), ("shaker-level", "shaker1", "l0"),
                       ("handempty", "left"), ("handempty", "right")}
    for shot in shots:
        init.update({("ontable", shot), ("clean", shot), ("empty", shot)})
    init.update(("dispenses", d, i) for d, i in zip(dispensers, ingredients, strict=True))
    init.update(("next", a, b) for a, b in pairwise(levels))
    for cocktail, (first, second) in zip(cocktails, recipes, strict=True):
        if rng.random() < 0.5:
            first, second = second, first
        init.add(("cocktail-part1", cocktail, first))
        init.add(("cocktail-part2", cocktail, second))
    served = rng.sample(shots, n_cocktails)
    goal = [("contains", shot, cocktail) for shot, cocktail in zip(served, cocktails, strict=True)]
    objects = ([("shaker1", "shaker"), ("left", "hand"), ("right", "hand")]
               + [(s, "shot") for s in shots] + [(i, "ingredient") for i in ingredients]
               + [(c, "cocktail") for c in cocktails] + [(d, "dispenser") for d in dispensers]
               + [(lv, "level") for lv in levels])
    return Problem(
        name=f"barman-{n_cocktails}", domain="barman",
        objects=tuple(objects), init=frozenset(init), goal=tuple(goal),
    )


def tyreworld(n_wheels: int, rng: random.Random) -> Problem:
    """Flat wheels w<i> on hub<i>, intact spares r<i> in the boot; swap, inflate, tidy up.

    The seed varies where things start: the boot may be open, a tool may already be in hand,
    a spare may already be inflated. The goal is always the IPC one.
    """
    hubs = [f"hub{i}" for i in range(1, n_wheels + 1)]
    nuts = [f"nut{i}" for i in range(1, n_wheels + 1)]
    flats = [f"w{i}" for i in range(1, n_wheels + 1)]
    spares = [f"r{i}" for i in range(1, n_wheels + 1)]
    tools = [("wrench", "wrench"), ("jack", "jack"), ("pump", "pump")]
    init: set[Fact] = {("unlocked", "boot"),
                       ("open", "boot") if rng.random() < 0.3 else ("closed", "boot")}
    for tool, _ in tools:
        init.add(("have", tool) if rng.random() < 0.2 else ("in", tool, "boot"))
    for hub, nut, flat, spare in zip(hubs, nuts, flats, spares, strict=True):
        init.update({("on", flat, hub), ("on-ground", hub), ("tight", nut, hub),
                     ("fastened", hub), ("in", spare, "boot"), ("intact", spare)})
        init.add(("inflated", spare) if rng.random() < 0.2 else ("not-inflated", spare))
    goal: list[Fact] = []
    for hub, nut, flat, spare in zip(hubs, nuts, flats, spares, strict=True):
        goal += [("on", spare, hub), ("inflated", spare), ("tight", nut, hub), ("in", flat, "boot")]
    goal += [("in", tool, "boot") for tool, _ in tools] + [("closed", "boot")]
    objects = ([("boot", "container")] + tools + [(h, "hub") for h in hubs]
               + [(n, "nut") for n in nuts] + [(w, "wheel") for w in flats + spares])
    return Problem(
        name=f"tyreworld-{n_wheels}", domain="tyreworld",
        objects=tuple(objects), init=frozenset(init), goal=tuple(goal),
    )


GENERATORS: dict[str, Callable[[int, random.Random], Problem]] = {
    "blocksworld": blocksworld,
    "gripper": gripper,
    "barman": barman,
    "tyreworld": tyreworld,
}


def generate(domain: str, size: int, seed: int) -> Problem:
    """The problem of `domain` with `size` (blocks, balls, cocktails or wheels) for `seed`."""
    try:
        generator = GENERATORS[domain]
    except KeyError:
        raise KeyError(f"no generator for PDDL domain {domain!r}") from None
    problem = generator(size, random.Random(seed))
    return Problem(f"{problem.name}-s{seed}", problem.domain, problem.objects, problem.init,
                   problem.goal)
