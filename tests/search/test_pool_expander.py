"""How many env sessions a search forks and how many steps it sends, through `PoolExpander`.

A session that lives on a server (AgentGym) pays for every fork with a create and a replay of
the prefix, so a spent state's session must move on with its branch: a rollout forks nothing,
and a beam forks once per child beyond the first of each parent. The env pool and the
proposals are fakes (`CountingEnvPool`, `ScriptedProposals`); the expander and the
strategies are the real ones.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.config.models import SamplingConfig
from agentrm_ray.search.expander import Proposal, SearchState
from agentrm_ray.search.pool_expander import PoolExpander
from agentrm_ray.search.strategies import STRATEGIES, StrategyContext
from agentrm_ray.types import Task

TASK = Task(env_id="agentrm/Maze-v0", task_id="double-t-01", seed=1)


class CountingEnvPool:
    """Duck-typed EnvPool: a session is an int whose state is its action prefix."""

    def __init__(self) -> None:
        self.prefix: dict[int, list[str]] = {}
        self.closed: set[int] = set()
        self.counts = {"open": 0, "fork": 0, "step": 0, "replayed": 0}
        self._next = 0

    def _new(self, prefix: list[str]) -> int:
        self._next += 1
        self.prefix[self._next] = list(prefix)
        return self._next

    async def open(self, task: Task) -> tuple[int, str, dict[str, Any]]:
        self.counts["open"] += 1
        return self._new([]), "start", {"goal": "reach the goal"}

    async def fork(self, session: int) -> int:
        assert session not in self.closed, f"forking closed session {session}"
        self.counts["fork"] += 1
        self.counts["replayed"] += len(self.prefix[session])  # what a server fork replays
        return self._new(self.prefix[session])

    async def step(self, session: int, action: str) -> Any:
        assert session not in self.closed, f"stepping closed session {session}"
        await asyncio.sleep(0)  # let concurrent calls interleave, as actors would
        self.counts["step"] += 1
        self.prefix[session].append(action)
        return f"after {'/'.join(self.prefix[session])}", 0.0, False, False, {}

    async def close(self, session: int) -> None:
        self.closed.add(session)

    @property
    def open_sessions(self) -> set[int]:
        return set(self.prefix) - self.closed


class ZeroScorer:
    async def score(self, states: list[SearchState]) -> list[float | None]:
        return [0.0 for _ in states]


class ScriptedProposals(PoolExpander):
    """PoolExpander with a fake policy: n distinct actions a0..a{n-1} for every state."""

    async def propose(self, state: SearchState, n: int, temperature: float,
                      seed: int) -> list[Proposal]:
        return [Proposal("", f"a{i}", f"a{i}") for i in range(n)]


def _search(strategy: str, depth: int, *overrides: str) -> CountingEnvPool:
    pool = CountingEnvPool()
    expander = ScriptedProposals(None, pool, ZeroScorer(), SamplingConfig())  # type: ignore[arg-type]
    cfg = load_config(overrides=list(overrides))
    ctx = StrategyContext(cfg.search, max_steps=depth, temperature=1.0, seed=0)
    asyncio.run(STRATEGIES[strategy](expander, TASK, ctx))
    return pool


def test_a_rollout_steps_one_session_and_never_forks() -> None:
    pool = _search("greedy", 6)
    assert pool.counts == {"open": 1, "fork": 0, "step": 6, "replayed": 0}
    assert pool.prefix[1] == ["a0"] * 6 and pool.open_sessions == set()


@pytest.mark.parametrize("depth", [2, 4, 8])
def test_beam_forks_once_per_extra_child_and_replay_grows_linearly(depth: int) -> None:
    width, expansions = 2, 2
    pool = _search("beam", depth, f"search.beam.width={width}",
                   f"search.beam.expansions={expansions}")
    children = width * expansions * depth
    forks = (width * expansions - 1) + (depth - 1) * width * (expansions - 1)
    assert pool.counts["open"] == 1 and pool.counts["step"] == children
    assert pool.counts["fork"] == forks < children  # forking every child would be `children`
    # each fork replays its parent's prefix (< depth steps): linear in depth per level
    assert pool.counts["replayed"] <= forks * (depth - 1)
    assert pool.open_sessions == set()


def test_best_of_n_forks_the_root_only() -> None:
    pool = _search("best_of_n", 5, "search.best_of_n.n=4")
    assert pool.counts == {"open": 1, "fork": 3, "step": 4 * 5, "replayed": 0}
    assert pool.open_sessions == set()


def test_branch_forks_before_the_parent_session_moves_on() -> None:
    pool = CountingEnvPool()
    expander = ScriptedProposals(None, pool, ZeroScorer(), SamplingConfig())  # type: ignore[arg-type]

    async def go() -> list[SearchState]:
        root = await expander.open(TASK)
        (first,) = await expander.branch(root, [Proposal("", "x", "x")], ["0.0"])
        proposals = [Proposal("", a, a) for a in ("p", "q", "r")]
        children = await expander.branch(first, proposals, ["0.0.0", "0.0.1", "0.0.2"])
        assert root.handle is None and first.handle is None  # spent
        return children

    children = asyncio.run(go())
    assert [pool.prefix[c.handle] for c in children] == [["x", "p"], ["x", "q"], ["x", "r"]]
    assert children[-1].handle == 1  # the last child took the parent's own session
    assert [c.trajectory.steps[-1].observation for c in children] == [
        "after x/p", "after x/q", "after x/r"]
