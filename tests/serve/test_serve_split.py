"""The split layout over HTTP: an autoscaled ingress in front of the backend that owns the pools.

`serve.autoscaling` that lets the HTTP layer scale puts a Serve handle hop between the FastAPI
app and the search service; results cross it as JSON bytes, errors as `ErrorReply`.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fakes import MAZE_TASK
from netutil import free_port

pytestmark = [pytest.mark.integration, pytest.mark.solo]


@pytest.fixture(scope="module")
def split_url(ray_cluster, tiny_model: str) -> Iterator[str]:
    from ray import serve

    from agentrm_ray.config import load_config
    from agentrm_ray.serve.app import APP_NAME, start_search_app, stop_search_app

    cfg = load_config(overrides=[
        f"policy.model={tiny_model}", "policy.backend=hf", "policy.sampling.max_tokens=8",
        "policy.num_cpus_per_replica=0.5", "reward.method=oracle",
        "envs.num_cpus_per_worker=0.25", "tasks.max_steps=2", f"serve.port={free_port()}",
        "serve.autoscaling.max_replicas=2", "serve.limits.max_n=2",
    ])
    url = start_search_app(cfg)
    try:
        deployments = serve.status().applications[APP_NAME].deployments
        assert set(deployments) == {"SearchIngress", "SearchBackend"}
        yield url
    finally:
        stop_search_app()


def test_split_layout_serves_searches_errors_and_stats(split_url: str) -> None:
    with httpx.Client(base_url=split_url, timeout=120) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        r = c.post("/v1/search", json={"task": MAZE_TASK, "strategy": {
            "name": "best_of_n", "n": 2}})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", r.text
        result = r.json()["result"]
        assert result["error"] is None and len(result["candidates"]) == 2
        over = c.post("/v1/search", json={"task": MAZE_TASK, "strategy": {
            "name": "best_of_n", "n": 3}})
        assert over.status_code == 422 and over.json()["detail"][0]["loc"] == [
            "body", "strategy", "n"]
        score = c.post("/v1/score", json={"states": [{"trajectory": result["best"]}]})
        assert score.status_code == 409  # an ErrorReply from the backend, across the hop
        model = c.get("/v1/models").json()["data"][0]["id"]
        chat = c.post("/v1/chat/completions", json={"model": model, "best_of": 2, "messages": [
            {"role": "user", "content": "Your task is to: reach the exit"}]})
        assert chat.status_code == 200, chat.text  # the backend's NextTurns, across the hop
        assert chat.json()["agentrm"]["scorer"] == "none"  # reward.method=oracle: no RM
        assert len(chat.json()["agentrm"]["candidates"]) == 2
        stats = c.get("/v1/stats").json()
    assert stats["searches"]["finished"] == 1 and stats["env_sessions_live"] == 0
