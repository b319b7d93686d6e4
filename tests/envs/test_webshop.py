"""WebShop family: catalogue generation, BM25 search, the paper's reward, pages and actions."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from agentrm_ray.envs.webshop.catalogue import (
    PRODUCTS_PER_TYPE,
    default_catalogue,
    generate_catalogue,
)
from agentrm_ray.envs.webshop.env import WebShopEnv
from agentrm_ray.envs.webshop.family import FAMILY, task_goal, webshop_tasks
from agentrm_ray.envs.webshop.goals import Goal
from agentrm_ray.envs.webshop.pages import RESULTS_PER_PAGE
from agentrm_ray.envs.webshop.reward import purchase_reward
from agentrm_ray.envs.webshop.search import MAX_RESULTS, default_engine
from agentrm_ray.envs.webshop.vocab import PRODUCT_TYPES


def _env_at_search(task_index: int = 0) -> WebShopEnv:
    env = WebShopEnv()
    task = webshop_tasks()[task_index]
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    return env


def _goal_for(product, attributes, options, bound) -> Goal:
    return Goal(product.asin, product.product_type, product.category, tuple(attributes),
                tuple(options), bound, "test goal")


# ----------------------------------------------------------------- catalogue
def test_catalogue_is_deterministic_and_has_the_announced_size() -> None:
    a, b = generate_catalogue(seed=5), generate_catalogue(seed=5)
    assert a.products == b.products
    assert generate_catalogue(seed=6).products != a.products
    assert len(a) == len(PRODUCT_TYPES) * PRODUCTS_PER_TYPE
    assert 1000 <= len(default_catalogue()) <= 2000
    assert len({p.asin for p in a.products}) == len(a)
    assert len({p.title for p in a.products}) == len(a)
    assert {p.category for p in a.products} >= {"beauty", "electronics", "grocery", "fashion",
                                               "home"}


def test_option_values_are_unambiguous_on_every_product() -> None:
    for product in default_catalogue().products:
        values = [v for _, vs in product.options for v in vs]
        assert len(values) == len(set(values)), product.asin
        assert product.asin.startswith("B0") and len(product.asin) == 10


# ----------------------------------------------------------------- search
def test_bm25_ranks_a_product_first_for_its_own_title() -> None:
    engine = default_engine()
    sample = random.Random(0).sample(default_catalogue().products, 200)
    ranks = [engine.search(p.title).index(p.asin) for p in sample]
    assert sum(r == 0 for r in ranks) >= 0.95 * len(sample)
    assert max(ranks) < RESULTS_PER_PAGE


def test_search_is_case_and_punctuation_insensitive_and_bounded() -> None:
    engine = default_engine()
    assert engine.search("Long-Lasting LIPSTICK!") == engine.search("long lasting lipstick")
    assert 0 < len(engine.search("lipstick")) <= MAX_RESULTS
    assert engine.search("zzzz qqqq") == ()


# ----------------------------------------------------------------- reward
def _product_with_two_options():
    return next(p for p in default_catalogue().products
                if len(p.options) == 2 and len(p.attributes) >= 2)


def test_reward_exact_match_is_one() -> None:
    product = _product_with_two_options()
    options = [(name, values[0]) for name, values in product.options]
    goal = _goal_for(product, product.attributes[:2], options, product.price + 1)
    parts = purchase_reward(goal, product, dict(options))
    assert parts.reward == 1.0 and parts.r_type == 1.0


def test_reward_wrong_option_and_price_lower_by_the_formula() -> None:
    product = _product_with_two_options()
    options = [(name, values[0]) for name, values in product.options]
    goal = _goal_for(product, product.attributes[:2], options, product.price + 1)
    # 2 attributes + 2 options + price = 5 terms
    wrong = dict(options)
    wrong[options[0][0]] = product.options[0][1][1]
    assert purchase_reward(goal, product, wrong).reward == pytest.approx(4 / 5)
    assert purchase_reward(goal, product, {}).reward == pytest.approx(3 / 5)
    pricey = replace(goal, price_bound=product.price - 0.01)
    assert purchase_reward(pricey, product, dict(options)).reward == pytest.approx(4 / 5)
    missing_attr = replace(goal, attributes=(*goal.attributes, "no such attribute"))
    assert purchase_reward(missing_attr, product, dict(options)).reward == pytest.approx(5 / 6)


def test_reward_scales_with_the_type_match() -> None:
    catalogue = default_catalogue().products
    product = _product_with_two_options()
    goal = _goal_for(product, (), (), product.price + 1)
    same_category = next(p for p in catalogue if p.category == product.category
                         and p.product_type != product.product_type and p.price <= goal.price_bound
                         and not set(product.product_type.split()) & set(p.title.lower().split()))
    other_category = next(p for p in catalogue if p.category != product.category
                          and p.price <= goal.price_bound
                          and not set(product.product_type.split()) & set(p.title.lower().split()))
    assert purchase_reward(goal, same_category, {}).reward == pytest.approx(0.1)
    assert purchase_reward(goal, other_category, {}).reward == 0.0


# ----------------------------------------------------------------- pages and actions
def test_click_on_a_button_not_on_the_page_is_invalid_and_changes_nothing() -> None:
    env = _env_at_search()
    env.step(env.oracle_action())  # results page
    page = env.page
    obs, reward, terminated, _, info = env.step("click[Buy Now]")
    assert "Invalid" in obs and "no button" in obs and "Valid actions are" in obs
    assert info["valid_action"] is False and reward == 0.0 and not terminated
    assert env.page == page


def test_search_only_where_a_search_box_is() -> None:
    env = _env_at_search()
    assert env.admissible_actions() == ["search[<your query>]"]
    obs, *_ , info = env.step("click[Back to Search]")
    assert "Invalid" in obs and info["valid_action"] is False
    assert env.step("search[]")[4]["valid_action"] is False
    env.step("search[lipstick]")
    obs, *_, info = env.step("search[shampoo]")
    assert "Invalid" in obs and "no search box" in obs


def test_paging_walks_through_the_results() -> None:
    env = _env_at_search()
    query = "organic gluten free"
    results = default_engine().search(query)
    assert len(results) > 2 * RESULTS_PER_PAGE
    env.step(f"search[{query}]")
    assert "click[< Prev]" not in env.admissible_actions()
    page_one = [a for a in env.admissible_actions() if a[6:8] == "B0"]
    assert page_one == [f"click[{asin}]" for asin in results[:RESULTS_PER_PAGE]]
    obs, *_ = env.step("click[next >]")  # labels match case-insensitively
    assert env.page.page_no == 2 and "page 2" in obs
    assert results[RESULTS_PER_PAGE] in obs and results[0] not in obs
    env.step("click[< Prev]")
    assert env.page.page_no == 1
    last = (len(results) - 1) // RESULTS_PER_PAGE + 1
    for _ in range(last - 1):
        env.step("click[Next >]")
    assert env.page.page_no == last and "click[Next >]" not in env.admissible_actions()


def test_item_page_options_details_and_navigation() -> None:
    env = _env_at_search()
    goal = env.shop_goal
    assert goal is not None
    env.step(f"search[{default_catalogue()[goal.asin].title}]")
    obs, *_ = env.step(f"click[{goal.asin.lower()}]")
    assert env.page.kind == "item" and "[Buy Now]" in obs and "Selected options: none" in obs
    name, value = goal.options[0]
    obs, *_ = env.step(f"click[{value}]")
    assert env.selected_options == {name: value} and f"Selected options: {name}: {value}" in obs
    obs, *_ = env.step("click[Features]")
    assert env.page.kind == "detail" and "Key feature" in obs
    env.step("click[< Prev]")
    assert env.page.kind == "item" and env.selected_options == {name: value}
    env.step("click[< Prev]")
    assert env.page.kind == "results"
    env.step(f"click[{goal.asin}]")
    assert env.selected_options == {}  # reopening a product starts a fresh selection


def test_buying_with_a_wrong_option_scores_the_formula() -> None:
    task = next(t for t in webshop_tasks() if len(t.param("options")) == 2)
    env = WebShopEnv()
    env.reset(seed=task.seed, options={"task_id": task.task_id})
    goal = task_goal(task)
    product = default_catalogue()[goal.asin]
    env.step(f"search[{product.title}]")
    env.step(f"click[{goal.asin}]")
    env.step(f"click[{goal.options[0][1]}]")
    _, reward, terminated, _, info = env.step("click[Buy Now]")
    expected = (len(goal.attributes) + 1 + 1) / (len(goal.attributes) + 2 + 1)
    assert terminated and reward == pytest.approx(expected)
    assert info["success"] is False and info["progress"] == pytest.approx(expected)


def test_every_goal_is_exactly_satisfied_by_its_target() -> None:
    tasks = webshop_tasks()
    assert len(tasks) == 150 and tasks[0].task_id == "webshop-0001"
    assert all(t.param("max_steps") is None for t in tasks) and FAMILY.max_steps == 15
    for task in tasks:
        goal = task_goal(task)
        product = default_catalogue()[goal.asin]
        assert purchase_reward(goal, product, dict(goal.options)).reward == 1.0
        assert goal.product_type in goal.instruction
        assert f"{goal.price_bound:.2f}" in goal.instruction


def test_snapshot_fork_matches_replay_deep_in_an_episode() -> None:
    rng = random.Random(3)
    for index in range(0, 60, 6):
        env = _env_at_search(index)
        for _ in range(rng.randint(1, 3)):  # oracle prefix reaches results/item pages
            env.step(env.oracle_action())
        if env.finished:
            continue
        fork, replayed = env.fork(), env.replay_fork()
        for _ in range(5):
            if env.finished:
                break
            action = rng.choice(env.admissible_actions())
            expected = env.step(action)[:4]
            assert fork.step(action)[:4] == expected == replayed.step(action)[:4]
