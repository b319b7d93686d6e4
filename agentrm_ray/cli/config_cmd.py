"""`agentrm-ray config …`: inspect and validate configurations."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
import yaml
from pydantic import BaseModel
from rich.table import Table

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors
from agentrm_ray.config import RootConfig, bundled_config_names, config_hash

app = typer.Typer(help="Show, validate and explain configurations.", no_args_is_help=True)


@app.command("show")
def show(
    config: ConfigOption = None,
    set_: SetOption = None,
    explain: Annotated[
        bool, typer.Option("--explain", help="List every field with its documentation.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print the resolved config (file + overrides + defaults), validated."""
    with user_errors():
        cfg = resolve_config(config, set_)
    if explain:
        stdout.print(_explain_table(cfg))
        return
    data = cfg.to_yaml_dict()
    if as_json:
        typer.echo(json.dumps(data, indent=2))
    else:
        typer.echo(f"# config hash: {config_hash(cfg)}")
        typer.echo(yaml.safe_dump(data, sort_keys=False).rstrip())


@app.command("validate")
def validate(config: ConfigOption = None, set_: SetOption = None) -> None:
    """Check a config as `run` would before starting work: fields, suite and families, and
    that every model the run loads is on disk. Exit 0 if it passes, 2 naming what failed."""
    from agentrm_ray.search.stack import check_before_start

    with user_errors():
        cfg = resolve_config(config, set_)
        check_before_start(cfg)
    typer.echo(f"ok (config hash {config_hash(cfg)})")


@app.command("list")
def list_bundled() -> None:
    """List the configs bundled with the package (usable by name with --config)."""
    for name in bundled_config_names():
        typer.echo(name)


def _explain_table(cfg: RootConfig) -> Table:
    table = Table("field", "value", "meaning", show_lines=False)
    for path, value, doc in _walk(cfg, ""):
        table.add_row(path, json.dumps(value), doc)
    return table


def _walk(model: BaseModel, prefix: str) -> list[tuple[str, Any, str]]:
    rows: list[tuple[str, Any, str]] = []
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            rows.extend(_walk(value, path + "."))
        else:
            dumped = model.model_dump(mode="json", include={name})[name]
            rows.append((path, dumped, field.description or ""))
    return rows
