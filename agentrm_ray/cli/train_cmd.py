"""`agentrm-ray label`, `agentrm-ray demos`, `agentrm-ray train`: from search runs to models.

The pipeline: `run` (search.strategy=mcts) writes trees -> `label` turns them into RM training
sets -> `train rm-explicit|rm-implicit` fine-tunes and exports an HF model that
`reward.model=…` serves. `demos` -> `train policy-sft` fine-tunes the policy on oracle play.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors
from agentrm_ray.config.models import TrainKind
from agentrm_ray.prompting import RM_TEMPLATES, resolve_rm_template


# --------------------------------------------------------------------------- label
def label(
    run: Annotated[str, typer.Option(
        "--run", "-r", help="Output directory of `agentrm-ray run` (holds results.jsonl).",
        show_default=False)],
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Data root: sets go to <output>/rm-explicit and "
        "<output>/rm-implicit. Default: <run>/data, where `train` looks by default.",
        show_default=False)] = None,
    min_visits: Annotated[int | None, typer.Option(
        help="Drop tree nodes visited fewer times (their value is a one-rollout guess). "
        "Default: the run's search.mcts.min_visits.", show_default=False)] = None,
    val_fraction: Annotated[float, typer.Option(
        help="Share of tasks (not states) held out for validation.")] = 0.2,
    implicit_label: Annotated[str, typer.Option(
        help="Implicit RM label: 'success' (0/1, trained with BCE) or 'progress' "
        "([0,1], trained with MSE).")] = "success",
    seed: Annotated[int | None, typer.Option(
        help="Seed of the task split. Default: the run's seed.", show_default=False)] = None,
    template: Annotated[str | None, typer.Option(
        help="RM text template the sets are rendered with (built-in: "
        f"{', '.join(sorted(RM_TEMPLATES))}); the RMs trained on them must be served with it "
        "(reward.template). Default: the run's reward.template.", show_default=False)] = None,
) -> None:
    """Label a search run into RM training sets (Parquet + manifest.json).

    Explicit RM: (RM text of each MCTS state, its mean simulated outcome) for states visited
    at least --min-visits times, deduplicated by text. Implicit RM: every finished trajectory
    with its outcome. Train/validation are split by task, so no validation state's task was
    seen in training.
    """
    from dataclasses import asdict

    from agentrm_ray.data.datasets import DatasetError
    from agentrm_ray.data.labelling import LabelOptions, label_run
    from agentrm_ray.data.results import read_manifest

    with user_errors():
        run_dir = Path(run)
        config = read_manifest(run_dir, DatasetError).config
        options = LabelOptions.of_config(
            config, min_visits=min_visits, val_fraction=val_fraction, seed=seed,
            implicit_label=implicit_label,
            template=None if template is None else resolve_rm_template(template, "--template"))
        report = label_run(run_dir, Path(output) if output else run_dir / "data", options)
    for kind, manifest in report.manifests.items():
        counts, tasks = manifest["counts"], manifest["tasks"]
        stdout.print(
            f"{kind}: {counts['train']} train / {counts['val']} val rows "
            f"({tasks['train']} / {tasks['val']} tasks) -> "
            f"{report.explicit_dir if kind == 'rm-explicit' else report.implicit_dir}"
        )
    for kind, why in report.skipped.items():
        stdout.print(f"{kind}: skipped — {why}")
    stats = {k: v for k, v in asdict(report.stats).items() if v}
    stdout.print("stats: " + ", ".join(f"{k}={v}" for k, v in stats.items()))


# --------------------------------------------------------------------------- demos
def demos(
    config: ConfigOption = None,
    set_: SetOption = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Data root: the set goes to <output>/policy-sft. "
        "Default: <output.dir>/data.", show_default=False)] = None,
    limit: Annotated[int | None, typer.Option(
        help="Most train-split tasks per family (default: the suite's count, capped by "
        "tasks.limit_per_family).", show_default=False)] = None,
    val_fraction: Annotated[float, typer.Option(
        help="Share of tasks held out for validation.")] = 0.2,
    max_steps: Annotated[int | None, typer.Option(
        help="Cut oracle episodes after this many steps (default: each env's own limit).",
        show_default=False)] = None,
) -> None:
    """Record expert demonstrations for policy SFT: each family's oracle on its train tasks.

    Families come from the config's task suite (tasks.suite / tasks.families); only the
    train split is played, so test tasks never leak into SFT. Each successful episode is
    stored as the chat the policy sees at search time, assistant turns = its actions.
    """
    from agentrm_ray.data.datasets import KIND_SFT
    from agentrm_ray.data.demos import collect_demos, write_demos
    from agentrm_ray.prompt_book import PromptBook
    from agentrm_ray.tasks import select_tasks

    with user_errors():
        cfg = resolve_config(config, set_)
        tasks_cfg = cfg.tasks.model_copy(
            update={
                "splits": ["train"],
                "limit_per_family": limit or cfg.tasks.limit_per_family,
            }
        )
        selected = select_tasks(tasks_cfg)
        target = (Path(output) if output else Path(cfg.output.dir) / "data") / KIND_SFT
        stdout.print(f"playing oracles on {len(selected.tasks)} train task(s)")
        rows, stats = collect_demos(selected.tasks, max_steps=max_steps,
                                    prompts=PromptBook.from_config(cfg.prompts))
        manifest = write_demos(
            rows, stats, target, val_fraction=val_fraction, seed=cfg.seed,
            meta={"suite": cfg.tasks.suite},
        )
    counts = manifest["counts"]
    stdout.print(
        f"{KIND_SFT}: {stats.succeeded}/{stats.tasks} oracle episodes succeeded; "
        f"{counts['train']} train / {counts['val']} val demos -> {target}"
    )
    for key, why in list(stats.failed.items())[:10]:
        stdout.print(f"  no demo for {key}: {why}")


# --------------------------------------------------------------------------- train
def train(
    kind: Annotated[TrainKind | None, typer.Argument(
        help="rm-explicit (value head, MSE on MCTS values), rm-implicit (beta*log "
        "pi/pi_ref from outcomes) or policy-sft (oracle demonstrations). Default: the "
        "config's train.kind.", show_default=False)] = None,
    config: ConfigOption = None,
    set_: SetOption = None,
    dataset: Annotated[str | None, typer.Option(
        "--dataset", "-d", help="Training set directory (train.parquet, val.parquet). "
        "Default: train.dataset, else <output.dir>/data/<kind>.", show_default=False)] = None,
    output: Annotated[str | None, typer.Option(
        "--output", "-o", help="Training directory (checkpoints/, model/, metrics.json). "
        "Default: <output.dir>/train/<kind>.", show_default=False)] = None,
    fresh: Annotated[bool, typer.Option(
        "--fresh", help="Discard checkpoints of an earlier run in --output instead of "
        "resuming from them.")] = False,
    max_failures: Annotated[int, typer.Option(
        help="Times Ray Train may restart failed workers from the latest checkpoint.")] = 0,
    address: Annotated[str | None, typer.Option(
        help="Ray cluster to join (overrides ray.address; RAY_ADDRESS also works).",
        show_default=False)] = None,
) -> None:
    """Fine-tune with Ray Train + DeepSpeed ZeRO and export the best checkpoint.

    Workers, GPUs, ZeRO stage, offload, precision, batch size, accumulation and max length
    come from the `train` config section (--set train.zero_stage=2 …). Checkpoints are
    reported every train.checkpoint_every_steps; rerunning the same command after a kill
    resumes from the latest one. The checkpoint with the lowest validation loss is exported
    to <output>/model (HF format) with metrics.json beside it; the printed overrides serve it.
    """
    from agentrm_ray.runtime import ray_session
    from agentrm_ray.train import plan_training, run_training

    with user_errors():
        cfg = resolve_config(config, set_, {"train.kind": kind, "ray.address": address})
        _prepare_base_model(cfg.train.base_model or cfg.policy.model)
        plan = plan_training(cfg, None, dataset, output, fresh=fresh)  # kind: cfg.train.kind
    stdout.print(
        f"{plan.kind.value}: {len(plan.dataset.train)} train / {len(plan.dataset.val)} val rows, "
        f"{plan.total_steps} steps on {plan.spec.num_workers} worker(s), "
        f"ZeRO-{plan.spec.zero_stage}, {plan.spec.precision} -> {plan.output}"
    )
    for warning in plan.warnings:
        stdout.print(f"[yellow]warning:[/] {warning}")
    with user_errors(), ray_session(cfg.ray):
        outcome = run_training(plan, max_failures=max_failures)
    _print_outcome(outcome.metrics, outcome.already_done)


def _prepare_base_model(name: str) -> None:
    """Convert a packaged default model on first use (as `run` does for the policy)."""
    from agentrm_ray.models.prepare import prepare
    from agentrm_ray.models.registry import KNOWN_MODELS, is_prepared

    if name in KNOWN_MODELS and not is_prepared(name):
        stdout.print(f"preparing model {name} (once)")
        prepare(name)


def _print_outcome(metrics: dict[str, Any], already_done: bool) -> None:
    if already_done:
        stdout.print("already trained with these settings; nothing to do (use --fresh to redo)")
    steps = metrics.get("steps", [])
    if steps:
        stdout.print(
            f"steps {metrics['global_step']}/{metrics['total_steps']}: loss "
            f"{steps[0]['loss']:.4g} -> {steps[-1]['loss']:.4g}"
            + (f" (resumed at {metrics['resumed_from']})" if metrics.get("resumed_from") else "")
        )
    rate = metrics.get("throughput", {})
    if rate.get("steps_timed"):
        stdout.print(
            f"throughput {rate['samples_per_s']:.1f} samples/s, {rate['tokens_per_s']:.0f} "
            f"tokens/s; fit {metrics.get('fit_seconds', 0):.0f} s"
        )
    elif rate:
        stdout.print("throughput not measured: every step was a process's first or followed a "
                     f"checkpoint (one-off costs); fit {metrics.get('fit_seconds', 0):.0f} s")
    best = metrics.get("best")
    if not metrics.get("finished"):
        stdout.print("stopped before the last step; rerun the same command to resume")
        return
    if best:
        shown = {k: v for k, v in best.items() if k.startswith("val_") and v is not None}
        stdout.print(
            f"best step {best['step']} ({best.get('selection_metric')} "
            f"{best.get('selection_loss', float('nan')):.4g}): "
            + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in shown.items())
        )
    serve = metrics.get("serve_with", {})
    if serve:
        stdout.print("serve it with: " + " ".join(f"--set {k}={v}" for k, v in serve.items()))
