"""The TextCraft expert: a recipe-tree planner replanned from the current inventory.

Planning is a bill of materials. Walking the task's tree parents-first, each node's gross
need is met first from the inventory (for a tag slot, from any of its members), and the rest
is fetched (base item) or crafted in whole multiples of the recipe, which adds the
ingredients' needs to the nodes below. The plan is then: fetch every missing base item, and
craft the intermediates children-first, each in a single command of the right multiple.
Only the plan's first action is returned, so anything the agent did before is accounted for.
"""

from __future__ import annotations

import math
from collections import defaultdict

from agentrm_ray.envs.textcraft.crafting import Inventory, apply_command
from agentrm_ray.envs.textcraft.recipes import Ingredient, RecipeBook, display_name
from agentrm_ray.envs.textcraft.task_setup import TaskSetup, node_of


def _plan(setup: TaskSetup, inventory: Inventory, reserved: dict[str, int] | None
          ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """One bill-of-materials pass. A slot kind takes its preferred item first, then other
    members, but never the part of them `reserved` for the items' own nodes (None: no
    other members at all). Returns (gets, crafts, gross need of each item node)."""
    available = dict(inventory)
    need: dict[object, int] = defaultdict(int)
    need[setup.target] = 1
    gets: dict[str, int] = {}
    crafts: dict[str, int] = {}
    for node in setup.order:
        wanted = need.get(node, 0)
        if wanted <= 0:
            continue
        if isinstance(node, Ingredient):
            preferred = setup.choice[node]
            sources = [(preferred, available.get(preferred, 0))]
            if reserved is not None:
                sources += [(m, available.get(m, 0) - reserved.get(m, 0))
                            for m in node.options if m != preferred]
        else:
            sources = [(node, available.get(node, 0))]
        for member, spare in sources:
            used = max(0, min(wanted, spare))
            available[member] = available.get(member, 0) - used
            wanted -= used
        if not wanted:
            continue
        if isinstance(node, Ingredient):
            need[setup.choice[node]] += wanted
        elif node in setup.recipe_of:
            recipe = setup.recipe_of[node]
            crafts[node] = math.ceil(wanted / recipe.count)
            for ingredient, n in recipe.ingredients:
                need[node_of(ingredient)] += crafts[node] * n
        else:
            gets[node] = wanted
    gross = {n: v for n, v in need.items() if isinstance(n, str)}
    return gets, crafts, gross


def bill_of_materials(setup: TaskSetup, inventory: Inventory) -> tuple[dict[str, int],
                                                                        dict[str, int]]:
    """(base item -> amount to get, craftable item -> recipe multiple to craft) for the target.

    Two passes: the first lets slot kinds use only their preferred item, which tells how much
    of every item the tree needs by name; the second lets slot kinds also use what is left
    of other members, so nothing the agent already holds is fetched or crafted again."""
    _, _, gross = _plan(setup, inventory, None)
    gets, crafts, _ = _plan(setup, inventory, gross)
    return gets, crafts


def _spend(ingredient: Ingredient, amount: int, preferred: str | None, inventory: Inventory,
           keep: dict[str, int]) -> list[tuple[str, int]]:
    """Which members pay `amount` of a multi-item slot: the preferred one, then the others'
    spare (beyond `keep`), then anything held."""
    order = [m for m in ingredient.options if m == preferred]
    order += [m for m in ingredient.options if m != preferred]
    paid: list[tuple[str, int]] = []
    spare = {m: max(0, inventory.get(m, 0) - (0 if m == preferred else keep.get(m, 0)))
             for m in order}
    for pool in (spare, {m: inventory.get(m, 0) - spare[m] for m in order}):
        for member in order:
            used = min(amount, pool[member])
            if used:
                paid.append((member, used))
                amount -= used
    if amount:
        paid.append((preferred or ingredient.options[0], amount))
    merged: dict[str, int] = {}
    for member, used in paid:
        merged[member] = merged.get(member, 0) + used
    return list(merged.items())


def _craft_text(setup: TaskSetup, item: str, multiple: int, inventory: Inventory,
                keep: dict[str, int]) -> str:
    """The craft command for `multiple` times the tree recipe of `item`; multi-item slots
    name the members to use, so the craft spends exactly what the plan meant."""
    recipe = setup.recipe_of[item]
    parts = []
    for ingredient, n in recipe.ingredients:
        amount = multiple * n
        if ingredient.is_single:
            parts.append(f"{amount} {setup.label[ingredient]}")
            continue
        for member, used in _spend(ingredient, amount, setup.choice.get(ingredient),
                                   inventory, keep):
            parts.append(f"{used} {display_name(member)}")
    made = multiple * recipe.count
    return f"craft {made} {display_name(item)} using {', '.join(parts)}"


def next_action(setup: TaskSetup, inventory: Inventory) -> str:
    """The expert's next command from `inventory`."""
    _, _, gross = _plan(setup, inventory, None)
    gets, crafts, _ = _plan(setup, inventory, gross)
    bottom_up = [n for n in reversed(setup.order) if isinstance(n, str)]
    for item in bottom_up:
        if item in gets:
            return f"get {gets[item]} {display_name(item)}"
    for item in bottom_up:
        if item in crafts:
            return _craft_text(setup, item, crafts[item], inventory, gross)
    return "inventory"  # only reached when the target is already held


def solve(book: RecipeBook, setup: TaskSetup, inventory: Inventory | None = None,
          limit: int = 200) -> list[str]:
    """The expert's whole action sequence from `inventory` (empty by default) to the target."""
    inventory = dict(inventory or {})
    actions: list[str] = []
    while inventory.get(setup.target, 0) < 1:
        if len(actions) >= limit:
            raise RuntimeError(f"no plan for {setup.target} within {limit} actions")
        action = next_action(setup, inventory)
        outcome = apply_command(book, inventory, action)
        if not outcome.changed:
            raise RuntimeError(f"expert action {action!r} failed: {outcome.message}")
        actions.append(action)
    return actions
