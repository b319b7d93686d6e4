"""The quickstart table's columns as data: each is a search strategy plus the scorer ranking it.

Every column runs the same (SFT) policy on the same test tasks; only how candidates are
ranked differs, so the table isolates what the reward model buys. The mapping lives here,
once, so the CLI, the stages and the tests agree on what "best_of_n_implicit" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import (
    LoopColumn,
    RewardBackend,
    RewardConfig,
    RewardMethod,
    SearchStrategy,
)


@dataclass(frozen=True)
class ColumnSpec:
    strategy: SearchStrategy
    method: RewardMethod
    label: str  # header of the printed table


COLUMNS: dict[LoopColumn, ColumnSpec] = {
    LoopColumn.greedy: ColumnSpec(SearchStrategy.greedy, RewardMethod.none, "greedy"),
    LoopColumn.best_of_n: ColumnSpec(SearchStrategy.best_of_n, RewardMethod.value,
                                     "BoN (explicit RM)"),
    LoopColumn.beam: ColumnSpec(SearchStrategy.beam, RewardMethod.value, "beam (explicit RM)"),
    LoopColumn.best_of_n_implicit: ColumnSpec(SearchStrategy.best_of_n, RewardMethod.implicit,
                                              "BoN (implicit RM)"),
    LoopColumn.best_of_n_judge: ColumnSpec(SearchStrategy.best_of_n, RewardMethod.judge,
                                           "BoN (LLM judge)"),
    LoopColumn.best_of_n_oracle: ColumnSpec(SearchStrategy.best_of_n, RewardMethod.oracle,
                                            "BoN (oracle, upper bound)"),
}


@dataclass(frozen=True)
class LoopModels:
    """What the earlier stages produced (paths of exported HF models)."""

    policy: str  # the SFT policy
    explicit_rm: str | None
    implicit_rm: str | None
    judge: str
    explicit_ensemble: tuple[str, ...] = ()  # more explicit fits (other seeds): scored with it


def column_config(base: RootConfig, column: LoopColumn, models: LoopModels,
                  output_dir: Path) -> RootConfig:
    """The run config of one column: base settings, the SFT policy, the column's scorer."""
    spec = COLUMNS[column]
    # reward.backend chooses the value RM's engine: a column scoring another way runs on hf.
    backend = base.reward.backend if spec.method is RewardMethod.value else RewardBackend.hf
    # A column whose scorer reads no template keeps the default: a template set for the RMs
    # must not make its run look like another config's (its cache is the same run).
    template = (base.reward.template if spec.method.reads_template
                else RewardConfig.model_fields["template"].default)
    reward = base.reward.model_copy(update={"method": spec.method, "model": None,
                                            "reference_model": None, "backend": backend,
                                            "ensemble": [], "template": template})
    if spec.method is RewardMethod.value:
        reward = reward.model_copy(update={"model": _needs(models.explicit_rm, column),
                                           "ensemble": list(models.explicit_ensemble)})
    elif spec.method is RewardMethod.implicit:
        reward = reward.model_copy(update={"model": _needs(models.implicit_rm, column),
                                           "reference_model": models.policy,
                                           "beta": base.train.beta})
    elif spec.method is RewardMethod.judge:
        # The judge reads the whole trajectory inside its prompt: give it the policy's context.
        reward = reward.model_copy(update={"model": models.judge,
                                           "max_length": base.policy.max_model_len})
    return base.model_copy(update={
        "policy": base.policy.model_copy(update={"model": models.policy}),
        "reward": reward,
        "search": base.search.model_copy(update={"strategy": spec.strategy}),
        "output": base.output.model_copy(update={"dir": str(output_dir / column.value)}),
    })


def _needs(path: str | None, column: LoopColumn) -> str:
    if path is None:
        raise ValueError(f"column {column.value} needs a trained RM that no stage produced")
    return path
