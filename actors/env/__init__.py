"""Env workers: Ray actors hosting many text-env sessions, and the pool that routes to them.

`EnvPool` is what search code uses: `open(task)`, `step(session, action)`, `fork(session)`,
`open_at(task, actions)`, `close(session)`. Sessions live in `EnvWorker` actors (many per
worker, bounded, blocking envs off the event loop); the caller's `EnvSession` keeps the action
prefix, so an evicted session or one lost with a dead worker is rebuilt by replay and the
caller sees a delay, not an error.
"""

from agentrm_ray.actors.env.errors import EnvPoolError, SessionClosedError, SessionEvictedError
from agentrm_ray.actors.env.pool import EnvPool
from agentrm_ray.actors.env.session import EnvSession, StepReply
from agentrm_ray.actors.env.store import SessionStore
from agentrm_ray.actors.env.worker import EnvFactory, EnvWorker, EnvWorkerImpl

__all__ = [
    "EnvFactory",
    "EnvPool",
    "EnvPoolError",
    "EnvSession",
    "EnvWorker",
    "EnvWorkerImpl",
    "SessionClosedError",
    "SessionEvictedError",
    "SessionStore",
    "StepReply",
]
