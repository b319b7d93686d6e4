"""What a TextCraft command does to an inventory: the rules of the game, kept apart from episodes.

A craft command names the output and its ingredients. It is checked against every recipe of
the output: each named ingredient must fill one recipe slot (a tag slot such as 'planks'
accepts the tag's own name, meaning any member, or one member's name), every slot must be
filled, and all slot totals must be the recipe's counts times one whole multiple k. The
craft then uses k times the ingredients and yields k times the recipe's output count.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentrm_ray.envs.textcraft.actions import (
    MAX_COUNT,
    Craft,
    Get,
    ShowInventory,
    parse_command,
)
from agentrm_ray.envs.textcraft.recipes import Ingredient, Recipe, RecipeBook, display_name

Inventory = dict[str, int]


@dataclass(frozen=True)
class Take:
    """Part of a craft's cost: `count` of `item`, or (item None) of any `ingredient` member."""

    count: int
    item: str | None = None
    ingredient: Ingredient | None = None

    def label(self) -> str:
        if self.item is not None:
            return display_name(self.item)
        assert self.ingredient is not None and self.ingredient.tag is not None
        return display_name(self.ingredient.tag)


@dataclass(frozen=True)
class Outcome:
    """The result of one command: the observation, whether the command was valid (and
    parsed at all), and whether it changed the inventory."""

    message: str
    valid: bool = True
    parsed: bool = True
    changed: bool = False


def recipe_command(recipe: Recipe, label: dict[Ingredient, str], multiple: int = 1) -> str:
    """The craft command for `multiple` times `recipe`, naming ingredients by `label`."""
    parts = ", ".join(f"{multiple * n} {label[ing]}" for ing, n in recipe.ingredients)
    return f"craft {multiple * recipe.count} {display_name(recipe.output)} using {parts}"


def lookup(book: RecipeBook, name: str) -> tuple[str | None, str | None]:
    """(item id, tag id) written as `name`; a trailing plural 's' is forgiven."""
    item, tag = book.item_named(name), book.tag_named(name)
    if item is None and tag is None and name.endswith("s"):
        item, tag = book.item_named(name[:-1]), book.tag_named(name[:-1])
    return item, tag


def _fit(book: RecipeBook, recipe: Recipe,
         entries: tuple[tuple[int, str], ...]) -> tuple[int | None, list[Take]] | None:
    """How `entries` fill `recipe`'s slots: (multiple or None if counts are off, takes);
    None when some entry fits no slot or some slot stays empty."""
    totals = [0] * len(recipe.ingredients)
    takes: list[Take] = []
    for count, name in entries:
        item, tag = lookup(book, name)
        slot = None
        for index, (ingredient, _) in enumerate(recipe.ingredients):
            if tag is not None and ingredient.tag == tag:
                slot, take = index, Take(count, ingredient=ingredient)
                break
            if item is not None and item in ingredient.options:
                slot, take = index, Take(count, item=item)
                break
        if slot is None:
            return None
        takes.append(take)
        totals[slot] += count
    if not all(totals):
        return None
    multiples = {total // n if total % n == 0 else -1
                 for total, (_, n) in zip(totals, recipe.ingredients, strict=True)}
    multiple = multiples.pop() if len(multiples) == 1 else -1
    return (multiple if multiple >= 1 else None), takes


def _shortfall(inventory: Inventory, takes: list[Take]) -> tuple[Inventory, str | None]:
    """The inventory after paying `takes` (specific items first, then tag members in order),
    or the first thing that is missing."""
    left = dict(inventory)
    for take in sorted(takes, key=lambda t: t.item is None):
        options = (take.item,) if take.item is not None else take.ingredient.options  # type: ignore[union-attr]
        need = take.count
        for option in options:
            used = min(need, left.get(option, 0))
            if used:
                left[option] -= used
                need -= used
        if need:
            have = take.count - need
            return inventory, f"you need {take.count} {take.label()} but have {have}"
    return {k: v for k, v in left.items() if v > 0}, None


def describe_inventory(inventory: Inventory) -> str:
    if not inventory:
        return "Inventory: You are not carrying anything."
    return "Inventory: " + " ".join(
        f"[{display_name(item)}] ({n})" for item, n in sorted(inventory.items()))


def do_get(book: RecipeBook, inventory: Inventory, command: Get) -> Outcome:
    item, tag = lookup(book, command.name)
    if not 1 <= command.count <= MAX_COUNT:
        return Outcome(f"Invalid action: you can get between 1 and {MAX_COUNT} items at once.",
                       valid=False)
    if item is None and tag is not None:
        members = ", ".join(display_name(m) for m in book.tags[tag])
        return Outcome(f"Invalid action: '{command.name}' is a kind of item (any of {members}); "
                       "get one specific item.", valid=False)
    if item is None:
        return Outcome(f"Invalid action: could not find '{command.name}'; it is not a known item.",
                       valid=False)
    if book.is_craftable(item):
        return Outcome(f"Invalid action: could not find {display_name(item)} to get; "
                       "it has to be crafted.", valid=False)
    inventory[item] = inventory.get(item, 0) + command.count
    return Outcome(f"Got {command.count} {display_name(item)}", changed=True)


def do_craft(book: RecipeBook, inventory: Inventory, command: Craft) -> Outcome:
    output, _ = lookup(book, command.name)
    if output is None:
        return Outcome(f"Invalid action: '{command.name}' is not a known item.", valid=False)
    name = display_name(output)
    if not book.is_craftable(output):
        return Outcome(f"Invalid action: {name} cannot be crafted; it is a base item you can get.",
                       valid=False)
    bad_counts: Recipe | None = None
    for recipe in book.recipes[output]:
        fit = _fit(book, recipe, command.entries)
        if fit is None:
            continue
        multiple, takes = fit
        if multiple is None:
            bad_counts = bad_counts or recipe
            continue
        made = multiple * recipe.count
        if command.count is not None and command.count != made:
            return Outcome(f"Invalid action: those ingredients craft {made} {name}, "
                           f"not {command.count}.", valid=False)
        left, missing = _shortfall(inventory, takes)
        if missing is not None:
            return Outcome(f"Could not find enough items to craft {name}: {missing}.")
        inventory.clear()
        inventory.update(left)
        inventory[output] = inventory.get(output, 0) + made
        return Outcome(f"Crafted {made} {name}", changed=True)
    if bad_counts is not None:
        return Outcome(f"Invalid action: the ingredient counts do not fit the recipe of {name}; "
                       "use the counts of its crafting command or one whole multiple of all of "
                       "them.", valid=False)
    return Outcome(f"Invalid action: no recipe crafts {name} from those ingredients; check the "
                   "crafting commands for its exact ingredients.", valid=False)


def apply_command(book: RecipeBook, inventory: Inventory, action: str) -> Outcome:
    """Perform `action` on `inventory` (changed in place) and say what happened."""
    command = parse_command(action)
    if isinstance(command, ShowInventory):
        return Outcome(describe_inventory(inventory))
    if isinstance(command, Get):
        return do_get(book, inventory, command)
    if isinstance(command, Craft):
        return do_craft(book, inventory, command)
    return Outcome("", valid=False, parsed=False)
