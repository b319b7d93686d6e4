"""`agentrm-ray serve`: search over HTTP (Ray Serve + FastAPI) until interrupted."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors


def serve(
    config: ConfigOption = None,
    set_: SetOption = None,
    host: Annotated[str | None, typer.Option(
        help="Bind address (overrides serve.host; default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (overrides serve.port).")] = None,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (overrides ray.address; RAY_ADDRESS also works).")] = None,
    auth_token_file: Annotated[Path | None, typer.Option(
        help="File holding the bearer token clients must send (instead of "
             "serve.auth_token_env).", show_default=False)] = None,
    admin_token_file: Annotated[Path | None, typer.Option(
        help="File holding the admin endpoints' own token (instead of "
             "serve.admin_token_env). Without one, /v1/admin/* answer 403 while auth is on.",
        show_default=False)] = None,
    allow_unauthenticated: Annotated[bool, typer.Option(
        "--allow-unauthenticated",
        help="Accept serving on a non-loopback --host with auth off (refused otherwise).")
    ] = False,
) -> None:
    """Serve search over HTTP: POST /v1/search (and /v1/search/stream), /v1/score, GET /v1/envs.

    Loads the policy, env workers and RM once, then answers until Ctrl-C / SIGTERM, when the
    application is deleted (its actors stop) and a Ray cluster started here goes down with it.
    OpenAPI docs at http://HOST:PORT/docs.
    """
    from agentrm_ray.runtime import ray_session
    from agentrm_ray.search.stack import prepare_known_models
    from agentrm_ray.serve.auth import check_exposure, load_admin_token, load_token, token_digest
    from agentrm_ray.serve.service import serving_stack

    with user_errors():
        cfg = resolve_config(config, set_, {
            "serve.host": host, "serve.port": port, "ray.address": address,
            "serve.allow_unauthenticated": True if allow_unauthenticated else None})
        token = load_token(cfg.serve, auth_token_file)
        digest = token_digest(token) if token else None
        check_exposure(cfg.serve, digest)  # before any model loads or Ray starts
        admin_token = load_admin_token(cfg.serve, admin_token_file)
        admin_digest = token_digest(admin_token) if admin_token else None
        for name in prepare_known_models(cfg):
            stdout.print(f"prepared model {name}")
        serving_stack(cfg)  # model paths are checked here, before Ray starts
    with user_errors(), ray_session(cfg.ray):
        from agentrm_ray.serve.app import start_search_app, stop_search_app, with_effective_ingress

        stop = _stop_on_signals()
        cfg = with_effective_ingress(cfg)
        url = start_search_app(cfg, digest, admin_digest)
        admin = "own token" if admin_digest else ("open" if digest is None else "off")
        try:
            stdout.print(f"serving on {url}  (docs: {url}/docs, auth: "
                         f"{'bearer token' if token else 'off'}, admin: {admin}, ingress: "
                         f"{cfg.serve.runtime.ingress.value}); Ctrl-C stops")
            stop.wait()
        finally:
            stop_search_app()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT/SIGTERM, so shutdown runs in the main thread's `finally`."""
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop
