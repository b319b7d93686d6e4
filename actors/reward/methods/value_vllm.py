"""Explicit RM on a vLLM pooling engine (`reward.backend: vllm`).

Our exported value RMs are `*ForSequenceClassification` checkpoints, which vLLM serves as
pooling models: the head's outputs at the last token, as transformers reads them. The engine's
prefix cache stands in for the hf method's hand-written key/value reuse (a beam's sibling
states share everything but their last step), and its scheduler batches whatever states are in
flight, so each state is simply one request.
"""

from __future__ import annotations

import itertools

from agentrm_ray.actors.policy.backends.base import BackendSettings
from agentrm_ray.actors.policy.backends.vllm_backend import engine_arguments, start_engine
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import AsyncScoringMethod, RewardSettings

# Raw head outputs, as the hf method and training read them (no sigmoid/softmax on top).
POOLING_TASK = "classify"


def value_engine_arguments(s: RewardSettings) -> dict[str, object]:
    """vLLM engine arguments of a value RM replica (the benchmark builds its engine from them)."""
    args = engine_arguments(BackendSettings(
        model_path=s.model_path, dtype=s.dtype, max_model_len=s.max_length, seed=s.seed,
        enforce_eager=s.engine_enforce_eager, kv_cache_gib=s.engine_kv_cache_gib,
        gpu_memory_utilization=s.engine_gpu_memory_utilization, gpus=s.gpus))
    return {**args, "runner": "pooling"}


class VLLMValueMethod(AsyncScoringMethod):
    def load(self) -> None:
        """Nothing to load here: the engine loads the model in `start` (start_engine also
        makes the device rule's check)."""

    async def start(self) -> None:
        self.engine, self.tokenizer, self._lifeline = await start_engine(
            value_engine_arguments(self.settings), self.settings.gpus)
        self._ids = itertools.count()

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        raise NotImplementedError("the vLLM value RM scores asynchronously through its engine")

    async def score_async(self, states: list[RMState]) -> list[ScoreResult]:
        import asyncio

        return list(await asyncio.gather(*(self._score_one(s) for s in states)))

    def token_ids(self, state: RMState) -> list[int]:
        """The state's text as the hf method reads it: the newest max_length tokens."""
        text = self.settings.template.text(state.instruction, state.trajectory)
        ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return list(ids[-self.settings.max_length:])

    async def _score_one(self, state: RMState) -> ScoreResult:
        from vllm import PoolingParams, TokensPrompt

        params = PoolingParams(task=POOLING_TASK, use_activation=False)
        final = None
        async for output in self.engine.encode(
            TokensPrompt(prompt_token_ids=self.token_ids(state)), params,
            request_id=f"score-{next(self._ids)}",
        ):
            final = output
        assert final is not None
        return ScoreResult(score=float(final.outputs.data[self.settings.score_label]))
