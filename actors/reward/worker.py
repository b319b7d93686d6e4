"""`RewardWorker`: the Ray actor hosting one scoring method; concurrent calls are batched."""

from __future__ import annotations

import asyncio
from typing import Any

import ray

from agentrm_ray.actors.batching import MicroBatcher
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods import RewardSettings, method_class


class RewardWorkerImpl:
    def __init__(self, method: str, settings: RewardSettings, name: str = "reward-0") -> None:
        self.name = name
        self.method = method_class(method, settings.backend)(settings)
        self._batcher: MicroBatcher[RMState, ScoreResult] | None = None
        self._started = False
        # A restarted actor gets its callers' retries at once, each calling start(): one load.
        self._start_lock = asyncio.Lock()
        self.states_scored = 0

    async def start(self) -> str:
        async with self._start_lock:
            if not self._started:
                await asyncio.to_thread(self.method.load)
                if self.method.is_async:
                    await self.method.start()  # type: ignore[attr-defined]
                else:
                    self._batcher = MicroBatcher(
                        self.method.score_batch, self.method.settings.max_batch_size
                    )
                self._started = True
        return self.name

    async def score(self, states: list[RMState | dict[str, Any]]) -> list[ScoreResult]:
        if not self._started:
            await self.start()
        parsed = [s if isinstance(s, RMState) else RMState.model_validate(s) for s in states]
        self.states_scored += len(parsed)
        if self.method.is_async:
            return await self.method.score_async(parsed)  # type: ignore[attr-defined]
        assert self._batcher is not None
        return list(await asyncio.gather(*(self._batcher.submit(s) for s in parsed)))

    async def pick(self, states: list[RMState]) -> tuple[int | None, str | None]:
        """Judge only: the best of several trajectories."""
        if not self._started:
            await self.start()
        if not hasattr(self.method, "pick"):
            raise ValueError(f"reward.method {type(self.method).__name__} cannot pick")
        return await self.method.pick(states)  # type: ignore[attr-defined]

    def stats(self) -> dict[str, Any]:
        batcher = self._batcher
        return {
            "states_scored": self.states_scored,
            "batches": batcher.batches if batcher else 0,
            "prefix_hits": getattr(self.method, "prefix_hits", 0),
            # the judge's generation backend (None for methods that score with their own model)
            "backend": type(self.method.backend).__name__ if hasattr(self.method, "backend")
            else None,
        }

    async def shutdown(self) -> None:
        if self._batcher is not None:
            self._batcher.close()


RewardWorker = ray.remote(RewardWorkerImpl)
