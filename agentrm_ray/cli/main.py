"""The `agentrm-ray` command: one entry point, one sub-command per job."""

from __future__ import annotations

import typer

from agentrm_ray.cli import (
    config_cmd,
    demo_cmd,
    envs_cmd,
    loop_cmd,
    models_cmd,
    report_cmd,
    run_cmd,
    serve_cmd,
    train_cmd,
)

app = typer.Typer(
    name="agentrm-ray",
    help=(
        "Distributed RM-guided test-time search for LLM agents on Ray.\n\n"
        "Every command reads one typed YAML config (--config, default: the embedded laptop "
        "default) with dotted overrides (--set search.beam.width=4). Local Ray on 127.0.0.1 "
        "unless --set ray.address=… or RAY_ADDRESS (as under `ray job submit`) names a cluster."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(envs_cmd.app, name="envs")
app.add_typer(models_cmd.app, name="models")
app.command("demo")(demo_cmd.demo)
app.command("run")(run_cmd.run)
app.command("report")(report_cmd.report)
app.command("serve")(serve_cmd.serve)
app.command("train")(train_cmd.train)
app.command("label")(train_cmd.label)
app.command("demos")(train_cmd.demos)
app.command("collect")(loop_cmd.collect)
app.command("quickstart")(loop_cmd.quickstart)


@app.command("version")
def version() -> None:
    """Print the versions of agentrm-ray and the libraries it runs on."""
    from agentrm_ray.versions import library_versions

    for name, ver in library_versions().items():
        typer.echo(f"{name} {ver}")


if __name__ == "__main__":
    app()
