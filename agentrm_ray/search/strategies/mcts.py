"""MCTS over agent turns, as AgentRM builds its RM training trees.

Each iteration selects a leaf by UCB (mean value + c * sqrt(ln N_parent / N_child); unvisited
children first), expands it with k sampled actions (identical ones merged), simulates every new
child with a full sampled rollout whose outcome (the env's progress, 1.0 on success)
initialises the child's value, and backpropagates visit counts and value sums to the root.
Terminal leaves are re-valued by their own outcome. The finished tree is returned with
per-node visits and mean values — the labels an explicit RM regresses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from agentrm_ray.search.expander import Expander, SearchState
from agentrm_ray.search.strategies.base import (
    StrategyContext,
    StrategyResult,
    finalize,
    gather_in_order,
    merge_identical,
    rollout,
)
from agentrm_ray.types import Candidate, ForkHandle, Node, Task


@dataclass
class _TreeNode:
    id: int
    state: SearchState
    parent: _TreeNode | None
    children: list[_TreeNode] = field(default_factory=list)
    visits: int = 0
    value_sum: float = 0.0
    expanded: bool = False

    @property
    def mean(self) -> float:
        return self.value_sum / self.visits if self.visits else 0.0


def outcome_value(state: SearchState) -> float:
    """The simulation reward: 1 on success, else the env's progress in [0, 1]."""
    return 1.0 if state.info.get("success") else float(state.info.get("progress", 0.0))


def ucb(child: _TreeNode, parent_visits: int, c: float) -> float:
    if child.visits == 0:
        return math.inf
    return child.mean + c * math.sqrt(math.log(max(parent_visits, 1)) / child.visits)


def select(root: _TreeNode, c: float) -> _TreeNode:
    node = root
    while node.expanded and node.children and not node.state.done:
        node = max(node.children, key=lambda ch: (ucb(ch, node.visits, c), -ch.id))
    return node


def backpropagate(node: _TreeNode | None, value: float, visits: int = 1) -> None:
    while node is not None:
        node.visits += visits
        node.value_sum += value
        node = node.parent


async def mcts(expander: Expander, task: Task, ctx: StrategyContext) -> StrategyResult:
    params = ctx.search.mcts
    root = _TreeNode(0, await expander.open(task), None)
    nodes = [root]
    rollouts: list[SearchState] = []
    for iteration in range(params.iterations):
        leaf = select(root, params.exploration)
        if leaf.state.done or leaf.state.depth >= ctx.max_steps:
            backpropagate(leaf, outcome_value(leaf.state))
            continue
        proposals = merge_identical(
            await expander.propose(
                leaf.state,
                params.expansions,
                ctx.temperature,
                ctx.seed_for(task, "mcts", leaf.state.path, iteration),
            )
        )
        states = await gather_in_order(
            *(
                expander.step(leaf.state, p, f"{leaf.state.path}.{i}")
                for i, p in enumerate(proposals)
            )
        )
        leaf.expanded = True
        for state in states:
            child = _TreeNode(len(nodes), state, leaf)
            nodes.append(child)
            leaf.children.append(child)
        ends = await gather_in_order(
            *(
                rollout(expander, child.state, ctx, task, f"mcts-sim-{iteration}")
                for child in leaf.children
            )
        )
        for child, end in zip(leaf.children, ends, strict=True):
            value = outcome_value(end)
            child.visits, child.value_sum = 1, value
            backpropagate(leaf, value)
            rollouts.append(end)
            if end is not child.state:
                await expander.release(end)
    for node in nodes:
        await expander.release(node.state)
    candidates = [
        Candidate(trajectory=finalize(s, ctx.max_steps), score=outcome_value(s)) for s in rollouts
    ]
    best = max(candidates, key=lambda c: c.score or 0.0, default=None)
    return StrategyResult(
        best=best.trajectory if best else finalize(root.state, ctx.max_steps),
        candidates=candidates,
        nodes=[_export(n) for n in nodes],
    )


def _export(node: _TreeNode) -> Node:
    steps = node.state.trajectory.steps
    return Node(
        id=node.id,
        parent=node.parent.id if node.parent else None,
        depth=len(steps),
        step=steps[-1] if steps else None,
        fork=ForkHandle(actions=[s.action for s in steps]),
        value=node.mean,
        visits=node.visits,
        value_sum=node.value_sum,
        children=[c.id for c in node.children],
        terminal=node.state.done,
    )
