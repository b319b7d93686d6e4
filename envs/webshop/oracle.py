"""The expert shopper: from any page, the next action toward buying the goal's target exactly.

It searches the instruction itself when that puts the target on the first `GOAL_QUERY_PAGES`
result pages and the target's title otherwise (BM25 ranks a product first for its own title),
pages to the target, opens it, clicks each wanted option, and buys. From a wrong page it goes
back the cheapest way. It needs nothing but the current page, so it works after any detour.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentrm_ray.envs.webshop.goals import Goal
from agentrm_ray.envs.webshop.pages import (
    BACK_TO_SEARCH,
    BUY_NOW,
    NEXT_PAGE,
    PREV_PAGE,
    RESULTS_PER_PAGE,
    Page,
)
from agentrm_ray.envs.webshop.search import SearchEngine

GOAL_QUERY_PAGES = 2


def oracle_query(goal: Goal, engine: SearchEngine) -> str:
    """The query the expert types: the instruction, or the target's title if that ranks poorly."""
    results = engine.search(goal.instruction)
    if goal.asin in results[: GOAL_QUERY_PAGES * RESULTS_PER_PAGE]:
        return goal.instruction
    return engine.catalogue[goal.asin].title


def oracle_action(page: Page, selected: Mapping[str, str], goal: Goal,
                  engine: SearchEngine) -> str:
    """The expert's next action on `page` with options `selected`."""
    if page.kind == "search":
        return f"search[{oracle_query(goal, engine)}]"
    results = engine.search(page.query)
    target_listed = goal.asin in results
    if page.kind == "results":
        if not target_listed:
            return f"click[{BACK_TO_SEARCH}]"
        target_page = results.index(goal.asin) // RESULTS_PER_PAGE + 1
        if target_page == page.page_no:
            return f"click[{goal.asin}]"
        return f"click[{NEXT_PAGE if target_page > page.page_no else PREV_PAGE}]"
    if page.asin != goal.asin:
        # Back to the results if the target is among them, else start a new search.
        return f"click[{PREV_PAGE if page.kind == 'item' and target_listed else BACK_TO_SEARCH}]"
    if page.kind == "detail":
        return f"click[{PREV_PAGE}]"
    for name, value in goal.options:
        if selected.get(name) != value:
            return f"click[{value}]"
    return f"click[{BUY_NOW}]"
