"""Serve overhead: N concurrent POST /v1/search over loopback vs the same searches in-process.

    .venv/bin/python bench/serve.py [--requests 24] [--concurrency 4] [--rounds 2]
        [--strategy greedy] [--max-steps 3] [--model tiny|smollm2-135m|PATH]
        [--reward oracle|value|implicit|judge] [--json out.json]
        [--set serve.runtime.access_log=true ...] [--compare-sched-idle]
        [--ingress auto|proxy|haproxy|proxy,haproxy]

Both paths run the same requests (maze test tasks, fixed seeds, same strategy) over identical
actor pools on one local loopback Ray cluster: in-process through `SearchService` (what the
Serve backend runs, minus Serve) and through the Serve app over HTTP. Both stacks stay up and
the paths alternate for `--rounds` rounds, so drifting machine load hits both alike.
Reported per path: throughput, p50/p99/mean latency; and the overhead two ways: the
difference of the p50s (includes any slowdown of the search itself, e.g. CPU taken by Serve's
processes, and the two paths' search-time noise), and, per request, the time outside the
search: client latency minus the search's own `elapsed_s` (what `SearchRunner` measured around
the strategy). The Serve overhead is that time on the Serve path minus the same on the
in-process path (queueing for a search slot, RM lease, bookkeeping), p50 and p99. A bare
GET /healthz round trip shows Serve's fixed cost per request. `--set KEY=VALUE` adds config
overrides (e.g. the `serve.runtime` switches, to compare them with Ray Serve's defaults).
`--compare-sched-idle` adds a third path to each round: the same Serve app with every policy
and RM replica process (all its threads) put under Linux SCHED_IDLE for that round and back to
normal after it, so a model that yields its cores to the request path is compared with one
that does not, side by side in one run (Linux; leaving SCHED_IDLE needs root or CAP_SYS_NICE;
replica processes only, not a vLLM engine's child process). `--ingress` is
`serve.runtime.ingress`, by default the config's `auto` (HAProxy where Ray finds its binary, as
on Linux); `--ingress proxy,haproxy` measures each as a path of its own, side by side: Serve
runs once per Ray cluster and reads that switch when it starts, so each such round restarts
the app (and warms it up).
The client runs in this process next to the in-process stack; its heap is frozen out of the
garbage collector once the stacks are up (as Serve does in its own processes), and its
collections during the rounds are reported: a full one stalls every request in flight.
Markdown to stdout; `--json` also writes the numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import socket
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from _common import model_path

from agentrm_ray.config import RootConfig, load_config
from agentrm_ray.config.models import ServeIngress
from agentrm_ray.envs import family_by_env_id
from agentrm_ray.runtime import start_ray, stop_ray
from agentrm_ray.serve.catalog import resolve_task
from agentrm_ray.serve.haproxy_ingress import effective_ingress
from agentrm_ray.serve.schemas import SearchRequest, SearchResponse
from agentrm_ray.serve.service import SearchService

Timed = tuple[float, float, float]  # (perf_counter at send, client latency s, backend elapsed_s)
Pause = tuple[int, float, float]  # (generation, perf_counter at start, seconds)


class GCPauses:
    """This process's garbage collections while the rounds run, from `gc.callbacks`.

    The client of both paths lives in this process, next to the in-process stack: a collection
    here stalls every request in flight, and on the Serve path that stall lands outside the
    replica's `elapsed_s`, so it must be visible (and attributable) in the report.
    """

    def __init__(self) -> None:
        self.pauses: list[Pause] = []
        self._began: float | None = None

    def __enter__(self) -> GCPauses:
        gc.callbacks.append(self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._record)

    def _record(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._began = now
        elif self._began is not None:
            self.pauses.append((info["generation"], self._began, now - self._began))
            self._began = None

    def overlapping(self, timed: list[Timed], min_s: float) -> int:
        """How many requests had a pause of at least `min_s` while they were in flight."""
        long = [(start, start + length) for _, start, length in self.pauses if length >= min_s]
        return sum(any(a < sent + latency and sent < b for a, b in long)
                   for sent, latency, _ in timed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


MODEL_ACTOR_TITLES = (b"ray::PolicyWorkerImpl", b"ray::RewardWorkerImpl")
SCHED_IDLE_PATH = "serve_models_sched_idle"
PATH_TITLES = {"in_process": "in-process SearchService", "serve": "Serve over HTTP",
               "serve_proxy": "Serve over HTTP, Python proxy",
               "serve_haproxy": "Serve over HTTP, HAProxy ingress",
               SCHED_IDLE_PATH: "Serve, models under SCHED_IDLE"}


def set_model_priority(sched_idle: bool) -> int:
    """Every thread of every policy/RM replica process on this machine to SCHED_IDLE or back
    to SCHED_OTHER (Ray's own); returns how many processes."""
    policy = os.SCHED_IDLE if sched_idle else os.SCHED_OTHER
    changed = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if not f.read().startswith(MODEL_ACTOR_TITLES):
                    continue
            for tid in os.listdir(f"/proc/{pid}/task"):
                os.sched_setscheduler(int(tid), policy, os.sched_param(0))
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
        changed += 1
    return changed


def make_config(args: argparse.Namespace) -> RootConfig:
    return load_config(overrides=[
        f"policy.model={model_path(args.model)}", "policy.backend=hf",
        f"policy.sampling.max_tokens={args.max_tokens}", "policy.num_cpus_per_replica=0.5",
        f"reward.method={args.reward}", "reward.num_cpus_per_replica=0.25",
        "envs.num_cpus_per_worker=0.25", "ray.num_cpus=2",
        f"tasks.max_steps={args.max_steps}", f"serve.port={free_port()}",
        f"search.max_concurrent_tasks={args.concurrency}", *args.set,
    ])


def make_requests(args: argparse.Namespace) -> list[dict[str, Any]]:
    tasks = family_by_env_id("maze").split("test")
    strategy: dict[str, Any] = {"name": args.strategy}
    if args.strategy == "beam":
        strategy.update(width=2, expansions=2)
    if args.strategy == "best_of_n":
        strategy.update(n=2)
    return [{"task": {"env_id": "maze", "task_id": tasks[i % len(tasks)].task_id},
             "strategy": strategy, "seed": i, "limits": {"max_steps": args.max_steps}}
            for i in range(args.requests)]


async def run_bounded(calls: list[Callable[[], Awaitable[Timed]]], concurrency: int
                      ) -> tuple[list[Timed], float]:
    limit = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[Timed]]) -> Timed:
        async with limit:
            return await call()

    started = time.perf_counter()
    timed = await asyncio.gather(*(one(c) for c in calls))
    return list(timed), time.perf_counter() - started


def in_process_call(service: SearchService, body: dict[str, Any]
                    ) -> Callable[[], Awaitable[Timed]]:
    async def go() -> Timed:
        req = SearchRequest.model_validate(body)
        started = time.perf_counter()
        response = await service.search(req, resolve_task(req.task))
        assert isinstance(response, SearchResponse), response
        return started, time.perf_counter() - started, response.elapsed_s
    return go


def http_call(client: httpx.AsyncClient, body: dict[str, Any]) -> Callable[[], Awaitable[Timed]]:
    async def go() -> Timed:
        started = time.perf_counter()
        r = await client.post("/v1/search", json=body)
        latency = time.perf_counter() - started
        r.raise_for_status()
        return started, latency, r.json()["elapsed_s"]
    return go


def serve_path(ingress: str, ingresses: list[str]) -> str:
    """The report's name of the Serve path through `ingress` ("serve" when only one is run)."""
    return "serve" if len(ingresses) == 1 else f"serve_{ingress}"


class ServeApps:
    """The Serve app for one ingress at a time: Serve runs once per Ray cluster and reads
    `serve.runtime` when it starts, so comparing ingresses restarts it for each round."""

    def __init__(self, cfg: RootConfig, concurrency: int) -> None:
        self.cfg = cfg
        self.limits = httpx.Limits(max_connections=concurrency + 2)
        self.ingress: str | None = None
        self.client: httpx.AsyncClient | None = None

    async def use(self, ingress: str) -> tuple[httpx.AsyncClient, bool]:
        """A client of the app served through `ingress`; True if it was just started."""
        if self.ingress == ingress and self.client is not None:
            return self.client, False
        await self.stop()
        from agentrm_ray.serve.app import start_search_app

        cfg = self.cfg.model_copy(deep=True)
        cfg.serve.runtime.ingress = ServeIngress(ingress)
        url = start_search_app(cfg)
        self.ingress, self.client = ingress, httpx.AsyncClient(base_url=url, timeout=600,
                                                               limits=self.limits)
        return self.client, True

    async def stop(self) -> None:
        if self.client is None:
            return
        from agentrm_ray.serve.app import stop_search_app

        await self.client.aclose()
        stop_search_app()
        self.ingress = self.client = None


async def ping_healthz(client: httpx.AsyncClient, times: int) -> list[float]:
    out = []
    for _ in range(times):
        started = time.perf_counter()
        (await client.get("/healthz")).raise_for_status()
        out.append(time.perf_counter() - started)
    return out


async def bench(cfg: RootConfig, bodies: list[dict[str, Any]], concurrency: int, rounds: int,
                gc_pauses: GCPauses, ingresses: list[str], compare_sched_idle: bool = False
                ) -> dict[str, Any]:
    """Alternate in-process and HTTP rounds over the same requests on one Ray cluster.

    The in-process stack stays up throughout; so does the Serve app when one ingress is
    measured, else each round starts it anew through each ingress (and warms it up again).
    """
    service = await SearchService.start(cfg)
    apps = ServeApps(cfg, concurrency)
    via = {serve_path(i, ingresses): i for i in ingresses}
    if compare_sched_idle:
        via[SCHED_IDLE_PATH] = ingresses[0]
    out: dict[str, Any] = {"in_process": ([], 0.0), **{name: ([], 0.0) for name in via},
                           "healthz": {name: [] for name in via if name != SCHED_IDLE_PATH}}

    def caller(name: str, client: httpx.AsyncClient | None
               ) -> Callable[[dict[str, Any]], Callable[[], Awaitable[Timed]]]:
        if name == "in_process":
            return lambda b: in_process_call(service, b)
        assert client is not None
        return lambda b: http_call(client, b)

    async def warm(name: str) -> Callable[[dict[str, Any]], Callable[[], Awaitable[Timed]]]:
        """The path's caller, its app started (and warmed up, its /healthz timed) if need be."""
        if name == "in_process":
            return caller(name, None)
        client, fresh = await apps.use(via[name])
        make = caller(name, client)
        if fresh:
            out["healthz"][serve_path(via[name], ingresses)] += await ping_healthz(client, 50)
            await run_bounded([make(b) for b in bodies[:2]], concurrency)
            # What Ray Serve does in its proxy and replicas once they have started: move the
            # startup heap out of the collector's reach, so a full collection here does not
            # stall the requests in flight (measured: 136 ms, charged to the Serve path).
            gc.collect()
            gc.freeze()
        return make

    try:
        await run_bounded([caller("in_process", None)(b) for b in bodies[:2]], concurrency)
        # The app that round 1 uses first; another ingress would be restarted in the round.
        await warm(next(iter(via)))
        with gc_pauses:
            for _ in range(rounds):
                for name in ["in_process", *via]:
                    make = await warm(name)
                    if compare_sched_idle and not set_model_priority(name == SCHED_IDLE_PATH):
                        raise SystemExit("--compare-sched-idle: no policy/RM replica process")
                    timed, wall = await run_bounded([make(b) for b in bodies], concurrency)
                    total, seconds = out[name]
                    out[name] = (total + timed, seconds + wall)
    finally:
        await apps.stop()
        await service.shutdown()
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(timed: list[Timed], wall: float) -> dict[str, float]:
    latencies = [t for _, t, _ in timed]
    return {"throughput_rps": len(timed) / wall, "p50_s": pct(latencies, 0.5),
            "p99_s": pct(latencies, 0.99), "mean_s": statistics.mean(latencies),
            "backend_p50_s": pct([e for _, _, e in timed], 0.5)}


def outside_ms(timed: list[Timed]) -> list[float]:
    """Per request: client latency minus the search's own elapsed time, in ms."""
    return [(t - e) * 1e3 for _, t, e in timed]


GC_PAUSE_REPORTED_S = 0.005


def markdown(args: argparse.Namespace, summaries: dict[str, dict[str, float]],
             outside: dict[str, list[float]], health: dict[str, list[float]],
             gc_pauses: GCPauses,
             timed: dict[str, list[Timed]]) -> str:
    rows = [
        f"# Serve overhead — {args.rounds} x {args.requests} x {args.strategy} "
        f"(max_steps {args.max_steps}), concurrency {args.concurrency}, model {args.model}, "
        f"reward {args.reward}, ingress {','.join(args.ingress)}"
        + (f", {' '.join(args.set)}" if args.set else ""),
        "",
        "| path | req/s | p50 ms | p99 ms | mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in summaries.items():
        rows.append(f"| {PATH_TITLES[name]} | {s['throughput_rps']:.2f} | "
                    f"{s['p50_s'] * 1e3:.0f} | {s['p99_s'] * 1e3:.0f} | {s['mean_s'] * 1e3:.0f} |")
    inproc, inp = summaries["in_process"], outside["in_process"]
    rows += ["", f"- In-process time outside the search (latency - elapsed_s), p50 / p99: "
                 f"{pct(inp, 0.5):.1f} / {pct(inp, 0.99):.1f} ms"]
    for name in summaries:
        if name == "in_process":
            continue
        srv = outside[name]
        rows += [
            f"- {PATH_TITLES[name]}: p50 vs p50 "
            f"{(summaries[name]['p50_s'] - inproc['p50_s']) * 1e3:+.1f} ms; time outside the "
            f"search p50 / p99 {pct(srv, 0.5):.1f} / {pct(srv, 0.99):.1f} ms; "
            f"**Serve overhead per request: p50 {pct(srv, 0.5) - pct(inp, 0.5):.1f} ms, "
            f"p99 {pct(srv, 0.99) - pct(inp, 0.99):.1f} ms**",
        ]
    for name, times in health.items():
        rows.append(f"- GET /healthz round trip ({PATH_TITLES[name]}): p50 "
                    f"{pct(times, 0.5) * 1e3:.1f} ms, p99 {pct(times, 0.99) * 1e3:.1f} ms")
    long = [length for _, _, length in gc_pauses.pauses if length >= GC_PAUSE_REPORTED_S]
    hit = ", ".join(f"{PATH_TITLES[name]} {gc_pauses.overlapping(t, GC_PAUSE_REPORTED_S)}"
                    for name, t in timed.items())
    rows.append(f"- Client process (this one) GC during the rounds: {len(gc_pauses.pauses)} "
                f"collections, {len(long)} of >= {GC_PAUSE_REPORTED_S * 1e3:.0f} ms"
                + (f" (longest {max(long) * 1e3:.0f} ms); requests in flight during one: {hit}"
                   if long else ""))
    return "\n".join(rows)


def ingress_list(text: str) -> list[str]:
    names = text.split(",")
    unknown = [n for n in names if n not in {i.value for i in ServeIngress}]
    if unknown or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"{text!r}: a comma-separated list of distinct {[i.value for i in ServeIngress]}")
    return names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--strategy", default="greedy",
                        choices=["greedy", "beam", "best_of_n", "mcts"])
    parser.add_argument("--max-steps", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=12)
    parser.add_argument("--model", default="tiny",
                        help="policy model (and the value RM's backbone): tiny, a known name or "
                             "a path; the default config's is smollm2-135m")
    parser.add_argument("--reward", default="oracle",
                        help="reward.method; the default config's is value (the policy's "
                             "backbone with a value head)")
    parser.add_argument("--json", default=None)
    parser.add_argument("--compare-sched-idle", action="store_true",
                        help="also run each Serve round with the policy/RM replica processes "
                             "under SCHED_IDLE (Linux, root or CAP_SYS_NICE)")
    parser.add_argument("--ingress", default=["auto"], type=ingress_list,
                        help="serve.runtime.ingress to measure (default: the config's auto); "
                             "comma-separated to compare them side by side (Serve restarts "
                             "each round), e.g. proxy,haproxy")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="extra config override, e.g. serve.runtime.proxy_grpc=false")
    args = parser.parse_args()

    ingresses = [effective_ingress(ServeIngress(i)).value for i in args.ingress]
    if len(set(ingresses)) != len(ingresses):
        parser.error(f"--ingress {','.join(args.ingress)} is {','.join(ingresses)} here")
    args.ingress = ingresses  # as reported
    if args.compare_sched_idle and len(ingresses) > 1:
        parser.error("--compare-sched-idle measures one ingress at a time")
    cfg = make_config(args)
    bodies = make_requests(args)
    start_ray(cfg.ray)
    gc_pauses = GCPauses()
    try:
        results = asyncio.run(bench(cfg, bodies, args.concurrency, args.rounds, gc_pauses,
                                    ingresses, args.compare_sched_idle))
    finally:
        stop_ray()
    health = results.pop("healthz")
    summaries = {name: summary(*timed) for name, timed in results.items()}
    outside = {name: outside_ms(timed) for name, (timed, _) in results.items()}
    timed = {name: t for name, (t, _) in results.items()}
    print(markdown(args, summaries, outside, health, gc_pauses, timed))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), **summaries,
                       **{f"{name}_timed": t for name, t in timed.items()},
                       "outside_ms": outside, "healthz_s": health,
                       "client_gc_pauses": gc_pauses.pauses}, f, indent=2)


if __name__ == "__main__":
    main()
