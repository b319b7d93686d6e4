"""The WebShop family: its goal suite and what the policy is told."""

from __future__ import annotations

import random
from functools import cache

from agentrm_ray.envs.suites import FamilySpec, PromptSpec, TaskSpec, assign_splits
from agentrm_ray.envs.webshop.catalogue import default_catalogue
from agentrm_ray.envs.webshop.goals import Goal, make_goal

N_TASKS = 150
GOAL_SEED = 7301
MAX_STEPS = 15

INSTRUCTION = """You are shopping in an online store for a customer. The customer's request \
names a kind of product, some properties it must have, the options to choose (such as color or \
size) and the most they will pay. Each page shows its buttons in [brackets]. Two kinds of \
action exist: search[your query] types a query into the search box (only on the search page), \
and click[button] presses a button shown on the current page, for example click[Next >], \
click[Back to Search], a product id to open that product, an option value to select it, \
click[Description] to read more, and click[Buy Now] to buy the open product with the selected \
options, which ends the episode. Buy a product that matches every requested property, select \
every requested option, and stay within the budget. Each turn, think briefly and then give \
exactly one action.
Answer in the format:
Thought: <your reasoning>
Action: <one action>"""

EXAMPLE = """Goal: i need sugar free herbal tea with flavor: mint, and count: pack of 6, and \
price lower than 15.00 dollars
Observation: WebShop
Instruction: i need sugar free herbal tea with flavor: mint, and count: pack of 6, and price \
lower than 15.00 dollars
[Search]
Thought: I search for the product type together with its required property.
Action: search[sugar free herbal tea mint]
Observation: [Back to Search]
Results for "sugar free herbal tea mint": page 1 (total results: 50)
[Next >]
[B0QX4T7M2A] Telmor Organic Classic Herbal Tea for Breakfast | $21.49
[B0LM83KDE1] Sildaven Sugar Free Artisan Herbal Tea, Kosher | $9.95
Thought: The second tea is sugar free and costs less than 15 dollars. I open it.
Action: click[B0LM83KDE1]
Observation: [Back to Search] [< Prev]
Sildaven Sugar Free Artisan Herbal Tea, Kosher
Price: $9.95
Rating: 4.4 out of 5
flavor: [original] [mint] [lemon]
count: [pack of 1] [pack of 6]
Selected options: none
[Description] [Features] [Reviews]
[Buy Now]
Thought: It fits. I select the mint flavor first.
Action: click[mint]
Observation: You selected flavor: mint.
Thought: Now the pack of 6.
Action: click[pack of 6]
Observation: You selected count: pack of 6.
Thought: Both options are selected and the price is within budget, so I buy it.
Action: click[Buy Now]
Observation: Thank you for shopping with us! Your score (min 0.0, max 1.0): 1.00"""


def goal_params(goal: Goal) -> tuple[tuple[str, object], ...]:
    """A goal as TaskSpec params (plain values; the product type comes from the catalogue)."""
    return (("asin", goal.asin), ("attributes", goal.attributes), ("options", goal.options),
            ("price_bound", goal.price_bound), ("instruction", goal.instruction))


def task_goal(task: TaskSpec) -> Goal:
    """The goal a task describes, with its target's type and category filled in."""
    product = default_catalogue()[task.param("asin")]
    return Goal(
        asin=product.asin, product_type=product.product_type, category=product.category,
        attributes=tuple(task.param("attributes")),
        options=tuple(tuple(pair) for pair in task.param("options")),  # type: ignore[misc]
        price_bound=float(task.param("price_bound")), instruction=task.param("instruction"),
    )


@cache
def _webshop_tasks() -> tuple[TaskSpec, ...]:
    rng = random.Random(GOAL_SEED)
    products = default_catalogue().products
    targets = rng.sample(range(len(products)), N_TASKS)
    goals = [make_goal(products[i], rng) for i in targets]
    ids = [f"webshop-{i + 1:04d}" for i in range(N_TASKS)]
    splits = assign_splits(ids, seed=GOAL_SEED)
    return tuple(TaskSpec(task_id, splits[task_id], seed=i, params=goal_params(goal))
                 for i, (task_id, goal) in enumerate(zip(ids, goals, strict=True)))


def webshop_difficulty(task: TaskSpec) -> str:
    """By how much the goal asks for, attributes plus options: easy <= 3 (4 steps: search,
    open, at most one option, buy), medium 4, hard 5 (the most attribute matching)."""
    asked = len(task.param("attributes")) + len(task.param("options"))
    return "easy" if asked <= 3 else "medium" if asked == 4 else "hard"


def webshop_tasks() -> list[TaskSpec]:
    """150 goals over distinct target products, split 40/20/40 into train/dev/test."""
    return list(_webshop_tasks())


FAMILY = FamilySpec(
    name="webshop",
    env_id="agentrm/WebShopSim-v0",
    entry_point="agentrm_ray.envs.webshop.env:WebShopEnv",
    description="WebShop-style shopping over a seeded synthetic catalogue (BM25 search, "
                "paper's attribute/option/price reward).",
    held_in=True,
    prompt=PromptSpec(INSTRUCTION, EXAMPLE),
    tasks=webshop_tasks,
    difficulty=webshop_difficulty,
    max_steps=MAX_STEPS,
    requires=("rank_bm25",),
    extra=None,
)
