"""The WebShop env: shop a synthetic catalogue with `search[query]` and `click[button]`.

Actions follow WebShop exactly: `search[...]` works where the page has a search box, and
`click[...]` presses a button shown on the page (label matched case-insensitively). The
episode ends when the agent clicks [Buy Now]; the reward is WebShop's attribute/option/price
score of the purchase (see `reward.py`) and success means an exact match (reward 1.0).
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import numpy as np

from agentrm_ray.envs.base import TextEnv, Transition
from agentrm_ray.envs.suites import TaskSpec
from agentrm_ray.envs.webshop.goals import Goal
from agentrm_ray.envs.webshop.oracle import oracle_action
from agentrm_ray.envs.webshop.pages import (
    BACK_TO_SEARCH,
    BUY_NOW,
    DETAILS,
    NEXT_PAGE,
    PREV_PAGE,
    SEARCH_PLACEHOLDER,
    Page,
    buttons,
    render,
)
from agentrm_ray.envs.webshop.reward import purchase_reward
from agentrm_ray.envs.webshop.search import SearchEngine, default_engine

_ACTION = re.compile(r"^(search|click)\s*\[(.*)\]$", re.IGNORECASE | re.DOTALL)


class WebShopEnv(TextEnv):
    """Synthetic WebShop; see the module docstring for actions, reward and success."""

    family = "webshop"
    default_max_steps = 15

    def __init__(self, max_steps: int | None = None, render_mode: str | None = None) -> None:
        super().__init__(max_steps=max_steps, render_mode=render_mode)
        self._engine: SearchEngine = default_engine()
        self._shop_goal: Goal | None = None
        self._page = Page()
        self._selected: dict[str, str] = {}

    # ----------------------------------------------------------------- TextEnv hooks
    def task_catalogue(self) -> list[TaskSpec]:
        from agentrm_ray.envs.webshop.family import webshop_tasks

        return webshop_tasks()

    def _load_task(self, task: TaskSpec, rng: np.random.Generator) -> tuple[str, str]:
        from agentrm_ray.envs.webshop.family import task_goal

        self._shop_goal = task_goal(task)
        self._page = Page()
        self._selected = {}
        return self._render(), self._shop_goal.instruction

    def _apply(self, action: str) -> Transition:
        match = _ACTION.match(action)
        if match is None:
            return Transition(self.invalid_observation(action), valid=False)
        verb, argument = match.group(1).lower(), match.group(2).strip()
        if verb == "search":
            return self._search(action, argument)
        return self._click(action, argument)

    def admissible_actions(self) -> list[str]:
        if self._page.kind == "search":
            return [SEARCH_PLACEHOLDER]
        return [f"click[{label}]" for label in buttons(self._page, self._engine)]

    def oracle_action(self) -> str:
        assert self._shop_goal is not None
        return oracle_action(self._page, self._selected, self._shop_goal, self._engine)

    def _snapshot(self) -> Any:
        return (self._shop_goal, self._page, dict(self._selected))

    def _restore(self, snapshot: Any) -> None:
        self._shop_goal, self._page, self._selected = snapshot

    # ----------------------------------------------------------------- read-only views
    @property
    def page(self) -> Page:
        return self._page

    @property
    def selected_options(self) -> dict[str, str]:
        return dict(self._selected)

    @property
    def shop_goal(self) -> Goal | None:
        return self._shop_goal

    # ----------------------------------------------------------------- actions
    def _search(self, action: str, query: str) -> Transition:
        if self._page.kind != "search":
            return self._invalid(action, "there is no search box on this page; "
                                         f"click[{BACK_TO_SEARCH}] first")
        if not query:
            return self._invalid(action, "the search query is empty")
        self._page = Page("results", query=query, page_no=1)
        return Transition(self._render())

    def _click(self, action: str, label: str) -> Transition:
        by_lower = {b.lower(): b for b in buttons(self._page, self._engine)}
        button = by_lower.get(label.lower())
        if button is None:
            return self._invalid(action, f"there is no button [{label}] on this page")
        page = self._page
        lead = ""
        if button == BACK_TO_SEARCH:
            self._page, self._selected = Page(), {}
        elif button == NEXT_PAGE:
            self._page = replace(page, page_no=page.page_no + 1)
        elif button == PREV_PAGE:
            self._page = self._previous(page)
        elif page.kind == "results":  # a product id
            self._page, self._selected = replace(page, kind="item", asin=button), {}
        elif button == BUY_NOW:
            return self._buy()
        elif button in DETAILS:
            self._page = replace(page, kind="detail", detail=button)
        else:  # an option value of the product on this page
            product = self._engine.catalogue[page.asin]
            name = next(n for n, values in product.options if button in values)
            self._selected[name] = button
            lead = f"You selected {name}: {button}.\n"
        return Transition(lead + self._render())

    @staticmethod
    def _previous(page: Page) -> Page:
        if page.kind == "results":
            return replace(page, page_no=page.page_no - 1)
        if page.kind == "item":
            return replace(page, kind="results", asin="")
        return replace(page, kind="item", detail="")

    def _buy(self) -> Transition:
        assert self._shop_goal is not None
        product = self._engine.catalogue[self._page.asin]
        parts = purchase_reward(self._shop_goal, product, self._selected)
        reward = parts.reward
        chosen = ", ".join(f"{n}: {v}" for n, v in self._selected.items()) or "no options"
        observation = (
            f"Thank you for shopping with us! You bought [{product.asin}] {product.title} "
            f"(${product.price:.2f}) with {chosen}.\n"
            f"Your score (min 0.0, max 1.0): {reward:.2f}"
        )
        return Transition(
            observation, reward=reward, done=True, success=reward == 1.0, progress=reward,
            extra={"purchased_asin": product.asin, "reward_breakdown": parts.as_dict()},
        )

    # ----------------------------------------------------------------- helpers
    def _invalid(self, action: str, why: str) -> Transition:
        valid = ", ".join(self.admissible_actions())
        return Transition(f"Invalid action: {action!r}: {why}. Valid actions are: {valid}.",
                          valid=False)

    def _render(self) -> str:
        assert self._shop_goal is not None
        return render(self._page, self._engine, self._shop_goal.instruction, self._selected)
