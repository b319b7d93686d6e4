"""TextWorld Express games, the settings the suite plays them with, and the task suite.

Task ids are '<game>-<seed>'. TextWorld Express keeps separate train/dev/test game sets (its
"folds"; object and room names differ between them), and the suite takes each split's seeds
from TextWorld Express's own seed ranges for that fold: train 0..., dev 10000..., test 20000...
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from agentrm_ray.envs.suites import TaskSpec


@dataclass(frozen=True)
class TwxGame:
    """One game and the generation parameters the suite uses for it."""

    name: str
    params: str
    summary: str


# Settings keep gold paths at 2-26 actions (measured over 25 seeds each), so a 50-step
# budget leaves room for detours. The defaults of coin and cookingworld (11 rooms with doors)
# give gold paths of up to 98 actions.
GAMES: tuple[TwxGame, ...] = (
    TwxGame("coin", "numLocations=5,numDistractorItems=0,includeDoors=0,limitInventorySize=0",
            "explore the rooms, find the coin and take it"),
    TwxGame("mapreader", "", "use a map to fetch the coin from a named room and put it in the box"),
    TwxGame("sorting", "", "put the objects in the box from the smallest quantity to the largest"),
    TwxGame("arithmetic", "",
            "solve the math problem and put the matching number of items in the box"),
    TwxGame("twc", "", "put the scattered objects away where they usually belong"),
    TwxGame("cookingworld",
            "numLocations=3,numIngredients=2,numDistractorItems=5,includeDoors=0,"
            "limitInventorySize=0",
            "read the recipe, gather and prepare the ingredients, then eat the meal"),
)
GAMES_BY_NAME: dict[str, TwxGame] = {g.name: g for g in GAMES}

FOLD_SEED_START: dict[str, int] = {"train": 0, "dev": 10000, "test": 20000}
SEEDS_PER_SPLIT: dict[str, int] = {"train": 20, "dev": 2, "test": 2}
MAX_STEPS = 50


def fold_of_seed(seed: int) -> str:
    """TextWorld Express's fold for a seed of its seed ranges."""
    if seed >= FOLD_SEED_START["test"]:
        return "test"
    return "dev" if seed >= FOLD_SEED_START["dev"] else "train"


@cache
def _suite() -> tuple[TaskSpec, ...]:
    specs = []
    for game in GAMES:
        for split, count in SEEDS_PER_SPLIT.items():
            for seed in range(FOLD_SEED_START[split], FOLD_SEED_START[split] + count):
                specs.append(TaskSpec(
                    f"{game.name}-{seed}", split, seed=seed,
                    params=(("game", game.name), ("game_params", game.params),
                            ("fold", split)),
                ))
    return tuple(specs)


def twx_tasks() -> list[TaskSpec]:
    """6 games x (20 train, 2 dev, 2 test) seeds."""
    return list(_suite())
