"""The expert: the next command towards the goal, planned afresh from the current state.

It uses the simulator's full state (like ALFWorld's PDDL expert), so it walks straight to an
object's receptacle, opens it if closed, takes the object, transforms it at the appliance,
and puts it into (or carries it under the lamp at) the target. Because every call replans
from the state, it recovers after any detour a policy took, e.g. an object left in hand.
"""

from __future__ import annotations

from agentrm_ray.envs.alfworld.catalog import APPLIANCE
from agentrm_ray.envs.alfworld.goals import placed_counts
from agentrm_ray.envs.alfworld.state import Item, World


def next_action(world: World) -> str:
    """The expert's next command (the goal must not hold yet)."""
    goal = world.goal
    held = world.items[world.held] if world.held is not None else None
    if held is not None and held.kind != goal.object_kind:
        return _drop(world, held)
    if held is None:
        item = _object_to_fetch(world)
        assert item.location is not None
        return _reach(world, item.location, f"take {item.name} from {item.location}")
    if goal.transform is not None and not held.has_state(goal.transform):
        appliance = world.receptacles_of(APPLIANCE[goal.transform])[0].name
        return _reach(world, appliance, f"{goal.transform} {held.name} with {appliance}",
                      must_open=False)
    if goal.task_type == "look_at_obj_in_light":
        lamp = next(i for i in world.items.values() if not i.takeable)
        assert lamp.location is not None
        return _reach(world, lamp.location, f"use {lamp.name}")
    target = _target(world)
    return _reach(world, target, f"put {held.name} in/on {target}")


def _reach(world: World, recep: str, action: str, must_open: bool = True) -> str:
    """Walk to `recep`, open it if the action needs it open, then do `action`."""
    if world.location != recep:
        return f"go to {recep}"
    if must_open and not world.receptacles[recep].accessible:
        return f"open {recep}"
    return action


def _steps_to_reach(world: World, recep: str) -> int:
    return (world.location != recep) + (not world.receptacles[recep].accessible)


def _target(world: World) -> str:
    """The target receptacle: the one already holding most goal objects, else the nearest."""
    order = list(world.receptacles)
    counts = placed_counts(world)
    return min(counts, key=lambda name: (-counts[name], _steps_to_reach(world, name),
                                         order.index(name)))


def _object_to_fetch(world: World) -> Item:
    """The cheapest goal object to bring, skipping ones already in place."""
    goal = world.goal
    order = list(world.receptacles)
    done_spot = _target(world) if goal.task_type == "pick_two_obj_and_place" else None
    candidates = [i for i in world.items.values()
                  if i.kind == goal.object_kind and i.location not in (None, done_spot)]

    def cost(item: Item) -> tuple[int, int, str]:
        assert item.location is not None
        steps = _steps_to_reach(world, item.location)
        if goal.transform is not None and not item.has_state(goal.transform):
            steps += 2
        return steps, order.index(item.location), item.name

    return min(candidates, key=cost)


def _drop(world: World, held: Item) -> str:
    """Put down an object the goal does not need, here if possible."""
    spot = world.location
    if spot is None:
        spot = next(r.name for r in world.receptacles.values() if r.accessible)
    return _reach(world, spot, f"put {held.name} in/on {spot}")
