"""Expert demonstrations for policy SFT: each family's oracle played on train-split tasks.

A demonstration is recorded in exactly the chat layout the policy is prompted with at search
time (`prompting.policy_messages`: instruction + one-shot example + goal + first observation,
then assistant turns `step_turn(step)` alternating with "Observation: …" user turns), so SFT
teaches the format the parser reads back. The trailing observation after the last action is
dropped: nothing follows it to learn. Oracles emit actions only, so assistant turns are
"Action: …" without a thought. Only successful episodes become demonstrations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentrm_ray.data.datasets import KIND_SFT, DatasetError, write_dataset
from agentrm_ray.data.splits import task_group, validation_tasks
from agentrm_ray.prompt_book import FamilyPrompts, PromptBook
from agentrm_ray.types import Outcome, Step, Task, Trajectory

KEPT_INFO = ("progress", "success", "valid_action")


@dataclass
class DemoStats:
    tasks: int = 0
    succeeded: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # task key -> why


def oracle_trajectory(task: Task, max_steps: int | None = None) -> Trajectory:
    """Play the family's oracle on one task from its seed; the trajectory has its outcome."""
    from agentrm_ray.envs import make_env

    env = make_env(task.env_id)
    try:
        observation, info = env.reset(seed=task.seed, options={"task_id": task.task_id})
        trajectory = Trajectory(
            task=task, goal=info.get("goal", ""), initial_observation=observation
        )
        limit = max_steps or env.step_limit
        terminated = truncated = False
        while not env.finished and len(trajectory.steps) < limit:
            action = env.oracle_action()
            observation, reward, terminated, truncated, info = env.step(action)
            trajectory.steps.append(
                Step(
                    action=action,
                    observation=observation,
                    reward=float(reward),
                    info={k: info[k] for k in KEPT_INFO if k in info},
                )
            )
        trajectory.outcome = Outcome(
            success=bool(info.get("success", False)),
            progress=float(info.get("progress", 0.0)),
            reward=sum(s.reward for s in trajectory.steps),
            terminated=bool(terminated),
            truncated=bool(truncated or not env.finished),
        )
        return trajectory
    finally:
        env.close()


def demo_messages(prompts: FamilyPrompts, trajectory: Trajectory) -> list[dict[str, str]]:
    """The policy's chat for a whole demonstration, ending with its last assistant turn: the
    chat the search prompts with (`FamilyPrompts.policy_messages`), so SFT trains on it."""
    messages = prompts.policy_messages(trajectory)
    if messages and messages[-1]["role"] == "user" and trajectory.steps:
        messages = messages[:-1]
    return messages


def demo_row(task: Task, prompts: FamilyPrompts, trajectory: Trajectory) -> dict[str, Any]:
    return {
        "task_key": task_group(task),
        "env_id": task.env_id,
        "task_id": task.task_id,
        "messages": demo_messages(prompts, trajectory),
        "num_steps": len(trajectory.steps),
    }


def collect_demos(
    tasks: list[Task],
    max_steps: int | None = None,
    on_task: Callable[[Task, Trajectory | None], None] | None = None,
    prompts: PromptBook | None = None,
) -> tuple[list[dict[str, Any]], DemoStats]:
    """Rows of successful oracle episodes; failures (oracle errors or no success) are counted.
    `prompts`: the run's (`PromptBook.from_config(cfg.prompts)`); default: each family's own."""
    book = prompts or PromptBook()
    rows: list[dict[str, Any]] = []
    stats = DemoStats()
    for task in tasks:
        stats.tasks += 1
        try:
            trajectory = oracle_trajectory(task, max_steps)
        except Exception as exc:  # an oracle that cannot play a task costs one demo, not all
            stats.failed[task.key] = f"{type(exc).__name__}: {exc}"
            if on_task:
                on_task(task, None)
            continue
        if on_task:
            on_task(task, trajectory)
        if trajectory.outcome is None or not trajectory.outcome.success or not trajectory.steps:
            stats.failed[task.key] = f"oracle did not succeed in {len(trajectory.steps)} steps"
            continue
        stats.succeeded += 1
        rows.append(demo_row(task, book.for_env(task.env_id), trajectory))
    return rows, stats


def write_demos(
    rows: list[dict[str, Any]],
    stats: DemoStats,
    output_dir: str | Path,
    val_fraction: float = 0.2,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Split demonstrations by task and write the policy-sft training set."""
    if not rows:
        reasons = "; ".join(f"{k}: {v}" for k, v in list(stats.failed.items())[:3])
        raise DatasetError(
            f"no successful oracle demonstration among {stats.tasks} task(s)"
            + (f" ({reasons})" if reasons else "")
        )
    held_out = validation_tasks([r["task_key"] for r in rows], val_fraction, seed)
    train = [r for r in rows if r["task_key"] not in held_out]
    val = [r for r in rows if r["task_key"] in held_out]
    info = {"stats": asdict(stats), "val_fraction": val_fraction, "seed": seed, **(meta or {})}
    return write_dataset(output_dir, KIND_SFT, train, val, info)
