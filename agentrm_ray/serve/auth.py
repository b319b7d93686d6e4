"""Optional bearer-token auth.

The token is read where the server is launched (the env var named by `serve.auth_token_env`,
or a file) and only its SHA-256 digest is handed to the ingress replicas: the secret itself is
never stored in Serve's deployment config, and replicas on other nodes need no copy of the
variable. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from fastapi import HTTPException, Request

from agentrm_ray.config.models import ServeConfig
from agentrm_ray.errors import AgentRMError
from agentrm_ray.serve.loopback import is_loopback_host


class AuthConfigError(AgentRMError):
    """Auth was asked for but no usable token was found."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_token(cfg: ServeConfig, token_file: Path | None = None) -> str | None:
    """The server's token: from `token_file` if given, else from `$<serve.auth_token_env>`.

    None means auth is off. A named but empty source is an error, never "auth off".
    """
    return _read_token(token_file, "--auth-token-file", cfg.auth_token_env, "auth_token_env")


def load_admin_token(cfg: ServeConfig, token_file: Path | None = None) -> str | None:
    """The admin endpoints' own token (`--admin-token-file`, else `serve.admin_token_env`)."""
    return _read_token(token_file, "--admin-token-file", cfg.admin_token_env, "admin_token_env")


def _read_token(token_file: Path | None, option: str, env: str | None, field: str) -> str | None:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AuthConfigError(f"{option} {token_file}: {exc.strerror}") from None
        if not token:
            raise AuthConfigError(f"{option} {token_file} is empty")
        return token
    if env:
        token = os.environ.get(env, "").strip()
        if not token:
            raise AuthConfigError(f"serve.{field} names ${env}, which is not set or empty")
        return token
    return None


def check_exposure(cfg: ServeConfig, auth_digest: str | None) -> None:
    """Refuse an unauthenticated server on an address other machines can reach, unless the
    user said in so many words that they accept one (`serve.allow_unauthenticated`)."""
    if auth_digest is None and not is_loopback_host(cfg.host) and not cfg.allow_unauthenticated:
        raise AuthConfigError(
            f"serve.host={cfg.host} is reachable from other machines and auth is off: anyone "
            "who reaches the port could run searches. Set serve.auth_token_env or "
            "--auth-token-file, or pass --allow-unauthenticated to accept an open server"
        )


def check_admin(request: Request, admin_digest: str | None, auth_digest: str | None) -> None:
    """The admin endpoints' rule: their own token when one is set; open only when all of the
    server is (auth off); otherwise off (403), so the search token never swaps models."""
    if admin_digest is not None:
        check_bearer(request, admin_digest)
    elif auth_digest is not None:
        raise HTTPException(
            403,
            "the admin endpoints are off: this server has no admin token "
            "(serve.admin_token_env or --admin-token-file)",
        )


def check_bearer(request: Request, digest: str | None) -> None:
    """Raise 401 unless auth is off or the request carries the right bearer token."""
    if digest is None:
        return
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token_digest(presented.strip()), digest):
        raise HTTPException(401, "invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
