"""`agentrm-ray demo`: the one command a newcomer runs after cloning.

Until the search coordinator lands it shows that the stack is wired: the resolved default
config, a local Ray cluster on loopback with its resources, and the env suite — each family's
oracle solving one test task inside a Ray task, so the envs really run on Ray workers.
"""

from __future__ import annotations

import yaml
from rich.table import Table

from agentrm_ray.cli.common import ConfigOption, SetOption, resolve_config, stdout, user_errors
from agentrm_ray.config import config_hash


def demo(config: ConfigOption = None, set_: SetOption = None) -> None:
    """Run the end-to-end demo on the embedded default config (local Ray, loopback only)."""
    from agentrm_ray.runtime import ray_session

    with user_errors():
        cfg = resolve_config(config, set_)
    stdout.rule("resolved config")
    stdout.print(f"config hash {config_hash(cfg)}")
    stdout.print(yaml.safe_dump(cfg.to_yaml_dict(), sort_keys=False), highlight=False, markup=False)
    with ray_session(cfg.ray) as runtime:
        stdout.rule("ray")
        where = "started locally" if runtime.started_locally else "joined"
        stdout.print(f"{where}: {runtime.address} (node {runtime.node_ip})")
        stdout.print(", ".join(f"{k}={v:g}" for k, v in runtime.resources.items()))
        stdout.rule("environments (oracle episode per family, run as Ray tasks)")
        stdout.print(_oracle_table())


def _oracle_table() -> Table:
    import ray

    from agentrm_ray.envs import family_statuses

    @ray.remote(num_cpus=0.25)
    def oracle_episode(env_id: str, task_id: str, seed: int) -> tuple[bool, int, float]:
        from agentrm_ray.envs import make_env

        env = make_env(env_id)
        env.reset(seed=seed, options={"task_id": task_id})
        info: dict = {"success": False}
        while not env.finished:
            _, _, _, _, info = env.step(env.oracle_action())
        env.close()
        return bool(info["success"]), len(env.actions_taken), float(info["progress"])

    table = Table("env id", "task", "oracle", "steps", "progress")
    pending = []
    for status in family_statuses():
        if not status.available:
            table.add_row(status.spec.env_id, "-", status.reason, "-", "-")
            continue
        task = status.spec.split("test")[0]
        pending.append(
            (
                status.spec.env_id,
                task.task_id,
                oracle_episode.remote(status.spec.env_id, task.task_id, task.seed),
            )
        )
    for env_id, task_id, ref in pending:
        success, steps, progress = ray.get(ref)
        table.add_row(
            env_id, task_id, "solved" if success else "failed", str(steps), f"{progress:.2f}"
        )
    return table
