"""`agentrm-ray quickstart`: the whole AgentRM loop on the default models, stage by stage.

Model roles follow the paper at small scale: the policy is the configured policy.model after
SFT on oracle demos; the explicit RM is a value head on the configured policy.model backbone
(not the SFT policy: the RM should not inherit the policy's habits); the implicit RM starts
from the SFT policy and is scored against it as the frozen reference; the judge is the
configured (instruction-tuned, un-SFT'd) model.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import LoopColumn, TrainKind
from agentrm_ray.host import HostSummary, host_summary
from agentrm_ray.loop import stages
from agentrm_ray.loop.columns import COLUMNS, LoopModels
from agentrm_ray.loop.stages import LoopLayout, Say, StageTimes
from agentrm_ray.loop.table import load_cells, write_outputs


@dataclass
class QuickstartResult:
    table: str
    root: Path
    seconds: dict[str, float]
    cells: dict[str, Any]
    host: HostSummary
    seconds_in_all_sessions: dict[str, float]
    sessions: int


def run_quickstart(cfg: RootConfig, say: Say, observers: stages.Observers = None
                   ) -> QuickstartResult:
    """Run (or resume) every stage under cfg.output.dir; Ray must not be running yet.
    `say` takes the stage lines, `observers` makes a progress display for each run."""
    from agentrm_ray.runtime import ray_session
    from agentrm_ray.search.stack import prepare_known_models

    q = cfg.quickstart
    layout = LoopLayout(Path(cfg.output.dir))
    layout.root.mkdir(parents=True, exist_ok=True)
    stage_log = layout.root / stages.STAGE_TIMES_LOG
    times = StageTimes(log=stage_log)
    started = time.perf_counter()
    columns = list(dict.fromkeys(q.columns))
    wants_implicit = LoopColumn.best_of_n_implicit in columns
    base_model = cfg.policy.model
    extra: dict[str, Any] = {}

    with times.timed("prepare models", say):
        prepare_known_models(cfg)
        given_policy = stages.given_policy(cfg)
    with times.timed("demos", say):
        if given_policy:
            say("  skipped: quickstart.policy_model is set")
            demos = None
        else:
            demos = stages.make_demos(cfg, layout, say)

    with ray_session(cfg.ray):
        with times.timed("policy SFT", say):
            if given_policy:
                say(f"  skipped: searching with quickstart.policy_model {given_policy}")
                sft = None
            else:
                sft = stages.train_stage(
                    stages.training_config(cfg, TrainKind.policy_sft, base_model,
                                           q.sft_epochs, q.sft_learning_rate),
                    TrainKind.policy_sft, demos, layout.trained(TrainKind.policy_sft), say)
        policy = given_policy or sft["model"]
        with times.timed("collect", say):
            asyncio.run(stages.collect_stage(cfg, layout, policy, say, observers))
        with times.timed("label", say):
            extra["datasets"] = stages.label_stage(cfg, layout, say)

        def train_rm(kind: TrainKind, start_from: str, learning_rate: float,
                     seed: int | None = None) -> dict[str, Any]:
            return stages.rm_stage(cfg, layout, kind, start_from, learning_rate, say, seed)

        with times.timed("explicit RM", say):  # a value head on the base model
            explicit = train_rm(TrainKind.rm_explicit, base_model, q.rm_learning_rate)
            refits = {seed: train_rm(TrainKind.rm_explicit, base_model, q.rm_learning_rate, seed)
                      for seed in stages.ensemble_seeds(cfg)}
        implicit = None
        if wants_implicit:  # the SFT policy against itself as reference
            with times.timed("implicit RM", say):
                implicit = train_rm(TrainKind.rm_implicit, policy, q.implicit_learning_rate)
        models = LoopModels(
            policy=policy,
            explicit_rm=explicit["model"],
            implicit_rm=implicit["model"] if implicit else None,
            judge=q.judge_model or base_model,
            explicit_ensemble=tuple(fit["model"] for fit in refits.values()),
        )
        with times.timed("RM value check", say):
            extra["rm_value_correlation"] = asyncio.run(
                stages.rm_value_stage(cfg, layout, models, say))
        with times.timed("evaluate", say):
            evals = asyncio.run(stages.eval_stage(cfg, layout, models, columns, say, observers))

    with times.timed("scaling report", say):
        extra["scaling"] = stages.scaling_stage(layout, evals, say)
    times.seconds["total"] = round(time.perf_counter() - started, 1)
    in_all, sessions = stages.seconds_in_all_sessions(stage_log)
    cells = load_cells(evals.summaries)
    host = host_summary()
    extra.update({
        "seconds": times.seconds,  # this invocation's: a resumed stage counts what was left
        "seconds_in_all_sessions": in_all,  # every session's, summed (stage_times.jsonl)
        "sessions": sessions,
        "host": host.as_json(),
        "models": {"policy": policy, "explicit_rm": explicit["model"],
                   "explicit_rm_ensemble": list(models.explicit_ensemble),
                   "implicit_rm": models.implicit_rm, "judge": models.judge},
        "training": {"policy-sft": sft, "rm-explicit": explicit, "rm-implicit": implicit,
                     **{layout.refit(TrainKind.rm_explicit, seed).name: fit
                        for seed, fit in refits.items()}},
        "runs": {c.value: str(p) for c, p in evals.runs.items()},
        "candidates_reranked_from": {c.value: s.value for c, s in evals.reranked_from.items()},
        "columns": {c.value: COLUMNS[c].label for c in columns},
    })
    notes = [f"{COLUMNS[c].label} ranks the candidates {COLUMNS[src].label} sampled "
             "(same N samples per task, paired comparison)."
             for c, src in evals.reranked_from.items()]
    if refits:
        notes.append(f"The explicit RM scores the mean of {1 + len(refits)} fits on the same "
                     f"labels (seeds {', '.join(map(str, [cfg.seed, *refits]))}).")
    notes.append(f"Wall times (quickstart.json `seconds`) measured on: {host.line()}.")
    table = write_outputs(layout.root, cells, columns, extra, notes)
    return QuickstartResult(table, layout.root, times.seconds, cells, host, in_all, sessions)
