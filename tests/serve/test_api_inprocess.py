"""The HTTP layer and the search service in-process (no Ray): validation, limits, auth,
streaming, cancellation and RM swap semantics over a toy world with fake pools."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fakes import (
    MAZE_TASK,
    TOY_ENV,
    TOY_SEED,
    TOY_TASK,
    FakeRewardPool,
    ToyCatalog,
    World,
    fake_config,
    fake_service,
)
from sse_client import parse_sse

from agentrm_ray.serve.api import IngressSettings, create_api
from agentrm_ray.serve.auth import token_digest
from agentrm_ray.serve.limits import ServeLimits
from agentrm_ray.serve.runner import SearchTimeout
from agentrm_ray.serve.schemas import SearchRequest, SwapRequest
from agentrm_ray.types import Task

LIMITS = ServeLimits(max_n=4, max_beam_cells=6, max_steps=10, max_mcts_iterations=8,
                     max_mcts_expansions=3, max_timeout_s=30, max_score_states=3)


def _call(method: str, path: str, *, world: World | None = None, settings: IngressSettings
          | None = None, **kwargs: Any) -> httpx.Response:
    service, _ = fake_service(world or World())
    api = create_api(service, settings or IngressSettings("value", 4096, None, LIMITS),
                     catalog=ToyCatalog())

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(go())


def _locs(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    return [e["loc"] for e in response.json()["detail"]]


# ------------------------------------------------------------------------- happy paths
def test_greedy_search_returns_the_search_result() -> None:
    r = _call("POST", "/v1/search", json={"task": TOY_TASK})
    assert r.status_code == 200, r.text
    body = r.json()
    result = body["result"]
    assert result["strategy"] == "greedy" and result["error"] is None
    assert result["task"]["task_id"] == "all-a-01" and result["task"]["env_id"] == TOY_ENV
    assert result["task"]["seed"] == TOY_SEED  # the catalog's seed when the request has none
    assert len(result["best"]["steps"]) == 3 and result["budget"]["env_steps"] == 3
    assert body["reward_generation"] == 0 and body["reward_model"] == "/fake/rm-0"


def test_beam_search_keeps_the_states_the_rm_likes() -> None:
    r = _call("POST", "/v1/search", json={"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 2, "expansions": 3}})
    result = r.json()["result"]
    assert [s["action"] for s in result["best"]["steps"]] == ["a", "a", "a"]
    scores = [c["score"] for c in result["candidates"]]
    assert scores == sorted(scores, reverse=True) and scores[0] == 1.0
    assert result["budget"]["rm_calls"] > 0


def test_stream_reports_progress_events_then_the_result() -> None:
    r = _call("POST", "/v1/search/stream", json={"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 2, "expansions": 2}})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = parse_sse(r.text)
    kinds = [event for event, _ in frames]
    assert kinds[-1] == "result" and kinds.count("result") == 1
    progress = [data for event, data in frames if event == "progress"]
    assert progress[0]["kind"] == "opened"
    scored = [p for p in progress if p["kind"] == "scored"]
    assert len(scored) == 3  # one per beam step, each with the scored states
    assert all(e["score"] is not None for p in scored for e in p["beam"])
    steps = [p["budget"]["env_steps"] for p in progress]
    assert steps == sorted(steps) and steps[-1] == frames[-1][1]["result"]["budget"]["env_steps"]


def test_envs_lists_every_family_with_task_counts() -> None:
    envs = _call("GET", "/v1/envs").json()["envs"]
    maze = next(e for e in envs if e["family"] == "maze")
    assert maze["env_id"] == "agentrm/Maze-v0" and maze["available"]
    assert maze["tasks"]["test"] > 0


# ------------------------------------------------------------------------- 4xx
@pytest.mark.parametrize(("body", "loc"), [
    ({}, ["body", "task"]),
    ({"task": {"env_id": "maze"}}, ["body", "task", "task_id"]),
    ({"task": TOY_TASK, "strategy": {"name": "dfs"}}, ["body", "strategy"]),
    ({"task": TOY_TASK, "strategy": {"name": "best_of_n", "n": 0}},
     ["body", "strategy", "best_of_n", "n"]),
    ({"task": TOY_TASK, "temperature": -1}, ["body", "temperature"]),
    ({"task": TOY_TASK, "bogus": 1}, ["body", "bogus"]),
    ({"task": {**TOY_TASK, "seed": "x"}}, ["body", "task", "seed"]),
])
def test_malformed_requests_are_422_naming_the_field(body: dict, loc: list) -> None:
    assert loc in _locs(_call("POST", "/v1/search", json=body))


def test_invalid_json_is_a_4xx() -> None:
    r = _call("POST", "/v1/search", content=b"{not json",
              headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["detail"][0]["type"] == "json_invalid"


@pytest.mark.parametrize(("strategy", "limits", "loc"), [
    ({"name": "best_of_n", "n": 5}, {}, ["body", "strategy", "n"]),
    ({"name": "beam", "width": 4, "expansions": 2}, {}, ["body", "strategy", "width"]),
    ({"name": "mcts", "iterations": 9, "expansions": 2}, {}, ["body", "strategy", "iterations"]),
    ({"name": "mcts", "iterations": 4, "expansions": 4}, {}, ["body", "strategy", "expansions"]),
    ({"name": "greedy"}, {"max_steps": 11}, ["body", "limits", "max_steps"]),
    ({"name": "greedy"}, {"timeout_s": 31}, ["body", "limits", "timeout_s"]),
])
def test_budget_over_the_server_limits_is_422_naming_the_field(strategy: dict, limits: dict,
                                                               loc: list) -> None:
    body = {"task": TOY_TASK, "strategy": strategy, "limits": limits}
    assert _locs(_call("POST", "/v1/search", json=body)) == [loc]
    assert _locs(_call("POST", "/v1/search/stream", json=body)) == [loc]


def test_limits_from_a_yaml_config_are_the_ones_enforced(tmp_path) -> None:
    """`serve.limits` in a config file is what the app enforces (not code defaults)."""
    import yaml

    from agentrm_ray.config import load_config

    path = tmp_path / "serve.yaml"
    path.write_text(yaml.safe_dump({"reward": {"method": "value"}, "serve": {"limits": {
        "max_n": 2, "max_steps": 3, "max_score_states": 1}}}))
    settings = IngressSettings.from_config(load_config(path))
    assert settings.limits.max_n == 2 and settings.limits.max_beam_cells == 16  # the rest: default

    def search(strategy: dict, limits: dict | None = None) -> httpx.Response:
        return _call("POST", "/v1/search", settings=settings,
                     json={"task": TOY_TASK, "strategy": strategy, "limits": limits or {}})

    over = search({"name": "best_of_n", "n": 3})
    assert _locs(over) == [["body", "strategy", "n"]]
    assert "limit of 2" in over.json()["detail"][0]["msg"]
    assert search({"name": "best_of_n", "n": 2}).status_code == 200
    assert _locs(search({"name": "greedy"}, {"max_steps": 4})) == [["body", "limits", "max_steps"]]
    states = [{"trajectory": {"task": TOY_TASK, "steps": [{"action": "a"}]}}]
    assert _call("POST", "/v1/score", settings=settings, json={"states": states}).status_code == 200
    r = _call("POST", "/v1/score", settings=settings, json={"states": states * 2})
    assert _locs(r) == [["body", "states"]]
    default = IngressSettings.from_config(load_config(overrides=["reward.method=value"]))
    assert _call("POST", "/v1/search", settings=default, json={
        "task": TOY_TASK, "strategy": {"name": "best_of_n", "n": 3}}).status_code == 200


def test_unknown_env_task_or_split_is_422_naming_the_field() -> None:
    assert _locs(_call("POST", "/v1/search", json={"task": {"env_id": "nope", "task_id": "x"}})
                 ) == [["body", "task", "env_id"]]
    assert _locs(_call("POST", "/v1/search", json={"task": {"env_id": "maze", "task_id": "x"}})
                 ) == [["body", "task", "task_id"]]
    assert _locs(_call("POST", "/v1/search", json={"task": {**MAZE_TASK, "split": "train"}})
                 ) == [["body", "task", "split"]]


def test_strategies_that_rank_need_an_rm_on_the_server() -> None:
    settings = IngressSettings("none", 4096, None, LIMITS)
    r = _call("POST", "/v1/search", settings=settings,
              json={"task": TOY_TASK, "strategy": {"name": "beam"}})
    assert _locs(r) == [["body", "strategy", "name"]]
    ok = _call("POST", "/v1/search", settings=settings, json={"task": TOY_TASK})
    assert ok.status_code == 200


def test_declared_oversized_body_is_413() -> None:
    big = json.dumps({"task": TOY_TASK, "pad": "x" * 5000})
    r = _call("POST", "/v1/search", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "4096" in r.json()["detail"]


def test_chunked_oversized_body_is_413() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1000  # no Content-Length: counted as it arrives

    r = _call("POST", "/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413


def test_auth_on_needs_the_bearer_token_except_for_health_and_docs() -> None:
    settings = IngressSettings("value", 4096, token_digest("s3cret"), LIMITS)
    missing = _call("GET", "/v1/envs", settings=settings)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    wrong = _call("GET", "/v1/envs", settings=settings, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = _call("GET", "/v1/envs", settings=settings,
                  headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200
    for path in ("/v1/search", "/v1/search/stream", "/v1/score"):
        assert _call("POST", path, settings=settings, json={}).status_code == 401, path
    # No admin token configured while auth is on: the admin endpoints are off altogether.
    assert _call("POST", "/v1/admin/reward-model", settings=settings, json={}).status_code == 403
    assert _call("GET", "/v1/stats", settings=settings).status_code == 401
    assert _call("GET", "/healthz", settings=settings).status_code == 200
    assert _call("GET", "/openapi.json", settings=settings).status_code == 200


def test_admin_endpoints_take_their_own_token_only() -> None:
    swap = {"model": "/etc"}  # refused by the roots once past auth: a 422 means "admitted"
    both = IngressSettings("value", 4096, token_digest("s3cret"), LIMITS,
                           admin_digest=token_digest("adm1n"))
    search_token = {"Authorization": "Bearer s3cret"}
    admin_token = {"Authorization": "Bearer adm1n"}
    assert _call("POST", "/v1/admin/reward-model", settings=both, json=swap,
                 headers=search_token).status_code == 401
    assert _call("POST", "/v1/admin/reward-model", settings=both, json=swap,
                 headers=admin_token).status_code == 422
    assert _call("GET", "/v1/envs", settings=both, headers=admin_token).status_code == 401
    no_admin = IngressSettings("value", 4096, token_digest("s3cret"), LIMITS)
    off = _call("POST", "/v1/admin/reward-model", settings=no_admin, json=swap,
                headers=search_token)
    assert off.status_code == 403 and "admin token" in off.json()["detail"]
    assert _call("POST", "/v1/admin/reward-model", json=swap).status_code == 422  # all open


def test_auth_off_accepts_requests_without_a_token() -> None:
    assert _call("GET", "/v1/envs").status_code == 200


def test_score_endpoint_scores_with_the_current_rm_and_caps_the_batch() -> None:
    trajectory = {"task": TOY_TASK, "steps": [{"action": "a"}, {"action": "b"}]}
    r = _call("POST", "/v1/score", json={"states": [{"trajectory": trajectory}]})
    assert r.status_code == 200, r.text
    assert r.json()["scores"][0]["score"] == 0.5 and r.json()["reward_generation"] == 0
    too_many = {"states": [{"trajectory": trajectory}] * 4}
    assert _locs(_call("POST", "/v1/score", json=too_many)) == [["body", "states"]]
    bad_env = {"states": [{"trajectory": {**trajectory, "task": {"env_id": "x", "task_id": "y"}}}]}
    assert _locs(_call("POST", "/v1/score", json=bad_env)) == [
        ["body", "states", 0, "trajectory", "task", "env_id"]]


def test_openapi_documents_the_typed_models() -> None:
    schema = _call("GET", "/openapi.json").json()
    assert {"/v1/search", "/v1/search/stream", "/v1/score", "/v1/envs", "/healthz",
            "/v1/admin/reward-model", "/v1/stats"} <= set(schema["paths"])
    components = schema["components"]["schemas"]
    assert {"SearchRequest", "SearchResponse", "ScoreRequest", "BeamParams"} <= set(components)


# ------------------------------------------------------------------- service behaviour
TASK = Task(env_id=TOY_ENV, task_id="all-a-01", seed=TOY_SEED)


def test_a_cancelled_search_releases_every_env_it_held() -> None:
    world = World(depth=50, delay_s=0.01)
    service, _ = fake_service(world)
    request = SearchRequest.model_validate({"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 2, "expansions": 2}})

    async def go() -> None:
        job = asyncio.ensure_future(service.search(request, TASK))
        while len(world.live) < 2:  # opened and stepping
            await asyncio.sleep(0.005)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(go())
    assert world.opened == 1 and world.live == set()
    counters = service.runner.counters
    assert counters.cancelled == 1 and counters.finished == 0 and counters.in_flight == 0


def test_closing_the_stream_cancels_the_search() -> None:
    world = World(depth=50, delay_s=0.01)
    service, _ = fake_service(world)
    request = SearchRequest.model_validate({"task": TOY_TASK})

    async def go() -> list[str]:
        stream = service.stream(request, TASK)
        seen = [(await stream.__anext__())[0], (await stream.__anext__())[0]]
        await stream.aclose()
        return seen

    assert asyncio.run(go()) == ["progress", "progress"]
    assert world.live == set() and service.runner.counters.cancelled == 1


def test_ray_cancelling_an_awaited_call_counts_as_cancelled_not_failed() -> None:
    world = World(depth=50, ray_cancels_step=2)
    service, _ = fake_service(world)
    request = SearchRequest.model_validate({"task": TOY_TASK})

    async def go() -> None:
        with pytest.raises(asyncio.CancelledError):
            await service.search(request, TASK)

    asyncio.run(go())
    counters = service.runner.counters
    assert (counters.cancelled, counters.failed, counters.in_flight) == (1, 0, 0)
    assert world.live == set()


def test_timeout_is_504_and_releases_envs() -> None:
    world = World(depth=50, delay_s=0.02)
    r = _call("POST", "/v1/search", world=world,
              json={"task": TOY_TASK, "limits": {"timeout_s": 0.2, "max_steps": 10}})
    assert r.status_code == 504 and "timeout_s" in r.json()["detail"]
    assert world.live == set()


def test_timeout_counts_the_wait_for_a_search_slot() -> None:
    """One slot, five searches of ~0.3 s each, limit 0.8 s: the queued ones time out in time
    (before, all five answered 200, the last after 1.5 s)."""
    world = World(depth=5, delay_s=0.03)
    service, _ = fake_service(world, cfg=fake_config(search__max_concurrent_tasks=1))
    api = create_api(service, IngressSettings("value", 4096, None, LIMITS), catalog=ToyCatalog())
    body = {"task": TOY_TASK, "limits": {"timeout_s": 0.8, "max_steps": 5}}

    async def one(client: httpx.AsyncClient) -> tuple[int, float]:
        started = asyncio.get_running_loop().time()
        r = await client.post("/v1/search", json=body)
        return r.status_code, asyncio.get_running_loop().time() - started

    async def go() -> list[tuple[int, float]]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return list(await asyncio.gather(*(one(client) for _ in range(5))))

    replies = asyncio.run(go())
    statuses = [status for status, _ in replies]
    assert set(statuses) == {200, 504} and statuses.count(504) >= 2, statuses
    assert max(seconds for _, seconds in replies) < 0.8 + 0.4  # a wall-clock limit
    assert service.runner.counters.timed_out == statuses.count(504) and world.live == set()
    assert service.runner.counters.in_flight == 0  # the queued ones never ran, nor run now


def test_rm_swap_drains_in_flight_searches_before_stopping_the_old_pool() -> None:
    world = World(depth=8, delay_s=0.02)
    service, old_pool = fake_service(world)
    new_pool = FakeRewardPool(bias=10.0, load_s=0.05)
    service.rewards.make_pool = lambda model: new_pool  # type: ignore[assignment,return-value]
    beam = SearchRequest.model_validate({"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 2, "expansions": 2}})

    async def go() -> tuple[Any, Any, Any, list[str]]:
        in_flight = asyncio.ensure_future(service.search(beam, TASK))
        await asyncio.sleep(0.05)  # it holds a lease on generation 0 now
        swap = asyncio.ensure_future(service.swap(SwapRequest(model="/fake/rm-1")))
        while service.rewards.current.number == 0:
            await asyncio.sleep(0.005)
        assert not in_flight.done() and not swap.done()  # switched, old one still draining
        old_events_at_switch = list(old_pool.events)
        after = await service.search(beam, TASK)
        return await in_flight, after, await swap, old_events_at_switch

    first, after, swap, old_events = asyncio.run(go())
    assert first.reward_generation == 0 and first.result.error is None
    assert max(c.score for c in first.result.candidates) <= 1.0  # scored by the old RM only
    assert after.reward_generation == 1 and after.reward_model == "/fake/rm-1"
    assert min(c.score for c in after.result.candidates) >= 10.0
    assert swap.in_flight_at_switch == 1 and swap.drained and swap.previous_model == "/fake/rm-0"
    assert "shutdown" not in old_events  # still serving the in-flight search then
    assert old_pool.events == ["shutdown"] and new_pool.events == ["started"]
    assert sorted(service.rewards.alive) == [1]


def test_a_swap_whose_client_gives_up_while_draining_still_retires_the_old_rm() -> None:
    world = World(depth=8, delay_s=0.02)
    service, old_pool = fake_service(world)
    service.rewards.make_pool = lambda model: FakeRewardPool(bias=10.0)  # type: ignore[assignment,return-value]
    beam = SearchRequest.model_validate({"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 2, "expansions": 2}})

    async def go() -> Any:
        in_flight = asyncio.ensure_future(service.search(beam, TASK))
        await asyncio.sleep(0.05)
        swap = asyncio.ensure_future(service.swap(SwapRequest(model="/fake/rm-1")))
        while service.rewards.current.number == 0:
            await asyncio.sleep(0.005)
        swap.cancel()  # the client disconnected during the drain
        with pytest.raises(asyncio.CancelledError):
            await swap
        first = await in_flight
        for _ in range(100):  # the retirement runs on its own once the old lease ends
            if old_pool.events:
                break
            await asyncio.sleep(0.01)
        return first

    first = asyncio.run(go())
    assert first.reward_generation == 0 and first.result.error is None
    assert old_pool.events == ["shutdown"]
    assert sorted(service.rewards.alive) == [1]


def test_a_checkpoint_that_fails_to_load_leaves_the_old_rm_in_place() -> None:
    world = World()
    service, old_pool = fake_service(world)
    service.rewards.make_pool = lambda model: FakeRewardPool(fail=True)  # type: ignore[assignment,return-value]
    reply = asyncio.run(service.swap(SwapRequest(model="/fake/broken")))
    assert reply.status == 422 and reply.loc == ["body", "model"]  # type: ignore[union-attr]
    assert service.rewards.current.number == 0 and old_pool.events == []


def test_unknown_checkpoint_is_422_on_model(tmp_path) -> None:
    service, _ = fake_service(World(), cfg=fake_config(serve__model_roots=f"[{tmp_path}]"))
    reply = asyncio.run(service.swap(SwapRequest(model=str(tmp_path / "missing"))))
    assert reply.status == 422 and reply.loc == ["body", "model"]  # type: ignore[union-attr]
    assert "reward.model" in reply.detail  # type: ignore[union-attr]


@pytest.mark.parametrize("model", ["/etc", "~", "/fake/../etc", "/nonexistent/x", "~/rm"])
def test_swap_outside_the_model_roots_is_refused_alike_whether_it_exists_or_not(
    model: str,
) -> None:
    from agentrm_ray.serve.model_roots import REFUSAL

    service, old_pool = fake_service(World())
    reply = asyncio.run(service.swap(SwapRequest(model=model)))
    assert reply.status == 422 and reply.detail == REFUSAL  # type: ignore[union-attr]
    assert "/root" not in reply.detail and old_pool.events == []  # type: ignore[union-attr]


def test_a_symlink_out_of_the_roots_is_refused(tmp_path) -> None:
    root = tmp_path / "models"
    root.mkdir()
    (root / "escape").symlink_to("/etc")
    service, _ = fake_service(World(), cfg=fake_config(serve__model_roots=f"[{root}]"))
    reply = asyncio.run(service.swap(SwapRequest(model=str(root / "escape"))))
    assert reply.status == 422 and "serve.model_roots" in reply.detail  # type: ignore[union-attr]


def test_a_failed_load_answers_a_message_and_logs_the_traceback(caplog) -> None:
    class RemoteFailure(Exception):
        pass

    class FailingPool(FakeRewardPool):
        async def start(self) -> None:
            raise RuntimeError(
                "\x1b[36mray::RewardWorker.start()\x1b[39m (pid=4242, actor_id=abc) File "
                '"/srv/secret/path.py", line 1'
            ) from RemoteFailure("bad head")

    service, _ = fake_service(World())
    service.rewards.make_pool = lambda model: FailingPool()  # type: ignore[assignment,return-value]
    reply = asyncio.run(service.swap(SwapRequest(model="/fake/rm-2")))
    detail = reply.detail  # type: ignore[union-attr]
    assert reply.status == 422 and "RemoteFailure" in detail  # type: ignore[union-attr]
    assert not any(leak in detail for leak in ("pid=", "/srv/secret", "\x1b", "actor_id"))
    assert "/srv/secret/path.py" in caplog.text  # the details are in the server log


# ------------------------------------------------------------------------- layout
def test_one_replica_serves_http_and_search_unless_the_http_layer_scales() -> None:
    from agentrm_ray.serve.app import build_application

    single = build_application(fake_config())._bound_deployment
    assert single.name == "SearchServer" and single.num_replicas == 1
    split = build_application(fake_config(serve__autoscaling__max_replicas=3))._bound_deployment
    assert split.name == "SearchIngress"
    assert split._deployment_config.autoscaling_config.max_replicas == 3
    backend = split.init_args[0]._bound_deployment
    assert backend.name == "SearchBackend" and backend.num_replicas == 1


# ------------------------------------------------------------------------- strict JSON
def _raw(path: str, body: str) -> httpx.Response:
    return _call("POST", path, content=body.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        ("/v1/search", '{"task": %s, "temperature": NaN}', ["body", "temperature"]),
        ("/v1/search", '{"task": %s, "seed": NaN}', ["body", "seed"]),
        ("/v1/search", '{"task": %s, "seed": -Infinity}', ["body", "seed"]),
        ("/v1/search", '{"task": %s, "temperature": 1e999}', ["body", "temperature"]),
        ("/v1/search", '{"task": %s, "strategy": {"name": "mcts", "exploration": NaN}}',
         ["body", "strategy", "exploration"]),
        ("/v1/search", '{"task": {"env_id": "\\ud800", "task_id": "x"}}',
         ["body", "task", "env_id"]),
        ("/v1/admin/reward-model", '{"model": "/m", "drain_timeout_s": NaN}',
         ["body", "drain_timeout_s"]),
        ("/v1/admin/reward-model", '{"model": "\\udfff"}', ["body", "model"]),
        ("/v1/score", '{"instruction": "\\ud83d", "states": []}', ["body", "instruction"]),
    ],
)
def test_non_finite_numbers_and_lone_surrogates_are_422_naming_the_field(
    path: str, body: str, loc: list[Any]
) -> None:
    r = _raw(path, body.replace("%s", json.dumps(TOY_TASK)))
    assert r.status_code == 422, r.text
    assert loc in [e["loc"] for e in r.json()["detail"]]


def test_validation_errors_with_unencodable_input_still_render() -> None:
    from fastapi.exceptions import RequestValidationError

    from agentrm_ray.serve.strict_json import validation_error_reply

    exc = RequestValidationError([
        {"loc": ("body", "seed"), "msg": "not finite", "type": "finite_number",
         "input": float("nan")},
        {"loc": ("body", "env_id"), "msg": "bad", "type": "value_error", "input": "\ud800"},
    ])
    reply = asyncio.run(validation_error_reply(None, exc))  # type: ignore[arg-type]
    detail = json.loads(reply.body)["detail"]
    assert detail[0]["input"] == "nan" and detail[1]["input"] == "\\ud800"


# ------------------------------------------------- request parameters overlay the config
def _served(cfg: Any, body: dict) -> httpx.Response:
    """A request to a server whose search config is `cfg`'s, caps LIMITS."""
    service, _ = fake_service(World(), cfg=cfg)
    settings = IngressSettings("value", 4096, None, LIMITS, search=cfg.search)
    api = create_api(service, settings, catalog=ToyCatalog())

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await client.post("/v1/search", json=body)

    return asyncio.run(go())


def test_beam_sizes_a_request_leaves_out_come_from_the_servers_config() -> None:
    narrow = fake_config(search__beam__width=3, search__beam__expansions=1)
    implicit = _served(narrow, {"task": TOY_TASK, "strategy": {"name": "beam"}}).json()
    explicit = _served(narrow, {"task": TOY_TASK, "strategy": {
        "name": "beam", "width": 3, "expansions": 1}}).json()
    default = _served(fake_config(), {"task": TOY_TASK, "strategy": {"name": "beam"}}).json()
    # the root samples W1*W2 actions, every later step W2 per kept state: 3 + 3 + 3 actions
    # for a 3x1 beam, 4 + 4 + 4 for the default 2x2 one (the fake counts one token an action)
    assert implicit["result"]["budget"]["policy_tokens_out"] == 9
    assert explicit["result"]["budget"] == {**implicit["result"]["budget"],
                                            "wall_time_s": explicit["result"]["budget"][
                                                "wall_time_s"]}
    assert default["result"]["budget"]["policy_tokens_out"] == 12
    assert implicit["result"]["config_hash"] == explicit["result"]["config_hash"]


def test_caps_apply_to_sizes_the_request_leaves_to_the_config() -> None:
    wide = fake_config(search__beam__width=3, search__beam__expansions=3)  # 9 cells > 6
    r = _served(wide, {"task": TOY_TASK, "strategy": {"name": "beam"}})
    assert _locs(r) == [["body", "strategy", "width"]]
    assert "3*3=9" in r.text


def test_a_served_result_is_stamped_with_its_effective_config() -> None:
    from agentrm_ray.config import config_hash
    from agentrm_ray.serve.overlay import effective_config

    cfg = fake_config()
    body = {"task": TOY_TASK, "strategy": {"name": "best_of_n", "n": 3}, "temperature": 0.5,
            "seed": 7}
    stamped = _served(cfg, body).json()["result"]["config_hash"]
    effective = effective_config(cfg, SearchRequest.model_validate(body), cfg.tasks.max_steps)
    assert effective.search.best_of_n.n == 3 and effective.policy.sampling.temperature == 0.5
    assert effective.seed == 7 and effective.search.strategy.value == "best_of_n"
    assert stamped == config_hash(effective) != config_hash(cfg)
    other = _served(cfg, {**body, "strategy": {"name": "best_of_n", "n": 2}}).json()
    assert other["result"]["config_hash"] != stamped


def test_declared_agentgym_families_are_listed_and_resolved_by_the_ingress() -> None:
    """The production catalog (the env registry) sees the server config's declared families:
    the ingress declares them in its own process."""
    from agentrm_ray.config import load_config

    cfg = load_config(overrides=[
        "envs.agentgym=[{name: served_tc, profile: textcraft, base_url: 'http://127.0.0.1:9', "
        "splits: {test: [0, 3], train: [3, 5]}}]"])
    settings = IngressSettings("value", 4096, None, LIMITS, agentgym=tuple(cfg.envs.agentgym))
    service, _ = fake_service(World())
    api = create_api(service, settings)  # no catalog given: the registry's

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get("/v1/envs"), await client.post("/v1/search", json={
                "task": {"env_id": "agentgym/served_tc-v0", "task_id": "served_tc-9"}})]

    envs, unknown = asyncio.run(go())
    listed = {e["env_id"]: e for e in envs.json()["envs"]}
    assert listed["agentgym/served_tc-v0"]["tasks"] == {"train": 2, "dev": 0, "test": 3}
    assert unknown.status_code == 422 and "served_tc-0" in unknown.text


def test_a_search_is_in_flight_until_its_env_sessions_are_released() -> None:
    """The stats never show a search ended while it still holds env sessions: its outcome is
    counted after the release (a test over HTTP read in between, under load)."""
    from fake_expander import FakeExpander

    world = World(depth=50, delay_s=0.02)
    service, _ = fake_service(world)
    in_flight_while_releasing: list[int] = []

    class Recording(FakeExpander):
        async def release(self, state: Any) -> None:
            in_flight_while_releasing.append(service.runner.counters.in_flight)
            await asyncio.sleep(0.01)
            await super().release(state)

    service.runner.make_expander = lambda scorer: Recording(world, scorer=scorer)
    request = SearchRequest.model_validate({"task": TOY_TASK, "limits": {"timeout_s": 0.2}})

    async def go() -> None:
        with pytest.raises(SearchTimeout):
            await service.runner.run(request, TASK)

    asyncio.run(go())
    assert in_flight_while_releasing and set(in_flight_while_releasing) == {1}
    counters = service.runner.counters
    assert (counters.timed_out, counters.in_flight) == (1, 0) and world.live == set()


def test_a_swapped_in_checkpoint_replaces_the_whole_ensemble(tiny_value_model: str,
                                                             tiny_value_model_b: str) -> None:
    """The configured ensemble's members were fitted beside the model a swap replaces: the new
    generation's pool scores with the swapped-in checkpoint alone."""
    cfg = fake_config(reward__ensemble=f"[{tiny_value_model_b}]")
    service, _ = fake_service(World(), cfg=cfg)
    assert cfg.reward.ensemble == [tiny_value_model_b]
    pool = service._make_pool(tiny_value_model)
    assert pool.settings.model_path == tiny_value_model and pool.settings.ensemble == ()
