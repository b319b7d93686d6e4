"""The purchase reward of the WebShop paper, computed on the synthetic catalogue.

    r = r_type * (|attributes matched| + |options matched| + [price <= bound])
               / (|attributes| + |options| + 1)

`r_type` stands in for WebShop's type/title matching: 1.0 for the asked product type, 0.5 for
another type of the same category whose title shares a word with the asked type, 0.1 for the
same category or a shared title word alone, 0.0 otherwise. A goal attribute matches when the
bought product lists it (or its title spells it); an option matches when the value selected
for that option type is the wanted one. Success is an exact match: r == 1.0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from agentrm_ray.envs.webshop.catalogue import Product
from agentrm_ray.envs.webshop.goals import Goal
from agentrm_ray.envs.webshop.search import tokenize


@dataclass(frozen=True)
class RewardBreakdown:
    """Each term of the reward, kept so a purchase can be explained to the agent."""

    r_type: float
    attributes_matched: int
    attributes_total: int
    options_matched: int
    options_total: int
    price_ok: bool

    @property
    def reward(self) -> float:
        matched = self.attributes_matched + self.options_matched + int(self.price_ok)
        total = self.attributes_total + self.options_total + 1
        return self.r_type * matched / total

    def as_dict(self) -> dict[str, float | int | bool]:
        return {**asdict(self), "reward": self.reward}


def type_reward(goal: Goal, product: Product) -> float:
    """How well the bought product's type matches the asked one (see module docstring)."""
    if product.product_type == goal.product_type:
        return 1.0
    shares_word = bool(set(tokenize(goal.product_type)) & set(tokenize(product.title)))
    same_category = product.category == goal.category
    if same_category and shares_word:
        return 0.5
    if same_category or shares_word:
        return 0.1
    return 0.0


def attribute_matches(attribute: str, product: Product) -> bool:
    if attribute in product.attributes:
        return True
    return f" {' '.join(tokenize(attribute))} " in f" {' '.join(tokenize(product.title))} "


def purchase_reward(goal: Goal, product: Product, selected: Mapping[str, str]
                    ) -> RewardBreakdown:
    """The reward for buying `product` with the options `selected` (type -> value)."""
    return RewardBreakdown(
        r_type=type_reward(goal, product),
        attributes_matched=sum(attribute_matches(a, product) for a in goal.attributes),
        attributes_total=len(goal.attributes),
        options_matched=sum(selected.get(name) == value for name, value in goal.options),
        options_total=len(goal.options),
        price_ok=product.price <= goal.price_bound,
    )
