"""The stages of the AgentRM loop, each cached in its own folder under the quickstart root.

    demos -> policy SFT -> collect (MCTS on held-in train or dev tasks) -> label -> train the
    explicit RM (one fit per ensemble seed) and the implicit RM -> RM value check (explicit RM
    vs MCTS values of held-out trees) -> evaluate every table column on the held-in and
    held-out test tasks -> scaling report (Best-of-N curves re-ranked from the shared samples,
    RM quality)

A stage whose output is already there is skipped, and the slow ones resume mid-way: search
stages are ordinary run directories (finished tasks are skipped), training resumes from its
latest Ray Train checkpoint. Rerunning `agentrm-ray quickstart` after a kill therefore redoes
at most the work that was in flight. Stages run in one Ray session; each frees its actors
before the next starts, so training gets the CPUs the search used.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import LoopColumn, SearchStrategy, TrainKind
from agentrm_ray.durable import atomic_write_text, read_json
from agentrm_ray.loop.columns import COLUMNS, LoopModels, column_config

if TYPE_CHECKING:
    from agentrm_ray.search.runs import RunObserver
    from agentrm_ray.search.scorers import Scorer

Say = Callable[[str], None]
Observers = Callable[[], "RunObserver"] | None  # a fresh progress display per run; None: none

DATA, TRAIN, RUNS = "data", "train", "runs"
COLLECT_RUN = "collect"
EVAL_RUNS = "eval"


@dataclass
class LoopLayout:
    """Where each stage keeps its output, under one root folder."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / DATA

    def trained(self, kind: TrainKind) -> Path:
        return self.root / TRAIN / kind.value

    def refit(self, kind: TrainKind, seed: int) -> Path:
        """Where a further fit of `kind` on the same data, with another seed, is trained."""
        return self.root / TRAIN / f"{kind.value}-seed-{seed}"

    @property
    def collect(self) -> Path:
        return self.root / RUNS / COLLECT_RUN

    @property
    def evals(self) -> Path:
        return self.root / RUNS / EVAL_RUNS


STAGE_TIMES_LOG = "stage_times.jsonl"


@dataclass
class StageTimes:
    """This invocation's seconds per stage, each also appended to `log` as the stage ends.

    A loop of hours is resumed across sessions, and a resumed stage finds its earlier work
    cached: this invocation's seconds are then only what was left. The log keeps every
    session's line, including stages that failed or were cut short, so the wall time a
    stage cost in all is `seconds_in_all_sessions(log)`, not lost with the session."""

    log: Path | None = None
    session: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str, say: Say) -> Iterator[None]:
        """Announce a stage, time it, and record its seconds (also when it fails)."""
        say(f"[bold]stage {name}[/]")
        start = time.perf_counter()
        finished = False
        try:
            yield
            finished = True
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 1)
            if self.log is not None:
                line = {"session": self.session, "stage": name,
                        "seconds": self.seconds[name], "finished": finished}
                with self.log.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(line) + "\n")
        say(f"  {name} done in {self.seconds[name]:.0f} s")


def seconds_in_all_sessions(log: Path) -> tuple[dict[str, float], int]:
    """(seconds per stage summed over every session the log holds, how many sessions)."""
    if not log.is_file():
        return {}, 0
    totals: dict[str, float] = {}
    sessions = set()
    for text in log.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
        except json.JSONDecodeError:  # a line cut short by a kill: its time is unknown
            continue
        totals[line["stage"]] = round(totals.get(line["stage"], 0.0) + line["seconds"], 1)
        sessions.add(line["session"])
    return totals, len(sessions)


# ------------------------------------------------------------------------- configs
def held_in_families(cfg: RootConfig) -> list[str]:
    """The suite's (or tasks.families') families whose env spec marks them held-in."""
    from agentrm_ray.tasks import select_tasks

    held_in = select_tasks(cfg.tasks.model_copy(update={"limit_per_family": 1})).held_in
    return [name for name, is_in in held_in.items() if is_in]


def collect_config(cfg: RootConfig, policy_model: str | None = None,
                   output_dir: str | Path | None = None,
                   tasks_per_family: int | None = None) -> RootConfig:
    """MCTS on the held-in families' `quickstart.collect_splits`: the trees the RMs learn from.

    Only held-in families are searched, so held-out families stay unseen by the RM (the
    paper's generalisation split); never the test split (the config refuses it), so no test
    task leaks into training.
    """
    families = held_in_families(cfg)
    if not families:
        from agentrm_ray.config.errors import ConfigError, ConfigProblem

        raise ConfigError([ConfigProblem(
            "tasks.suite", "no held-in family in the suite: MCTS trees are collected on the "
            "held-in families' tasks only")])
    from agentrm_ray.config.models import RewardConfig, RewardMethod

    return cfg.model_copy(update={
        "policy": cfg.policy.model_copy(
            update={"model": policy_model} if policy_model else {}),
        # MCTS values come from rollout outcomes, not an RM: RM settings must not make the
        # trees look like another config's run (nor start an RM replica).
        "reward": RewardConfig(method=RewardMethod.none),
        "search": cfg.search.model_copy(update={"strategy": SearchStrategy.mcts}),
        "tasks": cfg.tasks.model_copy(update={
            "families": families, "splits": list(cfg.quickstart.collect_splits),
            "limit_per_family": tasks_per_family or cfg.tasks.limit_per_family}),
        "output": cfg.output.model_copy(
            update={"dir": str(output_dir)} if output_dir else {}),
    })


def training_config(cfg: RootConfig, kind: TrainKind, base_model: str, epochs: float,
                    learning_rate: float) -> RootConfig:
    """The train section of one stage. RMs train on what they will be served: states cut
    from the left at reward.max_length, which also bounds the cost of long trajectories."""
    max_length = cfg.train.max_length
    if kind in (TrainKind.rm_explicit, TrainKind.rm_implicit):
        max_length = min(max_length, cfg.reward.max_length)
    return cfg.model_copy(update={"train": cfg.train.model_copy(update={
        "kind": kind, "base_model": base_model, "epochs": epochs,
        "learning_rate": learning_rate, "dataset": None, "max_length": max_length})})


def eval_tasks_config(cfg: RootConfig) -> RootConfig:
    return cfg.model_copy(update={"tasks": cfg.tasks.model_copy(update={
        "splits": ["test"], "limit_per_family": cfg.quickstart.eval_tasks_per_family})})


# -------------------------------------------------------------------------- stages
def make_demos(cfg: RootConfig, layout: LoopLayout, say: Say) -> Path:
    """Oracle demonstrations on every family's train split (never the test split).

    Only episodes the oracle finishes within the search's step budget (tasks.max_steps) are
    kept: a longer one teaches a plan the policy is never given the steps to carry out, and
    its long chat is the costliest row to train on.
    """
    from agentrm_ray.config.loader import hash_without_rm_choice
    from agentrm_ray.data.datasets import KIND_SFT
    from agentrm_ray.data.demos import collect_demos, write_demos
    from agentrm_ray.data.results import OutputDirError
    from agentrm_ray.prompt_book import PromptBook
    from agentrm_ray.tasks import select_tasks, task_list_digest

    target = layout.data / KIND_SFT
    selected = select_tasks(cfg.tasks.model_copy(update={
        "splits": ["train"], "limit_per_family": cfg.quickstart.demos_per_family}))
    # The tasks themselves, not only the suite file: a family's task list can grow (TextCraft
    # gained depth-1 targets) while the suite's YAML stays the same.
    made_for = {"suite": cfg.tasks.suite, "config_hash": hash_without_rm_choice(cfg),
                "demos_per_family": cfg.quickstart.demos_per_family,
                "train_tasks": task_list_digest(selected.tasks)}
    if (target / "manifest.json").is_file():
        cached = read_json(target / "manifest.json")
        other = sorted(k for k in made_for if k in cached and cached[k] != made_for[k])
        if other:  # e.g. the suite was edited: the tasks, the policy and the trees all differ
            raise OutputDirError(
                f"{str(target)!r} holds demos made for another config ("
                + "; ".join(f"{k} {cached[k]} there, {made_for[k]} here" for k in other)
                + "); every later stage would build on them. Use another --output for this "
                "config")
        say(f"  cached: {target}")
        return target
    rows, stats = collect_demos(selected.tasks, max_steps=cfg.tasks.max_steps,
                                prompts=PromptBook.from_config(cfg.prompts))
    manifest = write_demos(rows, stats, target, seed=cfg.seed, meta=made_for)
    say(f"  {stats.succeeded}/{stats.tasks} oracle episodes -> {manifest['counts']['train']} "
        f"train / {manifest['counts']['val']} val demos")
    return target


def train_stage(cfg: RootConfig, kind: TrainKind, dataset: Path, output: Path, say: Say
                ) -> dict[str, Any]:
    """Fit (or find already fitted) and return the metrics; the model is in output/model."""
    from agentrm_ray.train import plan_training, run_training

    plan = plan_training(cfg, kind, dataset, output)
    say(f"  {len(plan.dataset.train)} train / {len(plan.dataset.val)} val rows, "
        f"{plan.total_steps} steps on {plan.spec.num_workers} worker(s), "
        f"ZeRO-{plan.spec.zero_stage}")
    outcome = run_training(plan)
    if outcome.already_done:
        say(f"  cached: {outcome.model_dir}")
    if outcome.model_dir is None:
        raise RuntimeError(f"{kind.value} training stopped before its last step; rerun")
    steps = outcome.metrics.get("steps", [])
    if steps:
        say(f"  loss {steps[0]['loss']:.4g} -> {steps[-1]['loss']:.4g}")
    return {"model": str(outcome.model_dir), "best": outcome.metrics.get("best"),
            "fit_seconds": outcome.metrics.get("fit_seconds")}


def ensemble_seeds(cfg: RootConfig) -> list[int]:
    """The seeds of the explicit RM's further fits (quickstart.rm_ensemble - 1 of them)."""
    return [cfg.seed + k for k in range(1, cfg.quickstart.rm_ensemble)]


def rm_stage(cfg: RootConfig, layout: LoopLayout, kind: TrainKind, base_model: str,
             learning_rate: float, say: Say, seed: int | None = None) -> dict[str, Any]:
    """Fit an RM on the loop's labels into train/<kind>. With `seed`, a further fit that
    differs only in its training seed (the order of the rows and the head's initialisation),
    into train/<kind>-seed-<seed>: a member of the RM ensemble."""
    output = layout.trained(kind)
    if seed is not None:
        say(f"  {kind.value}, seed {seed}")
        cfg, output = cfg.model_copy(update={"seed": seed}), layout.refit(kind, seed)
    return train_stage(
        training_config(cfg, kind, base_model, cfg.quickstart.rm_epochs, learning_rate),
        kind, layout.data / kind.value, output, say)


def open_run(run_cfg: RootConfig, tasks: list) -> tuple[Any, list | None]:
    """(store, results): the results only when the run already holds every task, so no actor
    need start. The store keeps what it read, so resuming does not parse the file again."""
    from agentrm_ray.data.results import RunStore

    store = RunStore.open(run_cfg.output.dir, run_cfg, force=run_cfg.output.force)
    return store, results_of_every(store, tasks)


def results_of_every(store: Any, tasks: list, failed_count: bool = False) -> list | None:
    """The store's results for `tasks`, in their order; None while any is missing.

    A failed record counts as missing (the stage reruns and retries it) unless `failed_count`:
    a re-ranking stage takes the sampling run as it is, failed tasks included.
    """
    done = {r.task.key: r for r in store.load_results() if failed_count or not r.failed}
    if all(t.key in done for t in tasks):
        return [done[t.key] for t in tasks]
    return None


async def collect_stage(cfg: RootConfig, layout: LoopLayout, policy: str, say: Say,
                        observers: Observers = None) -> int:
    from agentrm_ray.search.runs import search_run
    from agentrm_ray.search.stack import SearchStack
    from agentrm_ray.tasks import select_tasks

    run_cfg = collect_config(cfg, policy, layout.collect,
                             cfg.quickstart.collect_tasks_per_family)
    tasks = select_tasks(run_cfg.tasks).tasks
    store, done = open_run(run_cfg, tasks)
    if done is not None:
        say(f"  cached: {layout.collect}")
        return len(tasks)
    return len(await search_run(run_cfg, SearchStack(run_cfg), store, tasks,
                                observers() if observers else None, warn=say))


def label_stage(cfg: RootConfig, layout: LoopLayout, say: Say) -> dict[str, Any]:
    """Trees -> explicit (state, value) and implicit (trajectory, outcome) sets.

    Cheap and deterministic, so it always reruns: a collect stage that gained tasks after a
    resume is then labelled in full, and unchanged data keeps its fingerprint (training stays
    cached).
    """
    from agentrm_ray.data.labelling import CONTRAST_SPAN, LabelOptions, label_run

    # The root's template, not the collect run's: that one searched without an RM.
    report = label_run(layout.collect, layout.data, LabelOptions.of_config(cfg))
    for kind, manifest in report.manifests.items():
        say(f"  {kind}: {manifest['counts']['train']} train / {manifest['counts']['val']} val")
    for kind, why in report.skipped.items():
        say(f"  {kind}: skipped — {why}")
    say("  labels by searched tasks: " + "; ".join(
        f"{g['tasks']} -> {g['explicit']} states ({g['contrasting_tasks']} tasks whose state "
        f"values differ by >= {CONTRAST_SPAN}), {g['implicit']} trajectories "
        f"({g['implicit_positive']} successful)" for g in report.growth))
    return {**{kind: m["counts"] for kind, m in report.manifests.items()},
            "growth": report.growth}


def sample_source(columns: list[LoopColumn], configs: dict[LoopColumn, RootConfig],
                  share: bool) -> LoopColumn | None:
    """The Best-of-N column whose samples the other BoN columns re-rank (None: all sample).

    Sampling never reads a score, so the column that scores without a model (the oracle)
    samples when it is evaluated: an RM scoring inline competes with the policy engine for
    the same cores (the fidelity run's RM requests timed out after 300 s), while re-ranking
    afterwards gives the RM every core.
    """
    from agentrm_ray.config.models import RewardMethod
    from agentrm_ray.search.rescore import can_rescore

    if not share:
        return None
    bon = [c for c in columns if can_rescore(configs[c].search.strategy,
                                             configs[c].search.best_of_n.aggregate)]
    if len(bon) < 2:
        return None
    return min(bon, key=lambda c: configs[c].reward.method is not RewardMethod.oracle)


def largest_node_cpus() -> int:
    """Cores of the biggest live node: what an RM replica running alone may use."""
    import ray

    cpus = [n["Resources"].get("CPU", 0) for n in ray.nodes() if n.get("Alive")]
    return max(1, int(max(cpus, default=1)))


async def rerank_run(run_cfg: RootConfig, store: Any, sampled: list, say: Say,
                     observer: RunObserver | None = None,
                     wrap: Callable[[Scorer], Scorer] | None = None) -> list:
    """Score another column's finished candidates with run_cfg's scorer into `store`.

    The scorer's replica runs alone (no policy engine), so it is given every core of the
    largest node. `wrap` changes what the scorer is shown (a diagnostic's view of the states).
    """
    from agentrm_ray.search.runs import rescore_run
    from agentrm_ray.search.stack import started_scorer

    async with started_scorer(run_cfg, threads=largest_node_cpus()) as scorer:
        return await rescore_run(run_cfg, wrap(scorer) if wrap else scorer, store, sampled,
                                 observer, warn=say)


def given_policy(cfg: RootConfig) -> str | None:
    """The fine-tuned policy the config brings (`quickstart.policy_model`) as an absolute
    directory, or None where the loop fine-tunes its own; an error names the field."""
    from agentrm_ray.models import resolve_model

    name = cfg.quickstart.policy_model
    return None if name is None else str(resolve_model(name, field="quickstart.policy_model"))


def loop_models(cfg: RootConfig, layout: LoopLayout) -> LoopModels:
    """The models a finished loop trained under `layout` (the SFT policy, or the one it was
    given, and the explicit RM with its ensemble), for analyses that re-rank its samples."""
    explicit = TrainKind.rm_explicit
    # absolute, as the loop recorded them: the paths are part of its runs' configs
    return LoopModels(
        policy=given_policy(cfg) or str((layout.trained(TrainKind.policy_sft) / "model"
                                         ).resolve()),
        explicit_rm=str((layout.trained(explicit) / "model").resolve()),
        implicit_rm=None, judge=cfg.quickstart.judge_model or cfg.policy.model,
        explicit_ensemble=tuple(str((layout.refit(explicit, seed) / "model").resolve())
                                for seed in ensemble_seeds(cfg)))


async def rerank_shared_samples(cfg: RootConfig, layout: LoopLayout, models: LoopModels,
                                out: Path, label: str, say: Say,
                                wrap: Callable[[Scorer], Scorer] | None = None) -> list:
    """The explicit RM of `models` ranks the samples of the loop's oracle column into
    out/best_of_n, with a summary, so `agentrm-ray report --scaling` reads it like a column:
    what the analyses of a finished loop (other seeds, a verdict-blind view) share."""
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.tasks import select_tasks

    base = eval_tasks_config(cfg)
    selected = select_tasks(base.tasks)
    source, _ = open_run(column_config(base, LoopColumn.best_of_n_oracle, models,
                                       layout.evals), selected.tasks)
    sampled = results_of_every(source, selected.tasks, failed_count=True)
    if sampled is None:
        raise RuntimeError(f"{layout.evals / LoopColumn.best_of_n_oracle.value} has not "
                           "sampled every test task; finish the quickstart first")
    run_cfg = column_config(base, LoopColumn.best_of_n, models, out)
    store, done = open_run(run_cfg, selected.tasks)
    if done is None:
        done = await rerank_run(run_cfg, store, sampled, say, wrap=wrap)
    else:
        say(f"  cached: {run_cfg.output.dir}")
    write_run_summary(store, done, selected.held_in, label)
    return done


@dataclass
class EvalRuns:
    runs: dict[LoopColumn, Path]  # each column's run directory
    reranked_from: dict[LoopColumn, LoopColumn]  # column -> the BoN column it re-ranked
    summaries: dict[LoopColumn, dict[str, Any]]  # each column's summary.json, as written


async def eval_stage(cfg: RootConfig, layout: LoopLayout, models: LoopModels,
                     columns: list[LoopColumn], say: Say, observers: Observers = None
                     ) -> EvalRuns:
    """Every column over the same test tasks.

    Searching columns share one policy engine (the RM is swapped between them). With
    quickstart.share_best_of_n_samples, the first Best-of-N column samples and every other
    BoN column re-ranks those candidates with its own scorer (search/rescore.py), after the
    policy engine is gone: re-ranking needs only the scorer, whose replica may then use every
    core of its node.
    """
    from agentrm_ray.data.summary import write_run_summary
    from agentrm_ray.search.runs import search_run
    from agentrm_ray.search.stack import SearchStack
    from agentrm_ray.tasks import select_tasks

    base = eval_tasks_config(cfg)
    selected = select_tasks(base.tasks)
    configs = {c: column_config(base, c, models, layout.evals) for c in columns}
    source = sample_source(columns, configs, cfg.quickstart.share_best_of_n_samples)
    rerankers = {c for c in columns if source is not None and c is not source
                 and configs[c].search.strategy is configs[source].search.strategy}
    pending, stores, summaries = [], {}, {}
    for column in columns:
        stores[column], done = open_run(configs[column], selected.tasks)
        if done is None:
            pending.append(column)
        else:
            say(f"  cached: {column.value}")
            summaries[column] = write_run_summary(stores[column], done, selected.held_in,
                                                  column.value).summary
    searching = [c for c in pending if c not in rerankers]
    if searching:
        stack = SearchStack(configs[searching[0]])
        await stack.start()
        try:
            for column in searching:
                await stack.use_reward(configs[column])
                results = await search_run(configs[column], stack, stores[column],
                                           selected.tasks, observers() if observers else None,
                                           start_stack=False, warn=say)
                summaries[column] = write_run_summary(stores[column], results,
                                                      selected.held_in, column.value).summary
        finally:
            await stack.shutdown()
    reranking = [c for c in pending if c in rerankers]
    if reranking:  # the source has searched every task by now (its store holds them parsed)
        sampled = results_of_every(stores[source], selected.tasks, failed_count=True)
        if sampled is None:
            raise RuntimeError(f"{source.value} has not searched every task; rerun")
    for column in reranking:
        say(f"  {column.value}: re-ranking the candidates of {source.value}")
        results = await rerank_run(configs[column], stores[column], sampled, say,
                                   observers() if observers else None)
        summaries[column] = write_run_summary(stores[column], results, selected.held_in,
                                              column.value).summary
    return EvalRuns(runs={c: Path(configs[c].output.dir) for c in columns},
                    reranked_from={c: source for c in rerankers},
                    summaries={c: summaries[c] for c in columns})


def scaling_stage(layout: LoopLayout, evals: EvalRuns, say: Say) -> dict[str, Any] | None:
    """Curves for every N up to the sampled N and every scorer, from the evaluation's runs.

    Computed from the run directories alone (no actor), so it always reruns; None when no
    Best-of-N column shares its samples (nothing to re-rank).
    """
    from agentrm_ray.data.scaling_report import markdown_report, write_scaling_report

    sources = set(evals.reranked_from.values())
    if not sources:
        say("  skipped: no Best-of-N column whose samples the other scorers re-rank")
        return None
    shared = sources | set(evals.reranked_from)
    dirs = [path for column, path in evals.runs.items()  # greedy and beam are single points
            if column in shared or COLUMNS[column].strategy is not SearchStrategy.best_of_n]
    report = write_scaling_report(dirs, layout.root)
    for line in markdown_report(report).splitlines():
        say(f"  {line}")
    return {"json": str(layout.root / "scaling.json"), "png": str(layout.root / "scaling.png"),
            "n_max": report["n_max"], "failed_tasks": len(report["failed_tasks"])}


RM_VALUES = "rm_value_correlation.json"
VALUE_SCORE_CHUNK = 32  # states per scoring call: one RM batch, a bounded request


async def rm_value_stage(cfg: RootConfig, layout: LoopLayout, models: LoopModels, say: Say
                         ) -> dict[str, Any] | None:
    """The explicit RM's value against the MCTS value of tree states it never trained on.

    The states are the explicit set's validation split (whole tasks held out of training by
    the label stage), so this measures what search relies on: ranking unseen states. Cached
    in rm_value_correlation.json for this model and data; None when there is no such state.
    """
    import json

    from agentrm_ray.data.datasets import KIND_EXPLICIT, load_dataset
    from agentrm_ray.data.rm_quality import value_correlation
    from agentrm_ray.search.expander import SearchState
    from agentrm_ray.search.stack import started_scorer
    from agentrm_ray.types import Trajectory

    dataset = load_dataset(layout.data / TrainKind.rm_explicit.value, KIND_EXPLICIT)
    key = {"model": models.explicit_rm, "ensemble": list(models.explicit_ensemble),
           "data": dataset.fingerprint}
    target = layout.root / RM_VALUES
    if target.is_file():
        saved = read_json(target)
        if saved.get("key") == key:
            say(f"  cached: {target}")
            return saved
    if not dataset.val:
        say("  skipped: the explicit RM set has no validation state")
        return None
    run_cfg = column_config(eval_tasks_config(cfg), LoopColumn.best_of_n, models, layout.evals)
    states = [SearchState(trajectory=Trajectory.model_validate_json(row["trajectory"]))
              for row in dataset.val]
    scores: list[float | None] = []
    async with started_scorer(run_cfg, threads=largest_node_cpus()) as scorer:
        for start in range(0, len(states), VALUE_SCORE_CHUNK):
            scores += await scorer.score(states[start:start + VALUE_SCORE_CHUNK])
    pairs = [(s, row["value"]) for s, row in zip(scores, dataset.val, strict=True)
             if s is not None]
    corr = value_correlation([s for s, _ in pairs], [v for _, v in pairs])
    result = {"key": key, **corr.as_dict(), "unscored": len(scores) - len(pairs),
              "tasks": len({row["task_key"] for row in dataset.val})}
    atomic_write_text(target, json.dumps(result, indent=2))
    say(f"  {corr.states} held-out tree states of {result['tasks']} task(s): pearson "
        f"{_num(corr.pearson)}, spearman {_num(corr.spearman)}")
    return result


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"
