"""Options and error handling shared by every CLI command."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from agentrm_ray.config import ConfigError, RootConfig, load_config
from agentrm_ray.errors import AgentRMError

stderr = Console(stderr=True, soft_wrap=True)  # error messages are never cut by wrapping
stdout = Console()

ConfigOption = Annotated[
    str | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file, or the name of a bundled config. Default: the embedded "
        "laptop default (configs/default.yaml).",
        show_default=False,
    ),
]
SetOption = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        "-s",
        help="Override one field with a dotted key, e.g. --set search.beam.width=4 "
        "(repeatable; values are YAML).",
        show_default=False,
    ),
]

EXIT_USER_ERROR = 2
# Errors of the disk rather than of a path (a write() gives no filename): still the user's to fix.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EIO})


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn errors a user can fix into a message on stderr and exit code 2."""
    try:
        yield
    except ConfigError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except AgentRMError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except OSError as exc:
        if exc.filename is None and exc.errno not in _DISK_ERRNOS:
            raise  # a socket or a timeout: not a file the user named, keep the traceback
        stderr.print(f"[bold red]error:[/] {escape(describe_os_error(exc))}", highlight=False)
        raise typer.Exit(EXIT_USER_ERROR) from None
    except KeyboardInterrupt:
        stderr.print("interrupted")
        raise typer.Exit(130) from None


def describe_os_error(exc: OSError) -> str:
    """`'/out/x': No space left on device`, plus what to do next where we know."""
    reason = exc.strerror or type(exc).__name__
    paths = " -> ".join(repr(str(p)) for p in (exc.filename, exc.filename2) if p is not None)
    message = f"{paths}: {reason}" if paths else reason
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        message += (
            " (results already written stay on disk; free some space and rerun the same "
            "command to resume)"
        )
    elif exc.errno == errno.EEXIST or exc.errno == errno.ENOTDIR:
        message += " (an output directory must be a directory, or not exist yet)"
    return message


def resolve_config(config: str | None, overrides: list[str] | None,
                   options: dict[str, Any] | None = None) -> RootConfig:
    """Load the config the user named (or the default) with their `--set` overrides, then the
    command's own options (dotted key -> typed value; None: not given) applied. The config's
    AgentGym families are declared in this process, so every command resolves them."""
    from agentrm_ray.envs.agentgym.declared import declare_agentgym_families

    updates = {key: value for key, value in (options or {}).items() if value is not None}
    cfg = load_config(Path(config) if config and Path(config).is_file() else config, overrides,
                      updates)
    declare_agentgym_families(cfg.envs.agentgym)  # the suite may name them: resolvable now
    return cfg

