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


class AuthConfigError(AgentRMError):
    """Auth was asked for but no usable token was found."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def load_token(cfg: ServeConfig, token_file: Path | None = None) -> str | None:
    """The server's token: from `token_file` if given, else from `$<serve.auth_token_env>`.

    None means auth is off. A named but empty source is an error, never "auth off".
    """
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AuthConfigError(f"--auth-token-file {token_file}: {exc.strerror}") from None
        if not token:
            raise AuthConfigError(f"--auth-token-file {token_file} is empty")
        return token
    if cfg.auth_token_env:
        token = os.environ.get(cfg.auth_token_env, "").strip()
        if not token:
            raise AuthConfigError(
                f"serve.auth_token_env names ${cfg.auth_token_env}, which is not set or empty")
        return token
    return None


def check_bearer(request: Request, digest: str | None) -> None:
    """Raise 401 unless auth is off or the request carries the right bearer token."""
    if digest is None:
        return
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    if not hmac.compare_digest(token_digest(presented.strip()), digest):
        raise HTTPException(401, "invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
