"""ALFWorld's observation wording, in one place: lists, receptacle views, the room overview.

The phrasing ("a apple 1", "On the countertop 1, you see ...", "The cabinet 1 is closed.")
deliberately copies ALFWorld's, including its article quirks, so that prompts and few-shot
examples written for ALFWorld read naturally against this simulator.
"""

from __future__ import annotations

from agentrm_ray.envs.alfworld.state import Item, Receptacle, World


def listing(names: list[str]) -> str:
    """'a mug 1', 'a mug 1, and a cup 2', ... or 'nothing' (ALFWorld always writes 'a')."""
    if not names:
        return "nothing"
    parts = [f"a {name}" for name in names]
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])}, and {parts[-1]}"


def receptacle_view(recep: Receptacle) -> str:
    """What the agent sees standing at a receptacle."""
    if recep.openable:
        if not recep.is_open:
            return f"The {recep.name} is closed."
        return f"The {recep.name} is open. In it, you see {listing(recep.contents)}."
    return f"On the {recep.name}, you see {listing(recep.contents)}."


def overview(world: World) -> str:
    """The view from the middle of the room: every receptacle, none of the contents."""
    return (
        "You are in the middle of a room. Looking quickly around you, you see "
        f"{listing(list(world.receptacles))}."
    )


def item_view(item: Item) -> str:
    """The answer to 'examine <object>'."""
    if not item.takeable:
        return f"The {item.name} is {'on' if item.switched_on else 'off'}."
    states = [word for word, flag in (("clean", item.clean), ("hot", item.hot),
                                      ("cool", item.cool)) if flag]
    if not states:
        return f"There's nothing special about {item.name}."
    return f"This is a {' and '.join(states)} {item.name}."


def first_observation(world: World) -> str:
    return f"{overview(world)}\n\nYour task is to: {world.goal.text}"
