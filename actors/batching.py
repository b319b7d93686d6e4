"""Micro-batching of concurrent calls: callers await single items, the model sees batches.

Items that arrive while a batch is being computed, or within `window_s` of the first one,
join the next batch (up to `max_weight`, e.g. sampled rows or scored states). The batch runs in
a worker thread so the actor's event loop keeps accepting calls during a forward pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class MicroBatcher(Generic[In, Out]):
    def __init__(
        self,
        compute: Callable[[list[In]], Sequence[Out]],
        max_weight: int,
        weight: Callable[[In], int] = lambda _: 1,
        window_s: float = 0.005,
    ) -> None:
        self._compute = compute
        self._max_weight = max_weight
        self._weight = weight
        self._window_s = window_s
        self._queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.batches = 0
        self.items = 0

    async def submit(self, item: In) -> Out:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # first use, or a new event loop: queue and task are per loop
            self.close()
            self._loop = loop
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._run(self._queue))
        assert self._queue is not None
        future: asyncio.Future[Out] = loop.create_future()
        await self._queue.put((item, future))
        return await future

    def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        self._loop = None

    async def _run(self, queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            weight = self._weight(batch[0][0])
            deadline = loop.time() + self._window_s
            while weight < self._max_weight:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        break
                    try:
                        item = await asyncio.wait_for(queue.get(), remaining)
                    except TimeoutError:
                        break
                batch.append(item)
                weight += self._weight(item[0])
            self.batches += 1
            self.items += len(batch)
            try:
                results = await asyncio.to_thread(self._compute, [item for item, _ in batch])
            except Exception as exc:  # the batch fails, the loop lives on
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
