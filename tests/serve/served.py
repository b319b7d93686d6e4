"""What the `served` fixture hands to tests: where the test server listens and its token."""

from __future__ import annotations

from dataclasses import dataclass

TOKEN = "test-token-123"
ADMIN_TOKEN = "test-admin-token-456"  # the admin endpoints' own token
# Small caps keep fuzzed requests cheap: every accepted search is at most a few seconds.
# They are config (`serve.limits`), set here as overrides.
TEST_LIMITS = {"max_n": 4, "max_beam_cells": 4, "max_steps": 4, "max_mcts_iterations": 4,
               "max_mcts_expansions": 2, "max_timeout_s": 120, "max_score_states": 8,
               "max_completion_tokens": 16}
LIMIT_OVERRIDES = [f"serve.limits.{key}={value}" for key, value in TEST_LIMITS.items()]


@dataclass(frozen=True)
class Served:
    url: str
    port: int
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def admin_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
