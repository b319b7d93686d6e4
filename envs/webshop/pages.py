"""The shop's pages: where the agent is, which buttons each page has, and its text rendering.

Four kinds of page, as in WebShop: the search page (a search box), a results page (10
products per page of a query's results), a product page (options, detail links, Buy Now) and
a product's detail sub-page (description, features or reviews). A `Page` is a small immutable
value, so the env's whole navigation state is one `Page` plus the selected options.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from agentrm_ray.envs.webshop.catalogue import Product
from agentrm_ray.envs.webshop.search import SearchEngine

RESULTS_PER_PAGE = 10
BACK_TO_SEARCH = "Back to Search"
NEXT_PAGE = "Next >"
PREV_PAGE = "< Prev"
BUY_NOW = "Buy Now"
DETAILS = ("Description", "Features", "Reviews")
SEARCH_PLACEHOLDER = "search[<your query>]"


@dataclass(frozen=True)
class Page:
    """Where the agent is: kind is "search", "results", "item" or "detail"."""

    kind: str = "search"
    query: str = ""
    page_no: int = 1
    asin: str = ""
    detail: str = ""


def page_results(page: Page, engine: SearchEngine) -> tuple[str, ...]:
    """The ASINs listed on a results page."""
    results = engine.search(page.query)
    start = (page.page_no - 1) * RESULTS_PER_PAGE
    return results[start:start + RESULTS_PER_PAGE]


def has_next_page(page: Page, engine: SearchEngine) -> bool:
    return len(engine.search(page.query)) > page.page_no * RESULTS_PER_PAGE


def buttons(page: Page, engine: SearchEngine) -> list[str]:
    """Clickable button labels on `page`, in the order they are shown."""
    if page.kind == "search":
        return []
    labels = [BACK_TO_SEARCH]
    if page.kind == "results":
        if page.page_no > 1:
            labels.append(PREV_PAGE)
        if has_next_page(page, engine):
            labels.append(NEXT_PAGE)
        labels.extend(page_results(page, engine))
        return labels
    labels.append(PREV_PAGE)
    if page.kind == "item":
        product = engine.catalogue[page.asin]
        labels.extend(v for _, values in product.options for v in values)
        labels.extend(DETAILS)
        labels.append(BUY_NOW)
    return labels


def render(page: Page, engine: SearchEngine, instruction: str,
           selected: Mapping[str, str]) -> str:
    """The page as text; every clickable label appears in [brackets]."""
    head = f"WebShop\nInstruction: {instruction}\n"
    if page.kind == "search":
        return head + "[Search]\nType your query with search[...]."
    if page.kind == "results":
        return head + _render_results(page, engine)
    product = engine.catalogue[page.asin]
    if page.kind == "item":
        return head + _render_item(product, selected)
    return head + _render_detail(product, page.detail)


def _render_results(page: Page, engine: SearchEngine) -> str:
    total = len(engine.search(page.query))
    lines = [f"[{BACK_TO_SEARCH}]"]
    if total == 0:
        lines.append(f'No products match "{page.query}". Try other words.')
        return "\n".join(lines)
    lines.append(f'Results for "{page.query}": page {page.page_no} (total results: {total})')
    nav = []
    if page.page_no > 1:
        nav.append(f"[{PREV_PAGE}]")
    if has_next_page(page, engine):
        nav.append(f"[{NEXT_PAGE}]")
    if nav:
        lines.append(" ".join(nav))
    for asin in page_results(page, engine):
        product = engine.catalogue[asin]
        lines.append(f"[{asin}] {product.title} | ${product.price:.2f}")
    return "\n".join(lines)


def _render_item(product: Product, selected: Mapping[str, str]) -> str:
    rating = "N.A." if product.rating is None else f"{product.rating:.1f} out of 5"
    lines = [f"[{BACK_TO_SEARCH}] [{PREV_PAGE}]", product.title,
             f"Price: ${product.price:.2f}", f"Rating: {rating}"]
    for name, values in product.options:
        lines.append(f"{name}: " + " ".join(f"[{v}]" for v in values))
    chosen = ", ".join(f"{n}: {selected[n]}" for n, _ in product.options if n in selected)
    if product.options:
        lines.append(f"Selected options: {chosen or 'none'}")
    lines.append(" ".join(f"[{d}]" for d in DETAILS))
    lines.append(f"[{BUY_NOW}]")
    return "\n".join(lines)


def _render_detail(product: Product, detail: str) -> str:
    lines = [f"[{BACK_TO_SEARCH}] [{PREV_PAGE}]", f"{detail} of {product.title}:"]
    if detail == "Description":
        lines.append(product.description)
    elif detail == "Features":
        lines.extend(f"- {feature}" for feature in product.features)
    else:
        lines.extend(f"- {stars} stars: {text}" for stars, text in product.reviews)
    return "\n".join(lines)
