"""In-process fakes for the serving layer: the suite's FakeExpander over a toy world (env id
fake/AllA-v0), RM pools, a stack.

The toy world: actions "a", "b", "c"; an episode ends after `depth` actions; progress is the
share of "a"s and success means all "a"s. A fake RM scores a state by its progress (+ bias),
so beam search has a right answer. Every env handle handed out is tracked in the world's
`live`, which is how tests see whether a cancelled search released its envs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fake_expander import FakeExpander, FakeWorld, State
from ray.exceptions import TaskCancelledError

from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult, Sample
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.config import RootConfig, load_config
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.serve.catalog import RegistryCatalog
from agentrm_ray.serve.schemas import ScoreItem, TaskRef
from agentrm_ray.serve.service import SearchService
from agentrm_ray.types import Task, Trajectory

ACTIONS = ("a", "b", "c")
SAMPLED_ACTIONS = ("b", "c", "a")  # FakePolicyPool's samples, in order
MAZE_TASK = {"env_id": "agentrm/Maze-v0", "task_id": "double-t-01"}  # a real task: real servers
TOY_ENV = "fake/AllA-v0"  # the toy world's own env id: never passed off as a registered env
TOY_TASK = {"env_id": TOY_ENV, "task_id": "all-a-01"}
TOY_SEED = 7


class ToyCatalog(RegistryCatalog):
    """The registry plus the toy env, for in-process APIs over a FakeExpander: a request for
    the toy env reaches the toy world; any other goes through the real catalog's checks."""

    def resolve(self, ref: TaskRef) -> Task:
        if ref.env_id != TOY_ENV:
            return super().resolve(ref)
        return Task(env_id=TOY_ENV, task_id=ref.task_id, split="test",
                    seed=TOY_SEED if ref.seed is None else ref.seed)

    def instructions(self, items: list[ScoreItem]) -> list[str]:
        out = []
        for item in items:
            toy = item.trajectory.task.env_id == TOY_ENV
            out.append("make every action an a" if toy else super().instructions([item])[0])
        return out


def progress_of(trajectory: Trajectory) -> float:
    actions = [s.action for s in trajectory.steps]
    return actions.count("a") / len(actions) if actions else 0.0


def _share_of_a(state: State) -> float:
    return state.count("a") / len(state) if state else 0.0


def World(depth: int = 3, delay_s: float = 0.0,
          ray_cancels_step: int | None = None) -> FakeWorld:
    """The toy world: actions a/b/c proposed in order from the request's seed; success means
    all a's. `ray_cancels_step` raises Ray's TaskCancelledError from that env step (1-based),
    as an actor call cancelled under a hung-up request does when Ray's cancel lands first."""
    return FakeWorld(
        depth=depth, choices=lambda s: list(ACTIONS), shuffle=False, seed_offset=True,
        success=lambda s: _share_of_a(s) == 1.0, progress=_share_of_a, delay_s=delay_s,
        fail_on_step=lambda n: TaskCancelledError() if n == ray_cancels_step else None,
        goal="all a")


class FakeRewardPool:
    """Duck-typed RewardPool: scores progress + bias; records start/shutdown."""

    def __init__(self, bias: float = 0.0, load_s: float = 0.0, fail: bool = False) -> None:
        self.bias = bias
        self.load_s = load_s
        self.fail = fail
        self.events: list[str] = []

    async def start(self) -> None:
        await asyncio.sleep(self.load_s)
        if self.fail:
            raise RuntimeError("not a value-head checkpoint")
        self.events.append("started")

    async def score(self, states: list[RMState], affinity_key: str | None = None
                    ) -> list[ScoreResult]:
        return [ScoreResult(score=progress_of(s.trajectory) + self.bias) for s in states]

    async def shutdown(self) -> None:
        self.events.append("shutdown")


class FakePolicyPool:
    """Duck-typed PolicyPool for chat completions: the i-th sample proposes SAMPLED_ACTIONS[i]
    (cycled), so the fake RM's favourite ("a") is never the first sample; records requests."""

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        self.requests.append(request)
        samples = [Sample(text=f"Thought: try {action}\nAction: {action}", num_tokens=5,
                          finish_reason="stop")
                   for action in (SAMPLED_ACTIONS[i % len(SAMPLED_ACTIONS)]
                                  for i in range(request.n))]
        return GenerationResult(samples=samples, prompt_tokens=11)


class FakeEnvs:
    def __init__(self, world: World) -> None:
        self.world = world

    async def stats(self) -> dict[str, Any]:
        return {"live": [len(self.world.live)]}


@dataclass
class FakeStack:
    """What SearchService reads of a SearchStack."""

    envs: FakeEnvs
    reward: Any
    scorer: Scorer
    policy: Any = None
    prompts: PromptBook = field(default_factory=PromptBook)

    async def shutdown(self) -> None:
        if self.reward is not None:
            await self.reward.shutdown()


def fake_config(**overrides: Any) -> RootConfig:
    sets = [f"{k.replace('__', '.')}={v}" for k, v in overrides.items()]
    return load_config(overrides=[
        "reward.method=value", "reward.model=/fake/rm-0", "serve.model_roots=[/fake]", *sets])


def fake_service(world: World, pool: FakeRewardPool | None = None,
                 cfg: RootConfig | None = None) -> tuple[SearchService, FakeRewardPool]:
    """A SearchService over the toy world, with a fake RM pool as generation 0."""
    from agentrm_ray.search.scorers import PoolScorer

    def toy_scorer(rm: Any) -> PoolScorer:  # the toy env's instruction, not a registry lookup
        return PoolScorer(rm, lambda task: "make every action an a")

    pool = pool or FakeRewardPool()
    stack = FakeStack(FakeEnvs(world), pool, toy_scorer(pool), FakePolicyPool())
    service = SearchService(cfg or fake_config(), stack,  # type: ignore[arg-type]
                            make_expander=lambda s: FakeExpander(world, scorer=s))
    service.rewards.make_scorer = toy_scorer  # swapped-in RMs score the toy env too
    return service, pool
