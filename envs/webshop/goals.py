"""Shopping goals: what the user asks for, generated from a target product.

As in WebShop, a goal names the product type, one to three of the target's attributes, one
value for each of its option types, and a price bound above the target's price, and is written
as a lower-case instruction ("i need long lasting lipstick with color: red, and price lower
than 20.00 dollars"). The target itself always satisfies the goal, so reward 1.0 is reachable.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from agentrm_ray.envs.webshop.catalogue import Product

_OPENINGS = ("i need", "i am looking for", "find me", "i want to buy", "can you get me",
             "i'm searching for")


@dataclass(frozen=True)
class Goal:
    """A purchase request and the target product it was written from."""

    asin: str
    product_type: str
    category: str
    attributes: tuple[str, ...]
    options: tuple[tuple[str, str], ...]  # (option type, wanted value)
    price_bound: float
    instruction: str


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def price_bound(price: float, rng: random.Random) -> float:
    """A round budget a bit above `price` (the target is always affordable)."""
    step = 5.0 if price < 20 else 10.0
    return float(math.floor(price * rng.uniform(1.0, 1.5) / step + 1) * step)


def instruction_text(product_type: str, attributes: tuple[str, ...],
                     options: tuple[tuple[str, str], ...], bound: float, opening: str) -> str:
    """The user's words for a goal."""
    text = f"{opening} {_join(list(attributes))} {product_type}"
    if options:
        text += " with " + ", and ".join(f"{name}: {value}" for name, value in options)
    return f"{text}, and price lower than {bound:.2f} dollars"


def make_goal(product: Product, rng: random.Random) -> Goal:
    """A goal whose exact answer is `product` with the chosen options."""
    n_attributes = rng.choice((1, 2, 2, 3))
    attributes = tuple(rng.sample(product.attributes, min(n_attributes, len(product.attributes))))
    options = tuple((name, rng.choice(values)) for name, values in product.options)
    bound = price_bound(product.price, rng)
    text = instruction_text(product.product_type, attributes, options, bound,
                            rng.choice(_OPENINGS))
    return Goal(product.asin, product.product_type, product.category, attributes, options,
                bound, text)
