"""What each command does to the world, and why an impossible one does nothing.

`execute` either changes the world and returns ALFWorld's success text, or leaves it
untouched and returns the reason the command is impossible here (the env turns that into
"Nothing happens. Invalid action: ..."). The agent holds at most one object, as in ALFWorld;
closed receptacles must be opened before anything is taken from or put into them;
appliances work on the object in hand without being opened, as in ALFWorld.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from agentrm_ray.envs.alfworld.catalog import APPLIANCE
from agentrm_ray.envs.alfworld.commands import Command
from agentrm_ray.envs.alfworld.state import Item, Receptacle, World
from agentrm_ray.envs.alfworld.text import item_view, listing, overview, receptacle_view


@dataclass(frozen=True)
class Outcome:
    """ALFWorld's reply to a command that happened, or the reason it could not."""

    text: str
    valid: bool


def _fail(reason: str) -> Outcome:
    return Outcome(reason, valid=False)


def execute(world: World, command: Command) -> Outcome:
    """Apply `command` to `world` in place (only when it is possible)."""
    handler = _HANDLERS[command.verb]
    outcome = handler(world, *command.args)
    if outcome.valid:
        _note_sightings(world)
    return outcome


def _receptacle(world: World, name: str) -> Receptacle | str:
    """The receptacle called `name`, or the reason there is none."""
    if name in world.receptacles:
        return world.receptacles[name]
    if name in world.items:
        return f"the {name} is an object, not a receptacle"
    return f"there is no {name} in this room"


def _at(world: World, name: str) -> Receptacle | str:
    """The receptacle `name` if the agent stands at it, else the reason it cannot act on it."""
    recep = _receptacle(world, name)
    if isinstance(recep, str):
        return recep
    if world.location != name:
        return f"you are not at the {name}; go to it first"
    return recep


def _go(world: World, name: str) -> Outcome:
    recep = _receptacle(world, name)
    if isinstance(recep, str):
        return _fail(recep)
    if world.location == name:
        return _fail(f"you are already at the {name}")
    world.location = name
    return Outcome(f"You arrive at {name}. {receptacle_view(recep)}", True)


def _open(world: World, name: str) -> Outcome:
    recep = _at(world, name)
    if isinstance(recep, str):
        return _fail(recep)
    if not recep.openable:
        return _fail(f"the {name} cannot be opened")
    if recep.is_open:
        return _fail(f"the {name} is already open")
    recep.is_open = True
    return Outcome(f"You open the {name}. {receptacle_view(recep)}", True)


def _close(world: World, name: str) -> Outcome:
    recep = _at(world, name)
    if isinstance(recep, str):
        return _fail(recep)
    if not recep.openable:
        return _fail(f"the {name} cannot be closed")
    if not recep.is_open:
        return _fail(f"the {name} is already closed")
    recep.is_open = False
    return Outcome(f"You close the {name}.", True)


def _take(world: World, obj: str, source: str) -> Outcome:
    recep = _at(world, source)
    if isinstance(recep, str):
        return _fail(recep)
    if world.held is not None:
        return _fail(f"you are already carrying the {world.held}; put it somewhere first")
    if not recep.accessible:
        return _fail(f"the {source} is closed; open it first")
    if obj not in recep.contents:
        return _fail(f"there is no {obj} in/on the {source}")
    item = world.items[obj]
    if not item.takeable:
        return _fail(f"the {obj} cannot be picked up")
    recep.contents.remove(obj)
    item.location = None
    world.held = obj
    return Outcome(f"You pick up the {obj} from the {source}.", True)


def _put(world: World, obj: str, target: str) -> Outcome:
    if world.held != obj:
        return _fail(f"you are not carrying the {obj}")
    recep = _at(world, target)
    if isinstance(recep, str):
        return _fail(recep)
    if not recep.accessible:
        return _fail(f"the {target} is closed; open it first")
    recep.contents.append(obj)
    world.items[obj].location = target
    world.held = None
    return Outcome(f"You put the {obj} in/on the {target}.", True)


def _transform(kind: str) -> Callable[[World, str, str], Outcome]:
    """The handler of 'clean/heat/cool <obj> with <appliance>' for one transform."""
    appliance_kind = APPLIANCE[kind]

    def handler(world: World, obj: str, appliance: str) -> Outcome:
        if world.held != obj:
            return _fail(f"you are not carrying the {obj}")
        recep = _at(world, appliance)
        if isinstance(recep, str):
            return _fail(recep)
        if recep.kind != appliance_kind:
            return _fail(f"you can only {kind} things with a {appliance_kind}")
        item = world.items[obj]
        if kind == "clean":
            item.clean = True
        elif kind == "heat":
            item.hot, item.cool = True, False
        else:
            item.cool, item.hot = True, False
        return Outcome(f"You {kind} the {obj} using the {appliance}.", True)

    return handler


def _use(world: World, name: str) -> Outcome:
    item = world.items.get(name)
    if item is None:
        return _fail(f"there is no {name} in this room")
    if item.takeable:
        return _fail(f"the {name} cannot be used")
    if item.location != world.location or not world.receptacles[item.location].accessible:
        return _fail(f"the {name} is not here")
    item.switched_on = True
    return Outcome(f"You turn on the {name}.", True)


def _examine(world: World, name: str) -> Outcome:
    if name in world.receptacles:
        recep = _at(world, name)
        if isinstance(recep, str):
            return _fail(recep)
        return Outcome(receptacle_view(recep), True)
    item: Item | None = world.items.get(name)
    if item is None:
        return _fail(f"there is no {name} in this room")
    if world.held != name and item not in world.visible_items():
        return _fail(f"you cannot see the {name} from here")
    return Outcome(item_view(item), True)


def _inventory(world: World) -> Outcome:
    if world.held is None:
        return Outcome("You are not carrying anything.", True)
    return Outcome(f"You are carrying: {listing([world.held])}.", True)


def _look(world: World) -> Outcome:
    if world.location is None:
        return Outcome(overview(world), True)
    return Outcome(f"You are facing the {world.location}. Next to it, you see nothing.", True)


_HANDLERS = {
    "go": _go,
    "open": _open,
    "close": _close,
    "take": _take,
    "put": _put,
    "clean": _transform("clean"),
    "heat": _transform("heat"),
    "cool": _transform("cool"),
    "use": _use,
    "examine": _examine,
    "inventory": _inventory,
    "look": _look,
}


def _note_sightings(world: World) -> None:
    """Remember once a goal object has been seen or held (a progress sub-goal)."""
    kind = world.goal.object_kind
    if any(item.kind == kind for item in world.visible_items()):
        world.found_goal_object = True
    if world.held is not None and world.items[world.held].kind == kind:
        world.found_goal_object = True
