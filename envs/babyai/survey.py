"""Regenerate the level table in levels.py: which seeds of a level are usable, and how long
the expert needs on each.

A seed is usable when minigrid generates it silently (some levels print "Sampling rejected"
while they retry) and the BabyAIBot solves it. Run `python -m agentrm_ray.envs.babyai.survey`
and paste its output into levels.py when minigrid's generators change.
"""

from __future__ import annotations

import contextlib
import io

import gymnasium as gym
import minigrid  # noqa: F401  (importing registers the BabyAI-* ids with gymnasium)

from agentrm_ray.envs.babyai.oracle import BotExpert


def oracle_steps(level: str, seed: int, limit: int = 1000) -> tuple[int | None, bool]:
    """(primitive steps the expert needs or None if it fails, whether generation printed)."""
    env = gym.make(f"BabyAI-{level}-v0", render_mode=None, disable_env_checker=True).unwrapped
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        env.reset(seed=seed)
    expert = BotExpert(env)
    for step in range(1, limit + 1):
        action = expert.suggestion
        _, reward, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            return (step if terminated and reward > 0 else None), bool(printed.getvalue())
        expert.observe(action)
    return None, bool(printed.getvalue())


def survey_level(level: str, count: int) -> list[tuple[int, int]]:
    """The first `count` usable seeds of a level with the expert's step counts."""
    found: list[tuple[int, int]] = []
    seed = 0
    while len(found) < count:
        steps, printed = oracle_steps(level, seed)
        if steps is not None and not printed:
            found.append((seed, steps))
        seed += 1
    return found


def main() -> None:
    from agentrm_ray.envs.babyai.levels import LEVEL_NAMES, SEEDS_PER_LEVEL

    print("LEVEL_TABLE: dict[str, tuple[tuple[int, int], ...]] = {")
    for level in LEVEL_NAMES:
        rows = ", ".join(f"({s}, {n})" for s, n in survey_level(level, SEEDS_PER_LEVEL))
        print(f'    "{level}": ({rows}),')
    print("}")


if __name__ == "__main__":
    main()
