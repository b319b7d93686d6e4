"""Whether a search starts RM replicas is decided in one place (`SearchStrategy.ranks_states`,
`RewardMethod.loads_model`); the run, the demo and Serve build their stacks from it.

Building a stack checks model paths and creates no actors, so no Ray is needed here."""

from __future__ import annotations

import pytest

from agentrm_ray.config import load_config
from agentrm_ray.config.models import RewardMethod, SearchStrategy
from agentrm_ray.search.scorers import NoScorer, OracleScorer, PoolScorer
from agentrm_ray.search.stack import SearchStack, uses_reward_model
from agentrm_ray.serve.service import serving_stack


def test_which_strategies_rank_and_which_methods_load_a_model() -> None:
    assert {s for s in SearchStrategy if s.ranks_states} == {
        SearchStrategy.best_of_n, SearchStrategy.beam}
    assert {m for m in RewardMethod if m.loads_model} == {
        RewardMethod.value, RewardMethod.implicit, RewardMethod.judge}


def _cfg(strategy: str, method: str, policy: str, value_model: str):
    return load_config(overrides=[
        f"search.strategy={strategy}", f"reward.method={method}", f"policy.model={policy}",
        "policy.backend=hf", f"reward.model={value_model}", f"reward.reference_model={policy}"])


@pytest.mark.parametrize(("strategy", "method", "pool", "scorer"), [
    ("beam", "value", True, PoolScorer),
    ("best_of_n", "judge", True, PoolScorer),
    ("greedy", "value", False, NoScorer),      # a greedy run never loads the RM it names
    ("mcts", "implicit", False, NoScorer),
    ("beam", "oracle", False, OracleScorer),
    ("greedy", "none", False, NoScorer),
])
def test_a_run_starts_rm_replicas_only_when_its_strategy_ranks_with_a_model(
        strategy: str, method: str, pool: bool, scorer: type, tiny_model: str,
        tiny_value_model: str) -> None:
    cfg = _cfg(strategy, method, tiny_model, tiny_value_model)
    stack = SearchStack(cfg)
    assert (stack.reward is not None) is pool is uses_reward_model(cfg)
    assert isinstance(stack.scorer, scorer)
    assert stack.cfg.search.strategy.value == strategy  # nobody rewrote the strategy


@pytest.mark.parametrize(("strategy", "method", "pool"), [
    ("greedy", "value", True),  # requests pick beam or best_of_n themselves
    ("mcts", "implicit", True),
    ("greedy", "oracle", False),
    ("greedy", "none", False),
])
def test_a_server_starts_rm_replicas_whenever_its_method_loads_a_model(
        strategy: str, method: str, pool: bool, tiny_model: str, tiny_value_model: str) -> None:
    cfg = _cfg(strategy, method, tiny_model, tiny_value_model)
    stack = serving_stack(cfg)
    assert (stack.reward is not None) is pool
    assert stack.cfg.search.strategy.value == strategy


def test_a_tensor_parallel_replica_is_refused_on_nodes_too_small_for_it(
        tiny_model: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from agentrm_ray.errors import AgentRMError

    cfg = load_config(overrides=[
        f"policy.model={tiny_model}", "policy.backend=vllm", "policy.tensor_parallel_size=2",
        "policy.num_gpus_per_replica=2", "search.strategy=greedy", "reward.method=none"])
    stack = SearchStack(cfg)
    monkeypatch.setattr("agentrm_ray.search.stack.alive_nodes",
                        lambda: [{"CPU": 16, "GPU": 1}, {"CPU": 16, "GPU": 1}])
    with pytest.raises(AgentRMError, match=r"one policy replica reserves .*2 GPU on a single "
                                           r"node .*policy\.num_gpus_per_replica"):
        stack.check_resources()
    monkeypatch.setattr("agentrm_ray.search.stack.alive_nodes",
                        lambda: [{"CPU": 16, "GPU": 2}])
    stack.check_resources()  # one 2-GPU node holds it


def test_an_openai_policy_names_a_served_model_not_a_local_checkpoint() -> None:
    from agentrm_ray.search.stack import check_before_start

    cfg = load_config(overrides=[
        "policy.backend=openai", "policy.openai.base_url=http://127.0.0.1:9/v1",
        "policy.model=served-model-name", "search.strategy=greedy"])
    check_before_start(cfg)  # `run` and `config validate` accept it
