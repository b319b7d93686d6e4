"""A request's parameters laid over the server's config: the one place a served search's
effective config is made.

Every field a request leaves out comes from the server's config (a server run with
`search.beam.width: 4` searches 4 wide when a request names only `beam`), and what the request
sets is validated by the config's own models, so its bounds are the config's. The ingress uses
the effective strategy for its budget caps; the backend builds the search from the effective
config and stamps the result with that config's hash, so a served result says what ran.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from agentrm_ray.config import RootConfig
from agentrm_ray.config.models import SearchConfig, SearchStrategy
from agentrm_ray.serve.errors import FieldProblem, RequestProblems
from agentrm_ray.serve.schemas import SearchRequest, StrategyParams


def effective_search(params: StrategyParams, search: SearchConfig) -> SearchConfig:
    """The server's search config with the request's strategy and the fields it sets."""
    strategy = SearchStrategy(params.name)
    update: dict[str, Any] = {"strategy": strategy}
    overlay = params.model_dump(exclude={"name"}, exclude_none=True)
    if overlay:
        section = getattr(search, strategy.value)
        try:
            update[strategy.value] = type(section).model_validate(
                {**section.model_dump(), **overlay})
        except ValidationError as exc:
            raise RequestProblems([
                FieldProblem(("body", "strategy", *map(str, e["loc"])), e["msg"])
                for e in exc.errors()]) from None
    return search.model_copy(update=update)


def effective_config(cfg: RootConfig, req: SearchRequest, default_max_steps: int) -> RootConfig:
    """What a served search runs with: the server's config, overlaid by the request."""
    sampling = cfg.policy.sampling
    if req.temperature is not None:
        sampling = sampling.model_copy(update={"temperature": req.temperature})
    return cfg.model_copy(update={
        "search": effective_search(req.strategy, cfg.search),
        "policy": cfg.policy.model_copy(update={"sampling": sampling}),
        "tasks": cfg.tasks.model_copy(
            update={"max_steps": req.limits.max_steps or default_max_steps}),
        "seed": cfg.seed if req.seed is None else req.seed,
    })
