"""`agentrm-ray models …`: the offline default models."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from agentrm_ray.cli.common import stdout, user_errors

app = typer.Typer(
    help="Prepare and list the models that ship inside PyPI packages.", no_args_is_help=True
)


@app.command("list")
def list_models() -> None:
    """List the known short model names and whether they are prepared in the cache."""
    from agentrm_ray.models.registry import KNOWN_MODELS, is_prepared, prepared_dir

    table = Table("name", "prepared", "path", "license", "description")
    for name, model in KNOWN_MODELS.items():
        table.add_row(
            name,
            "yes" if is_prepared(name) else "no",
            str(prepared_dir(name)),
            model.license,
            model.description,
        )
    stdout.print(table)


@app.command("prepare")
def prepare(
    names: Annotated[
        list[str] | None, typer.Argument(help="Models to prepare (default: all).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Convert again even if cached.")] = False,
) -> None:
    """Convert the packaged GGUF models into plain HF directories in the cache (offline, once)."""
    from agentrm_ray.models.prepare import prepare as prepare_model
    from agentrm_ray.models.registry import KNOWN_MODELS

    with user_errors():
        for name in names or list(KNOWN_MODELS):
            with stdout.status(f"preparing {name} (dequantising; ~30-60 s the first time)"):
                path = prepare_model(name, force=force)
            stdout.print(f"{name}: {path}")
