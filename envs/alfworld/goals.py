"""When an ALFWorld goal holds, and how much of it is done (the progress signal).

The goal is a condition on the state, checked after every action, as in ALFWorld: any
object of the asked type counts, and any receptacle of the asked type. Progress counts
ALFWorld-style sub-goals (object found, picked up, transformed, placed; for two objects each
placement), so a reward model sees partial credit before success.
"""

from __future__ import annotations

from agentrm_ray.envs.alfworld.state import Item, World


def fits(world: World, item: Item) -> bool:
    """Whether `item` is of the goal's type and (for transform tasks) transformed."""
    goal = world.goal
    if item.kind != goal.object_kind:
        return False
    return goal.transform is None or item.has_state(goal.transform)


def placed_counts(world: World) -> dict[str, int]:
    """For each target-type receptacle, how many fitting objects it holds."""
    return {
        recep.name: sum(fits(world, world.items[name]) for name in recep.contents)
        for recep in world.receptacles_of(world.goal.target_kind)
    }


def lamp_on_here(world: World) -> bool:
    here = world.here()
    return here is not None and here.accessible and any(
        not world.items[name].takeable and world.items[name].switched_on
        for name in here.contents
    )


def holding_goal_object(world: World) -> bool:
    return world.held is not None and world.items[world.held].kind == world.goal.object_kind


def satisfied(world: World) -> bool:
    """ALFWorld's goal condition for the world's task."""
    task_type = world.goal.task_type
    if task_type == "look_at_obj_in_light":
        return holding_goal_object(world) and lamp_on_here(world)
    needed = 2 if task_type == "pick_two_obj_and_place" else 1
    return max(placed_counts(world).values(), default=0) >= needed


def subgoals(world: World) -> list[bool]:
    """The task type's sub-goals, each true if reached (or made moot by a later one)."""
    goal = world.goal
    found = world.found_goal_object
    holding = holding_goal_object(world)
    if goal.task_type == "look_at_obj_in_light":
        lamp_on = any(not i.takeable and i.switched_on for i in world.items.values())
        return [found, holding, lamp_on, satisfied(world)]
    placed = max(placed_counts(world).values(), default=0)
    if goal.task_type == "pick_two_obj_and_place":
        return [found, holding or placed >= 1, placed >= 1, placed >= 2]
    if goal.transform is not None:
        transformed = any(fits(world, i) for i in world.items.values())
        return [found, holding or transformed, transformed, placed >= 1]
    return [found, holding or placed >= 1, placed >= 1]


def progress(world: World) -> float:
    """Fraction of sub-goals reached, 1.0 exactly when the goal holds."""
    if satisfied(world):
        return 1.0
    marks = subgoals(world)
    return sum(marks) / len(marks)
