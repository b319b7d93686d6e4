"""LLM judge: a generation backend (the policy backends' code) asked to score states."""

from __future__ import annotations

import asyncio

from agentrm_ray.actors.policy.api import GenerationRequest, RequestError
from agentrm_ray.actors.policy.backends import BackendSettings, backend_class
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import AsyncScoringMethod
from agentrm_ray.actors.reward.methods.judge_prompts import (
    JudgeParseError,
    parse_pick,
    parse_score,
    pick_prompt,
    score_prompt,
)

JUDGE_MAX_TOKENS = 16


class JudgeMethod(AsyncScoringMethod):
    def load(self) -> None:
        s = self.settings
        self.backend = backend_class(s.judge_backend)(
            BackendSettings(
                model_path=s.model_path,
                dtype=s.dtype,
                max_model_len=s.max_length,
                num_threads=s.num_threads,
                max_batch_size=s.max_batch_size,
                seed=s.seed,
                enforce_eager=s.engine_enforce_eager,
                kv_cache_gib=s.engine_kv_cache_gib,
                gpu_memory_utilization=s.engine_gpu_memory_utilization,
                gpus=s.gpus,
            )
        )

    async def start(self) -> None:
        await self.backend.start()

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        raise NotImplementedError("the judge scores asynchronously through its backend")

    async def score_async(self, states: list[RMState]) -> list[ScoreResult]:
        return list(await asyncio.gather(*(self._score_one(s) for s in states)))

    async def pick(self, states: list[RMState]) -> tuple[int | None, str | None]:
        """Index of the attempt the judge thinks best, or (None, why it could not tell)."""
        answer = await self._ask(pick_prompt(states))
        try:
            return parse_pick(answer, len(states)), None
        except JudgeParseError as exc:
            return None, str(exc)

    async def _score_one(self, state: RMState) -> ScoreResult:
        try:
            answer = await self._ask(score_prompt(state))
        except RequestError as exc:  # e.g. a state longer than the judge's context
            return ScoreResult(score=None, error=f"judge could not read the state: {exc}")
        try:
            return ScoreResult(score=parse_score(answer))
        except JudgeParseError as exc:
            return ScoreResult(score=None, error=str(exc))

    async def _ask(self, prompt: str) -> str:
        request = GenerationRequest(
            messages=[{"role": "user", "content": prompt}],
            temperature=0.0,
            max_tokens=JUDGE_MAX_TOKENS,
            seed=self.settings.seed,
        )
        result = await self.backend.generate(request)
        return result.samples[0].text
