"""One TextCraft task: the target's crafting tree, the commands listed, and the text shown.

The tree follows each item's shallowest recipe. Where a recipe slot accepts several items
(a tag such as 'planks', or alternatives such as coal/charcoal) the task prefers one of the
shallowest candidates, chosen with the task's seed, so tasks for the same target differ in
wood type and the like. The listing shows the tree's recipes plus a few seeded distractors:
other recipes that use an item of the tree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from agentrm_ray.envs.textcraft.crafting import recipe_command
from agentrm_ray.envs.textcraft.recipes import Ingredient, Recipe, RecipeBook, display_name

Node = str | Ingredient  # an item id, or a multi-item slot kind (tag / alternatives)
MAX_DISTRACTORS = 6


def node_of(ingredient: Ingredient) -> Node:
    return ingredient.options[0] if ingredient.is_single else ingredient


@dataclass(frozen=True)
class TaskSetup:
    """Everything fixed about a task before the first action."""

    target: str
    depth: int
    order: tuple[Node, ...]  # the tree's nodes, every parent before its children
    recipe_of: dict[str, Recipe]  # craftable tree item -> the recipe the tree uses
    choice: dict[Ingredient, str]  # multi-item slot -> the item the task prefers
    label: dict[Ingredient, str]  # how each ingredient is written in the listed commands
    commands: tuple[str, ...]  # listed crafting commands: tree recipes, then distractors
    tags_shown: tuple[str, ...]  # tags that appear in the listed commands

    @property
    def progress_nodes(self) -> tuple[Node, ...]:
        """The tree's nodes below the target (base items and intermediates)."""
        return tuple(n for n in self.order if n != self.target)

    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self.order if isinstance(n, str) and n not in self.recipe_of)


def _prefer(book: RecipeBook, ingredient: Ingredient, rng: random.Random | None) -> str:
    best = book.ingredient_depth(ingredient)
    candidates = sorted(o for o in ingredient.options if book.depth.get(o, 0) == best)
    return rng.choice(candidates) if rng is not None else candidates[0]


def _label(ingredient: Ingredient, choice: dict[Ingredient, str]) -> str:
    if ingredient.tag is not None:
        return display_name(ingredient.tag)
    return display_name(choice.get(ingredient, ingredient.options[0]))


def build_setup(book: RecipeBook, target: str, seed: int) -> TaskSetup:
    """The task 'craft `target`' with its seeded choices and listing."""
    rng = random.Random(seed)
    choice: dict[Ingredient, str] = {}
    recipe_of: dict[str, Recipe] = {}
    children: dict[Node, tuple[Node, ...]] = {}

    def visit(node: Node) -> None:
        if node in children:
            return
        if isinstance(node, Ingredient):
            choice.setdefault(node, _prefer(book, node, rng))
            children[node] = (choice[node],)
        elif book.is_craftable(node):
            recipe_of[node] = book.primary_recipe(node)
            children[node] = tuple(node_of(i) for i, _ in recipe_of[node].ingredients)
        else:
            children[node] = ()
        for child in children[node]:
            visit(child)

    visit(target)
    postorder: list[Node] = []
    done: set[Node] = set()

    def walk(node: Node) -> None:
        done.add(node)
        for child in children[node]:
            if child not in done:
                walk(child)
        postorder.append(node)

    walk(target)
    order = tuple(reversed(postorder))
    distractors = _distractors(book, order, rng)
    label: dict[Ingredient, str] = {}
    for recipe in [*recipe_of.values(), *distractors]:
        for ingredient, _ in recipe.ingredients:
            if ingredient not in choice and not ingredient.is_single and ingredient.tag is None:
                choice[ingredient] = _prefer(book, ingredient, None)
            label[ingredient] = _label(ingredient, choice)
    tree_recipes = [recipe_of[n] for n in order if isinstance(n, str) and n in recipe_of]
    commands = tuple(recipe_command(r, label) for r in [*tree_recipes, *distractors])
    tags_shown = tuple(sorted({i.tag for r in [*tree_recipes, *distractors]
                               for i, _ in r.ingredients if i.tag is not None}))
    return TaskSetup(target, int(book.depth[target]), order, recipe_of, choice, label,
                     commands, tags_shown)


def _distractors(book: RecipeBook, order: tuple[Node, ...], rng: random.Random) -> list[Recipe]:
    """Seeded recipes of other items that use something from the tree."""
    tree_items = {n for n in order if isinstance(n, str)}
    tree_slots = {n for n in order if isinstance(n, Ingredient)}
    pool = [
        recipe
        for item in sorted(book.recipes) if item not in tree_items
        for recipe in book.recipes[item]
        if any(i in tree_slots or tree_items.intersection(i.options) for i, _ in recipe.ingredients)
    ]
    return rng.sample(pool, min(MAX_DISTRACTORS, len(pool)))


def describe_task(book: RecipeBook, setup: TaskSetup, commands: list[str]) -> str:
    """The first observation: the crafting commands (in the given order), tags, and goal."""
    lines = ["Crafting commands:", *commands]
    if setup.tags_shown:
        lines += ["", "Kinds of items (a kind's name in a command accepts any item of that kind):"]
        for tag in setup.tags_shown:
            members = ", ".join(display_name(m) for m in book.tags[tag])
            lines.append(f"{display_name(tag)}: {members}")
    lines += ["", f"Goal: craft {display_name(setup.target)}."]
    return "\n".join(lines)
