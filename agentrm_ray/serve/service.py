"""The search backend's logic, independent of Ray Serve: searches, scoring, RM swap, stats.

`SearchService.start(cfg)` builds and starts the actor pools of a `SearchStack` and serves
requests over them; the Serve deployments (`deployments.SearchServer`, or `SearchBackend` in
the split layout) are thin shells around it, and the benchmark calls it in-process to measure
what Serve adds. Expected failures come back as `ErrorReply` values instead of exceptions,
because exceptions crossing a Serve handle arrive wrapped and the ingress would have to unwrap
them to pick a status code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.pool import RewardPool
from agentrm_ray.config import RootConfig
from agentrm_ray.errors import AgentRMError
from agentrm_ray.search.expander import Expander
from agentrm_ray.search.scorers import PoolScorer, Scorer
from agentrm_ray.search.stack import SearchStack
from agentrm_ray.serve.chat_schemas import NextTurnJob, NextTurns
from agentrm_ray.serve.env_tracking import TrackedPoolExpander
from agentrm_ray.serve.model_roots import REFUSAL, swappable
from agentrm_ray.serve.next_turn import NextTurnRanker
from agentrm_ray.serve.reward_switch import RewardSwitch, SwapNotSupported, first_generation
from agentrm_ray.serve.runner import DoneHook, ExpanderFactory, SearchRunner, SearchTimeout
from agentrm_ray.serve.schemas import (
    ErrorReply,
    ProgressEvent,
    ScoreResponse,
    SearchRequest,
    SearchResponse,
    StatsResponse,
    SwapRequest,
    SwapResponse,
)
from agentrm_ray.types import Budget, Task

log = logging.getLogger(__name__)

NEXT_TURN = "next_turn"  # how chat completions are counted in the search metrics

StreamItem = tuple[str, dict[str, Any]]  # (SSE event name, JSON payload)


def serving_stack(cfg: RootConfig) -> SearchStack:
    """The stack a server runs: requests choose their strategy, so RM replicas start whenever
    reward.method loads a model, not only if the configured strategy ranks states."""
    return SearchStack(cfg, with_reward_model=cfg.reward.method.loads_model)


def _root_cause_name(exc: BaseException) -> str:
    """The innermost exception's type name (a Ray error wraps the one the replica raised)."""
    cause = getattr(exc, "cause", None) or exc.__cause__
    return _root_cause_name(cause) if isinstance(cause, BaseException) else type(exc).__name__


class SearchService:
    def __init__(self, cfg: RootConfig, stack: SearchStack, default_max_steps: int | None = None,
                 on_done: DoneHook | None = None,
                 make_expander: ExpanderFactory | None = None) -> None:
        """`make_expander` replaces the PoolExpander (in-process tests use fakes)."""
        self.cfg = cfg
        self.stack = stack
        first = first_generation(stack.reward, stack.scorer,
                                 cfg.reward.model or cfg.policy.model)
        self.rewards = RewardSwitch(first, self._make_pool, self._make_scorer)
        self.runner = SearchRunner(cfg, make_expander or self._make_expander, self.rewards,
                                   default_max_steps, on_done)
        self.ranker = NextTurnRanker(stack.policy, self.rewards)
        self.on_done = on_done

    @classmethod
    async def start(cls, cfg: RootConfig, default_max_steps: int | None = None,
                    on_done: DoneHook | None = None) -> SearchService:
        """Create the actor pools (needs a connected Ray) and wait until they have loaded."""
        stack = serving_stack(cfg)
        await stack.start()
        return cls(cfg, stack, default_max_steps, on_done)

    # --------------------------------------------------------------------- requests
    async def search(self, req: SearchRequest, task: Task) -> SearchResponse | ErrorReply:
        try:
            return await self.runner.run(req, task)
        except SearchTimeout as exc:
            return ErrorReply(status=504, detail=str(exc), loc=["body", "limits", "timeout_s"])

    async def stream(self, req: SearchRequest, task: Task) -> AsyncIterator[StreamItem]:
        """Progress events as the search runs, then its result (or an error event).

        Closing the generator early (the client went away) cancels the search.
        """
        events: asyncio.Queue[ProgressEvent] = asyncio.Queue()
        job = asyncio.ensure_future(self.runner.run(req, task, sink=events.put_nowait))
        try:
            while not job.done():
                waiter = asyncio.ensure_future(events.get())
                await asyncio.wait({waiter, job}, return_when=asyncio.FIRST_COMPLETED)
                if waiter.done():
                    yield "progress", waiter.result().model_dump(mode="json")
                else:
                    waiter.cancel()
            while not events.empty():
                yield "progress", events.get_nowait().model_dump(mode="json")
            try:
                response = job.result()
            except SearchTimeout as exc:
                yield "error", {"status": 504, "detail": str(exc)}
            else:
                yield "result", response.model_dump(mode="json")
        finally:
            if not job.done():
                job.cancel()
                with contextlib.suppress(BaseException):
                    await job

    async def score(self, states: list[RMState]) -> ScoreResponse | ErrorReply:
        async with self.rewards.lease() as rm:
            if rm.pool is None:
                return ErrorReply(status=409, detail=(
                    f"reward.method={self.cfg.reward.method.value} has no RM replicas; "
                    "/v1/score needs value, implicit or judge"))
            results = await rm.pool.score(states)
            return ScoreResponse(scores=results, reward_model=rm.model,
                                 reward_generation=rm.number)

    async def next_turns(self, job: NextTurnJob) -> NextTurns | ErrorReply:
        """Step-level Best-of-N for a chat completion (`serve/next_turn.py`)."""
        outcome, tokens_out = "ok", 0
        try:
            turns = await self.ranker.rank(job)
            tokens_out = sum(c.tokens for c in turns.candidates)  # this call's, not a delta
            return turns                                        # of concurrent calls' counter
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as exc:  # the policy or RM failed: say which, keep the trace in the log
            outcome = "failed"
            log.warning("chat completion failed", exc_info=exc)
            return ErrorReply(status=502, detail=f"sampling or scoring the next turn failed "
                              f"({_root_cause_name(exc)}: {exc}); the server log has the details")
        finally:
            if self.on_done is not None:
                self.on_done(NEXT_TURN, outcome,
                             Budget(policy_tokens_out=tokens_out, policy_calls=1))

    async def swap(self, req: SwapRequest) -> SwapResponse | ErrorReply:
        if not swappable(req.model, self.cfg.serve.model_roots):
            return ErrorReply(status=422, detail=REFUSAL, loc=["body", "model"])
        try:
            response = await self.rewards.swap(req.model, req.drain_timeout_s)
        except SwapNotSupported as exc:
            return ErrorReply(status=409, detail=str(exc))
        except AgentRMError as exc:  # unknown checkpoint path or name (inside the roots)
            return ErrorReply(status=422, detail=str(exc), loc=["body", "model"])
        except Exception as exc:  # the checkpoint exists but does not load as an RM
            # The remote traceback (server paths, pid, actor id) goes to the log, not the reply.
            log.warning("RM swap to %r failed", req.model, exc_info=exc)
            return ErrorReply(
                status=422,
                detail=f"could not load {req.model!r} as an RM ({_root_cause_name(exc)}); "
                "the server log has the details",
                loc=["body", "model"],
            )
        self.stack.reward = self.rewards.current.pool  # the stack shuts down the current one
        return response

    async def stats(self) -> StatsResponse:
        env = await self.stack.envs.stats()
        counters = self.runner.counters
        return StatsResponse(
            searches=counters,
            in_flight=counters.in_flight,
            env_sessions_live=int(sum(env["live"])),
            reward_model=self.rewards.current.model,
            reward_generation=self.rewards.current.number,
            reward_generations_alive=sorted(self.rewards.alive),
            policy_tokens_out=self.runner.tokens_out + self.ranker.tokens_out,
        )

    async def health(self) -> dict[str, Any]:
        return {"in_flight": self.runner.counters.in_flight,
                "reward_generation": self.rewards.current.number}

    async def shutdown(self) -> None:
        await self.rewards.shutdown()
        self.stack.reward = None
        await self.stack.shutdown()

    # --------------------------------------------------------------------- factories
    def _make_expander(self, scorer: Scorer) -> Expander:
        return TrackedPoolExpander(self.stack.policy, self.stack.envs, scorer,
                                   self.cfg.policy.sampling, self.stack.prompts)

    def _make_pool(self, model: str) -> RewardPool:
        # A swapped-in checkpoint is the whole RM: the configured ensemble's other members
        # were fitted beside the model it replaces.
        cfg = self.cfg.model_copy(update={
            "reward": self.cfg.reward.model_copy(update={"model": model, "ensemble": []})})
        return RewardPool(cfg, name=f"reward-g{self.rewards.current.number + 1}")

    def _make_scorer(self, pool: RewardPool) -> Scorer:
        return PoolScorer(pool, self.stack.prompts.rm_instruction)
