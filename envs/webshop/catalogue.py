"""The synthetic product catalogue: generated from a seed in code, never downloaded.

WebShop scrapes ~1.2M Amazon products; here every product is assembled from the vocabulary in
`vocab.py` by a seeded `random.Random`, so the same seed always yields the same catalogue
(ids, titles, options, prices). Generation takes a few tens of milliseconds, so the catalogue is
built on first use and kept in memory (`default_catalogue`) instead of being shipped as a file.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field, replace
from functools import cache

from agentrm_ray.envs.webshop.vocab import (
    ATTRIBUTES,
    AUDIENCES,
    BRAND_SYLLABLES,
    OPTION_VALUES,
    PRODUCT_TYPES,
    STYLE_WORDS,
    ProductType,
)

CATALOGUE_SEED = 20240
PRODUCTS_PER_TYPE = 40
N_BRANDS = 60


@dataclass(frozen=True)
class Product:
    """One product: what its pages show and what the reward compares against a goal."""

    asin: str
    title: str
    category: str
    product_type: str
    attributes: tuple[str, ...]
    options: tuple[tuple[str, tuple[str, ...]], ...]  # (option type, its values), page order
    price: float
    rating: float | None
    description: str
    features: tuple[str, ...]
    reviews: tuple[tuple[int, str], ...]  # (stars, text)


@dataclass(frozen=True)
class Catalogue:
    """All products, in generation order, with lookup by (upper-case) ASIN."""

    products: tuple[Product, ...]
    seed: int
    by_asin: dict[str, Product] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_asin", {p.asin: p for p in self.products})

    def __len__(self) -> int:
        return len(self.products)

    def get(self, asin: str) -> Product | None:
        return self.by_asin.get(asin.upper())

    def __getitem__(self, asin: str) -> Product:
        product = self.get(asin)
        if product is None:
            raise KeyError(asin)
        return product


def _title_case(phrase: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in phrase.split())


def _brands(rng: random.Random) -> list[str]:
    brands: set[str] = set()
    while len(brands) < N_BRANDS:
        parts = rng.sample(BRAND_SYLLABLES, rng.choice((2, 2, 3)))
        brands.add("".join(parts).capitalize())
    return sorted(brands)


def _asin(rng: random.Random, taken: set[str]) -> str:
    alphabet = string.ascii_uppercase + string.digits
    while True:
        asin = "B0" + "".join(rng.choice(alphabet) for _ in range(8))
        if asin not in taken:
            taken.add(asin)
            return asin


def _title(rng: random.Random, brand: str, kind: ProductType, attributes: list[str]) -> str:
    style = rng.choice(STYLE_WORDS[kind.category])
    title = f"{brand} {_title_case(attributes[0])} {style} {_title_case(kind.name)}"
    audience = rng.choice(AUDIENCES[kind.category])
    if audience:
        title += f" {audience}"
    if len(attributes) > 1 and rng.random() < 0.6:
        title += f", {_title_case(attributes[1])}"
    return title


def _price(rng: random.Random, base: float) -> float:
    # Log-normal around the type's typical price, ending in .99/.49/.95 like shop prices.
    value = base * rng.lognormvariate(0.0, 0.35)
    return round(max(1.0, int(value)) + rng.choice((0.99, 0.49, 0.95, 0.0)), 2)


def _texts(rng: random.Random, brand: str, kind: ProductType, attributes: list[str]
           ) -> tuple[str, tuple[str, ...], tuple[tuple[int, str], ...]]:
    description = (
        f"The {brand} {kind.name} in one line: {', '.join(attributes)}. "
        f"{brand} designs it for everyday use; it is one of our picks in {kind.category}."
    )
    features = tuple(f"Key feature: {a}" for a in attributes)
    features += (f"Satisfaction promise: contact {brand} support if anything is wrong.",)
    opinions = ("Works exactly as described.", "Good value for the price.",
                "A bit smaller than I expected.", "Would buy again.",
                "Arrived quickly and well packed.", "Not my favourite, but it does the job.")
    reviews = tuple(
        (rng.randint(2, 5), rng.choice(opinions)) for _ in range(rng.randint(1, 3))
    )
    return description, features, reviews


def _product(rng: random.Random, kind: ProductType, brand: str, asin: str) -> Product:
    attributes = rng.sample(ATTRIBUTES[kind.category], rng.randint(3, 5))
    options = tuple(
        (name, tuple(sorted(rng.sample(OPTION_VALUES[name], rng.randint(2, min(5, len(
            OPTION_VALUES[name])))), key=OPTION_VALUES[name].index)))
        for name in kind.options
    )
    description, features, reviews = _texts(rng, brand, kind, attributes)
    rating = round(rng.uniform(2.5, 5.0), 1) if rng.random() < 0.85 else None
    return Product(
        asin=asin, title=_title(rng, brand, kind, attributes), category=kind.category,
        product_type=kind.name, attributes=tuple(attributes), options=options,
        price=_price(rng, kind.base_price), rating=rating, description=description,
        features=features, reviews=reviews,
    )


def generate_catalogue(seed: int = CATALOGUE_SEED, per_type: int = PRODUCTS_PER_TYPE
                       ) -> Catalogue:
    """`per_type` products for each product type, all titles and ASINs distinct."""
    rng = random.Random(seed)
    brands = _brands(rng)
    taken_asins: set[str] = set()
    titles: set[str] = set()
    products: list[Product] = []
    for kind in PRODUCT_TYPES:
        made = 0
        while made < per_type:
            product = _product(rng, kind, rng.choice(brands), "")
            if product.title in titles:
                continue  # a clash would make "search the exact title" ambiguous
            titles.add(product.title)
            products.append(_with_asin(product, _asin(rng, taken_asins)))
            made += 1
    order = list(range(len(products)))
    rng.shuffle(order)  # interleave types, so ties in search are not ordered by type
    return Catalogue(tuple(products[i] for i in order), seed)


def _with_asin(product: Product, asin: str) -> Product:
    return replace(product, asin=asin)


@cache
def default_catalogue() -> Catalogue:
    """The catalogue every task of the family refers to (built once per process)."""
    return generate_catalogue(CATALOGUE_SEED, PRODUCTS_PER_TYPE)
