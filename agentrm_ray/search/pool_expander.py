"""The `Expander` the coordinator uses: actor pools for policy, envs and (optionally) the RM.

A state's handle is its env session; `step` forks the parent's session on its worker and
steps the fork, so siblings never disturb each other. `branch` (the parent is spent) forks
one session fewer: the last child steps the parent's own session, so a rollout steps one
session and a beam makes one fork per extra child, never a replay per step. Prompts come
from the run's `PromptBook` (the family's own, or a prompt pack's); the
policy's text is parsed by the one ReAct parser; an unparseable turn is sent to the env
as-is, which answers with an "Invalid action" observation — the episode goes on, as the env
contract promises.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from agentrm_ray.actors.env import EnvPool
from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.pool import PolicyPool
from agentrm_ray.config.models import SamplingConfig
from agentrm_ray.envs import parse_turn
from agentrm_ray.envs.base import REMOTE_CALLS
from agentrm_ray.prompt_book import PromptBook
from agentrm_ray.search.expander import Expander, Proposal, SearchState
from agentrm_ray.search.scorers import Scorer
from agentrm_ray.types import Step, Task, Trajectory

# Info keys kept in recorded steps (admissible action lists would bloat every record).
KEPT_INFO = ("progress", "success", "valid_action")


class PoolExpander(Expander):
    def __init__(
        self, policy: PolicyPool, envs: EnvPool, scorer: Scorer, sampling: SamplingConfig,
        prompts: PromptBook | None = None,
    ) -> None:
        super().__init__()
        self.policy = policy
        self.envs = envs
        self.scorer = scorer
        self.sampling = sampling
        self.prompts = prompts or PromptBook()

    async def open(self, task: Task) -> SearchState:
        session, observation, info = await self.envs.open(task)
        self._count_remote(info)
        trajectory = Trajectory(
            task=task, goal=info.get("goal", ""), initial_observation=observation
        )
        return SearchState(trajectory, handle=session, info=_slim(info))

    async def propose(
        self, state: SearchState, n: int, temperature: float, seed: int
    ) -> list[Proposal]:
        prompts = self.prompts.for_env(state.trajectory.task.env_id)
        request = GenerationRequest(
            messages=prompts.policy_messages(state.trajectory),
            n=n,
            temperature=temperature,
            top_p=self.sampling.top_p,
            max_tokens=self.sampling.max_tokens,
            stop=self.sampling.stop,
            seed=seed,
            affinity_key=f"{state.trajectory.task.key}#{state.path}",
        )
        result = await self.policy.generate(request)
        self.budget.policy_calls += 1
        self.budget.policy_tokens_in += result.prompt_tokens
        self.budget.policy_tokens_out += result.completion_tokens
        proposals = []
        for sample in result.samples:
            parsed = parse_turn(sample.text)
            proposals.append(Proposal(
                thought=parsed.thought, action=parsed.action, raw=sample.text,
                token_ids=None if sample.token_ids is None else tuple(sample.token_ids),
                logprobs=None if sample.logprobs is None else tuple(sample.logprobs)))
        return proposals

    async def step(self, state: SearchState, proposal: Proposal, path: str) -> SearchState:
        return await self._step_in(await self.envs.fork(state.handle), state, proposal, path)

    async def branch(
        self, state: SearchState, proposals: list[Proposal], paths: list[str]
    ) -> list[SearchState]:
        parent = state.handle
        if parent is None or not proposals:
            return await super().branch(state, proposals, paths)
        forked = await asyncio.gather(*(self.envs.fork(parent) for _ in proposals[1:]),
                                      return_exceptions=True)
        state.handle = None  # spent: its session moves to the last child
        handles = [*forked, parent]
        if any(isinstance(h, BaseException) for h in forked):
            await self._close_quietly([h for h in handles if not isinstance(h, BaseException)])
            raise next(h for h in forked if isinstance(h, BaseException))
        results = await asyncio.gather(
            *(self._step_in(h, state, p, path)
              for h, p, path in zip(handles, proposals, paths, strict=True)),
            return_exceptions=True,
        )
        failure = next((r for r in results if isinstance(r, BaseException)), None)
        if failure is not None:  # the children are lost with the raise: free their sessions
            await self._close_quietly(handles)
            raise failure
        return list(results)  # type: ignore[arg-type]

    def _count_remote(self, info: dict[str, Any]) -> None:
        """Add the env server calls behind this open or step (a fork's replay included)."""
        calls = info.get(REMOTE_CALLS) or {}
        self.budget.remote_creates += calls.get("create", 0)
        self.budget.remote_resets += calls.get("reset", 0)
        self.budget.remote_steps += calls.get("step", 0)

    async def _close_quietly(self, handles: list[Any]) -> None:
        for handle in handles:
            with contextlib.suppress(Exception):
                await self.envs.close(handle)

    async def _step_in(
        self, child: Any, state: SearchState, proposal: Proposal, path: str
    ) -> SearchState:
        """Step `child` (a session in `state`'s state) by `proposal`: the child state."""
        observation, reward, terminated, truncated, info = await self.envs.step(
            child, proposal.action
        )
        self.budget.env_steps += 1
        self._count_remote(info)
        # The raw text is kept where it says more than the action, and always with the ids
        # that spell it (training pairs them).
        keep_raw = proposal.raw.strip() != proposal.action or proposal.token_ids is not None
        step = Step(
            thought=proposal.thought,
            action=proposal.action,
            observation=observation,
            reward=reward,
            info=_slim(info),
            raw=proposal.raw if keep_raw else None,
            token_ids=None if proposal.token_ids is None else list(proposal.token_ids),
            logprobs=None if proposal.logprobs is None else list(proposal.logprobs),
        )
        trajectory = state.trajectory.model_copy(update={"steps": [*state.trajectory.steps, step]})
        return SearchState(
            trajectory,
            handle=child,
            terminated=terminated,
            truncated=truncated,
            info=_slim(info),
            path=path,
            scores=list(state.scores),
        )

    async def score(self, states: list[SearchState]) -> list[float | None]:
        self.budget.rm_calls += len(states)
        return await self.scorer.score(states)

    async def release(self, state: SearchState) -> None:
        if state.handle is not None:
            await self.envs.close(state.handle)
            state.handle = None


def _slim(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info[k] for k in KEPT_INFO if k in info}
