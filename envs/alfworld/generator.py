"""Seeded world generation: a room, its receptacles, scattered objects and one ALFWorld goal.

Every world is a pure function of (room, task type, seed), so a task id always names the same
household however the env is reset. Goal objects never start in the target receptacle type,
so no task is solved before the first action.
"""

from __future__ import annotations

import random

from agentrm_ray.envs.alfworld.catalog import (
    APPLIANCE,
    GOAL_TEMPLATES,
    LAMP,
    LAMP_HOLDERS,
    OPENABLE,
    ROOMS,
    TASK_OBJECTS,
    TASK_ROOMS,
    TRANSFORM,
    RoomTemplate,
)
from agentrm_ray.envs.alfworld.state import Goal, Item, Receptacle, World


def generate_world(room: str, task_type: str, seed: int) -> World:
    """The household for one task; raises ValueError for a room the task type cannot use."""
    if room not in TASK_ROOMS.get(task_type, ()):
        raise ValueError(f"task type {task_type!r} cannot be set in a {room!r}")
    rng = random.Random(f"alfworld|{room}|{task_type}|{seed}")
    template = ROOMS[room]
    for _ in range(100):
        world = _attempt(template, task_type, rng)
        if world is not None:
            return world
    raise RuntimeError(f"could not generate a {task_type} world in a {room} (seed {seed})")


def _attempt(template: RoomTemplate, task_type: str, rng: random.Random) -> World | None:
    receptacles = _draw_receptacles(template, rng)
    present = {r.kind for r in receptacles.values()}
    goal = _draw_goal(template, task_type, present, rng)
    if goal is None:
        return None
    placements = _draw_objects(template, goal, present, rng)
    items: dict[str, Item] = {}
    numbers: dict[str, int] = {}
    for kind, allowed in placements:
        numbers[kind] = numbers.get(kind, 0) + 1
        name = f"{kind} {numbers[kind]}"
        spot = rng.choice([r for r in receptacles.values() if r.kind in allowed])
        items[name] = Item(name, kind, spot.name, takeable=kind != LAMP)
        spot.contents.append(name)
    return World(room=template.name, receptacles=receptacles, items=items, goal=goal)


def _draw_receptacles(template: RoomTemplate, rng: random.Random) -> dict[str, Receptacle]:
    receptacles: dict[str, Receptacle] = {}
    for kind, fewest, most in template.receptacles:
        for number in range(1, rng.randint(fewest, most) + 1):
            name = f"{kind} {number}"
            openable = kind in OPENABLE
            receptacles[name] = Receptacle(name, kind, openable, is_open=not openable)
    return receptacles


def _draw_goal(
    template: RoomTemplate, task_type: str, present: set[str], rng: random.Random
) -> Goal | None:
    transform = TRANSFORM[task_type]
    kinds = TASK_OBJECTS.get(task_type, {}).get(template.name, tuple(template.objects))
    options: list[tuple[str, str]] = []
    for kind in kinds:
        starts = [k for k in template.objects[kind] if k in present]
        if task_type == "look_at_obj_in_light":
            if starts and any(h in present for h in LAMP_HOLDERS):
                options.append((kind, LAMP))
            continue
        # a transformed object never goes back into its appliance or into a sink
        barred = {APPLIANCE[transform], "sinkbasin"} if transform else set()
        targets = [k for k in starts if k not in barred]
        # the object must be able to start somewhere other than the target
        options.extend((kind, t) for t in targets if any(s != t for s in starts))
    if not options:
        return None
    kind, target = rng.choice(options)
    text = rng.choice(GOAL_TEMPLATES[task_type]).format(o=kind, r=target)
    return Goal(task_type, kind, target, transform, text)


def _draw_objects(
    template: RoomTemplate, goal: Goal, present: set[str], rng: random.Random
) -> list[tuple[str, tuple[str, ...]]]:
    """(object type, receptacle types it may be put in) for each object, in shuffled order."""
    looking = goal.task_type == "look_at_obj_in_light"
    goal_starts = tuple(k for k in template.objects[goal.object_kind]
                        if k in present and (looking or k != goal.target_kind))
    fewest = 2 if goal.task_type == "pick_two_obj_and_place" else 1
    placements = [(goal.object_kind, goal_starts)] * rng.randint(fewest, fewest + 2)
    others = sorted(k for k in template.objects
                    if k != goal.object_kind and any(s in present for s in template.objects[k]))
    for kind in rng.sample(others, rng.randint(min(6, len(others)), min(10, len(others)))):
        starts = tuple(k for k in template.objects[kind] if k in present)
        placements.extend([(kind, starts)] * rng.randint(1, 2))
    holders = tuple(h for h in LAMP_HOLDERS if h in present)
    if holders and (looking or rng.random() < 0.5):
        placements.append((LAMP, holders))
    rng.shuffle(placements)
    return placements
