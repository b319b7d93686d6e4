"""The oracle's planner: greedy best-first search with the FF heuristic, BFS as the fallback.

Own code rather than pyperplan (GPL-3), so the default install carries no GPL dependency.
Ground facts are interned to integers once per problem. The heuristic is FF's relaxed-plan
length, with each fact's supporter chosen by h_add cost (better informed than the first
achiever in barman); the relaxed plan's actions applicable now are the "helpful" ones.
The search follows Fast Downward's lazy greedy search with preferred operators: a state is
evaluated when expanded, not when generated, and successors reached by helpful actions also
enter a second queue that gets 1000 extra turns whenever the heuristic improves. That solves
every suite problem in well under a second; plans are then shortened by cutting any loop
that revisits a state.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence

from agentrm_ray.envs.pddl.strips import Fact, GroundAction, State

Plan = list[GroundAction]
UNREACHED = 1 << 30
PREFERRED_BOOST = 1000


class Planner:
    """Plans for one ground problem (its ground actions and goal) from any state."""

    def __init__(self, actions: Sequence[GroundAction], goal: Sequence[Fact]) -> None:
        self.actions = tuple(actions)
        self.goal = frozenset(goal)
        ids: dict[Fact, int] = {}

        def intern(facts: frozenset[Fact]) -> tuple[int, ...]:
            return tuple(ids.setdefault(f, len(ids)) for f in sorted(facts))

        self._goal_ids = intern(self.goal)
        self._pre = [intern(a.pre) for a in self.actions]
        self._add = [intern(a.add) for a in self.actions]
        self._ids = ids
        self._by_pre: list[list[int]] = [[] for _ in ids]
        for index, pre in enumerate(self._pre):
            for fact in pre:
                self._by_pre[fact].append(index)
        self._no_pre = [i for i, pre in enumerate(self._pre) if not pre]
        self._pre_len = [len(p) for p in self._pre]

    # ------------------------------------------------------------------ heuristic
    def heuristic(self, state: State) -> int | None:
        """FF's relaxed-plan length from `state`; None when the goal is relaxed-unreachable
        (then no plan exists at all)."""
        return self.evaluate(state)[0]

    def evaluate(self, state: State) -> tuple[int | None, list[int]]:
        """(relaxed-plan length or None, indices of the helpful actions)."""
        cost = [UNREACHED] * len(self._ids)
        buckets: list[list[int]] = [[]]
        ids = self._ids
        # sorted ids, not set order: string hashes vary per process, and tie-breaking must not
        for index in sorted(ids[f] for f in state if f in ids):
            cost[index] = 0
            buckets[0].append(index)
        supporter: dict[int, int] = {}
        remaining = self._pre_len[:]
        summed = [0] * len(remaining)
        adds, by_pre = self._add, self._by_pre
        ready = [(a, 1) for a in self._no_pre]
        open_goals = {g for g in self._goal_ids if cost[g] != 0}
        settled = [False] * len(cost)
        level = 0
        while True:
            for action, action_cost in ready:  # relax the actions that just became applicable
                for fact in adds[action]:
                    if action_cost < cost[fact]:
                        cost[fact] = action_cost
                        supporter[fact] = action
                        while len(buckets) <= action_cost:
                            buckets.append([])
                        buckets[action_cost].append(fact)
            ready = []
            if not open_goals or level >= len(buckets):
                break
            bucket = buckets[level]
            if not bucket:
                level += 1
                continue
            fact = bucket.pop()  # Dijkstra over h_add costs, one settled fact at a time
            if settled[fact] or cost[fact] != level:
                continue
            settled[fact] = True
            open_goals.discard(fact)
            for action in by_pre[fact]:
                remaining[action] -= 1
                summed[action] += level
                if remaining[action] == 0:
                    ready.append((action, summed[action] + 1))
        if open_goals:
            return None, []
        chosen: set[int] = set()
        todo = [g for g in self._goal_ids if cost[g] > 0]
        seen: set[int] = set()
        while todo:
            fact = todo.pop()
            if fact in seen:
                continue
            seen.add(fact)
            action = supporter[fact]
            if action not in chosen:
                chosen.add(action)
                todo.extend(p for p in self._pre[action] if cost[p] > 0)
        helpful = sorted(a for a in chosen if all(cost[p] == 0 for p in self._pre[a]))
        return len(chosen), helpful

    # ------------------------------------------------------------------ search
    def successors(self, state: State) -> list[tuple[int, State]]:
        return [(i, a.apply(state)) for i, a in enumerate(self.actions) if a.pre <= state]

    def plan(self, state: State, max_expansions: int = 20_000) -> Plan | None:
        """A plan from `state` to the goal, or None when there is none (a dead end) or none
        was found within `max_expansions` expansions of each search."""
        if self.goal <= state:
            return []
        found, exhausted = self._greedy(state, max_expansions)
        if found is None and not exhausted:
            found = self._breadth_first(state, max_expansions)
        if found is None:
            return None
        return eliminate_actions(state, shortcut(state, found), self.goal)

    def _greedy(self, start: State, max_expansions: int) -> tuple[Plan | None, bool]:
        """Lazy GBFS with preferred operators; also says whether the space was exhausted."""
        parent: dict[State, tuple[State, GroundAction] | None] = {start: None}
        queues: list[list[tuple[int, int, State]]] = [[(0, 0, start)], []]
        closed: set[State] = set()
        counter, expansions, turn, boost = 1, 0, 0, 0
        best: int | None = None
        while queues[0] or queues[1]:
            if expansions >= max_expansions:
                return None, False
            if boost > 0 and queues[1]:
                which, boost = 1, boost - 1
            else:
                which = turn if queues[turn] else 1 - turn
                turn = 1 - turn
            _, _, state = heapq.heappop(queues[which])
            if state in closed:
                continue
            closed.add(state)
            expansions += 1
            h, helpful = self.evaluate(state)
            if h is None:
                continue
            if best is None or h < best:
                best = h
                boost += PREFERRED_BOOST
            preferred = set(helpful)
            for index, child in self.successors(state):
                if child in parent:
                    continue
                parent[child] = (state, self.actions[index])
                if self.goal <= child:
                    return _trace(parent, child), False
                heapq.heappush(queues[0], (h, counter, child))
                if index in preferred:
                    heapq.heappush(queues[1], (h, counter, child))
                counter += 1
        return None, True

    def _breadth_first(self, start: State, max_expansions: int) -> Plan | None:
        parent: dict[State, tuple[State, GroundAction] | None] = {start: None}
        queue = deque([start])
        expansions = 0
        while queue and expansions < max_expansions:
            state = queue.popleft()
            expansions += 1
            for index, child in self.successors(state):
                if child in parent:
                    continue
                parent[child] = (state, self.actions[index])
                if self.goal <= child:
                    return _trace(parent, child)
                queue.append(child)
        return None


def _trace(parent: dict[State, tuple[State, GroundAction] | None], state: State) -> Plan:
    plan: Plan = []
    link = parent[state]
    while link is not None:
        state, action = link
        plan.append(action)
        link = parent[state]
    plan.reverse()
    return plan


def shortcut(start: State, plan: Plan) -> Plan:
    """Remove loops: whenever a later state equals an earlier one, drop the steps between."""
    states = [start]
    for action in plan:
        states.append(action.apply(states[-1]))
    result: Plan = []
    i = 0
    last_seen = {s: k for k, s in enumerate(states)}
    while i < len(plan):
        j = last_seen[states[i]]
        if j > i:
            i = j
            continue
        result.append(plan[i])
        i += 1
    return result


def eliminate_actions(start: State, plan: Plan, goal: frozenset[Fact]) -> Plan:
    """Greedy action elimination: drop a step together with the later steps that relied on
    it, whenever what remains still reaches the goal; repeat until nothing can go."""
    i = 0
    while i < len(plan):
        state = start
        for action in plan[:i]:
            state = action.apply(state)
        kept: Plan = []
        for action in plan[i + 1:]:
            if action.pre <= state:
                kept.append(action)
                state = action.apply(state)
        if goal <= state:
            plan = plan[:i] + kept
        else:
            i += 1
    return plan


def validate(start: State, plan: Sequence[GroundAction], goal: Sequence[Fact]) -> bool:
    """True when every step is applicable in turn and the final state satisfies `goal`."""
    state = start
    for action in plan:
        if not action.applicable(state):
            return False
        state = action.apply(state)
    return frozenset(goal) <= state
