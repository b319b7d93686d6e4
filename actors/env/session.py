"""`EnvSession`: the caller's handle on an env session living in some env worker.

Why the caller keeps the action prefix: a worker may evict a session (bounded memory) or die
with it; the prefix, replayed from the same task and seed, rebuilds the exact state anywhere.
So the handle, not the worker, is the source of truth, and the pool updates it in place when
it moves a session to another worker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.types import Task

StepReply = tuple[str, float, bool, bool, dict[str, Any]]


@dataclass(eq=False)
class EnvSession:
    """Where a session lives (`worker`, `session_id`) and how to rebuild it (task + actions)."""

    env_id: str
    task_id: str
    seed: int | None
    actions: list[str]
    worker: int
    session_id: str
    observation: str = ""
    info: dict[str, Any] = field(default_factory=dict)
    finished: bool = False
    closed: bool = False
    # Serialises calls on this handle so the prefix grows in the order steps were applied.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @classmethod
    def for_task(cls, task: Task, actions: list[str], worker: int, reply: dict[str, Any]
                 ) -> EnvSession:
        return cls(task.env_id, task.task_id, task.seed, list(actions), worker,
                   reply["session_id"], reply["observation"], reply["info"], reply["finished"])

    def child(self, worker: int, session_id: str) -> EnvSession:
        """A handle for a fork of this session (same task, a copy of the prefix)."""
        return EnvSession(self.env_id, self.task_id, self.seed, list(self.actions), worker,
                          session_id, self.observation, dict(self.info), self.finished)

    def record_step(self, action: str, reply: dict[str, Any]) -> StepReply:
        """Apply a worker's step reply to the handle; returns the gym 5-tuple."""
        self.actions.append(action)
        self.observation = reply["observation"]
        self.info = reply["info"]
        self.finished = bool(reply["terminated"] or reply["truncated"])
        return (reply["observation"], reply["reward"], reply["terminated"], reply["truncated"],
                reply["info"])

    def __getstate__(self) -> dict[str, Any]:  # locks do not pickle; a copy gets its own
        state = dict(self.__dict__)
        state.pop("lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.lock = asyncio.Lock()
