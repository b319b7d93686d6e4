"""RM scoring methods in-process on tiny models, and RM replicas as real Ray actors."""

from __future__ import annotations

import asyncio
import math
import time

import pytest
from reward_states import make_sibling_states

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods import EnsembleMember, RewardSettings
from agentrm_ray.actors.reward.methods.judge_prompts import (
    JudgeParseError,
    parse_pick,
    parse_score,
    pick_prompt,
    score_prompt,
)
from agentrm_ray.actors.reward.worker import RewardWorkerImpl
from agentrm_ray.prompting import RM_TEMPLATES


def _score(worker: RewardWorkerImpl, states: list[RMState]):
    async def go():
        await worker.start()
        return await worker.score(states)

    return asyncio.run(go())


def test_value_scores_equal_with_and_without_prefix_reuse(tiny_value_model) -> None:
    states = make_sibling_states(4)
    worker = RewardWorkerImpl("value", RewardSettings(model_path=tiny_value_model))
    reused = _score(worker, states)
    assert worker.stats()["prefix_hits"] == 3
    worker.method._can_reuse = False
    full = _score(worker, states)
    for a, b in zip(reused, full, strict=True):
        assert a.score is not None and math.isclose(a.score, b.score, abs_tol=1e-4)
    assert len({round(r.score, 6) for r in full}) == 4  # different last steps, different values


def test_an_ensemble_scores_the_mean_of_its_members(tiny_value_model,
                                                    tiny_value_model_b) -> None:
    states = make_sibling_states(3)  # siblings go through the prefix reuse
    lone = make_sibling_states(1)  # another first step: no sibling, scored whole
    lone[0].trajectory.steps[0].action = "move left"
    alone = [_score(RewardWorkerImpl("value", RewardSettings(model_path=path)), states + lone)
             for path in (tiny_value_model, tiny_value_model_b)]
    worker = RewardWorkerImpl("value", RewardSettings(
        model_path=tiny_value_model, ensemble=(EnsembleMember(tiny_value_model_b),)))
    both = _score(worker, states + lone)
    assert len(worker.method.heads) == 2 and worker.stats()["prefix_hits"] == 2
    for mean, a, b in zip(both, *alone, strict=True):
        assert a.score != b.score  # two different members
        assert math.isclose(mean.score, (a.score + b.score) / 2, abs_tol=1e-5)


@pytest.mark.parametrize("template", sorted(RM_TEMPLATES))
def test_value_score_equals_a_direct_forward_pass_on_the_templates_text(
        tiny_value_model, template: str) -> None:
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    chosen = RM_TEMPLATES[template]
    states = make_sibling_states(2)  # siblings: scored through the prefix KV reuse too
    result = _score(RewardWorkerImpl("value", RewardSettings(
        model_path=tiny_value_model, template=chosen)), states)[0]
    state = states[0]
    tok = AutoTokenizer.from_pretrained(tiny_value_model)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_value_model)
    enc = tok(
        chosen.text(state.instruction, state.trajectory), return_tensors="pt",
        add_special_tokens=False
    )
    with torch.inference_mode():
        expected = float(model(**enc).logits[0, 0])
    assert math.isclose(result.score, expected, abs_tol=1e-5)


def test_implicit_reward_is_beta_log_ratio_over_action_tokens(tiny_model, tiny_model_b) -> None:
    states = make_sibling_states(2)
    same = _score(
        RewardWorkerImpl(
            "implicit", RewardSettings(model_path=tiny_model, reference_path=tiny_model, beta=0.5)
        ),
        states,
    )
    assert all(r.score == 0.0 and r.step_scores == [0.0, 0.0] for r in same)
    diff = _score(
        RewardWorkerImpl(
            "implicit", RewardSettings(model_path=tiny_model_b, reference_path=tiny_model, beta=0.5)
        ),
        states,
    )
    for r in diff:
        assert len(r.step_scores) == 2 and math.isclose(r.score, sum(r.step_scores))
    # the shared first step gets the same reward in both states; the last steps differ
    assert math.isclose(diff[0].step_scores[0], diff[1].step_scores[0], abs_tol=1e-6)
    assert diff[0].step_scores[1] != diff[1].step_scores[1]
    doubled = _score(
        RewardWorkerImpl(
            "implicit", RewardSettings(model_path=tiny_model_b, reference_path=tiny_model, beta=1.0)
        ),
        states,
    )
    assert math.isclose(doubled[0].score, 2 * diff[0].score, rel_tol=1e-4)


def test_implicit_scores_equal_the_full_forward_log_ratio(tiny_model, tiny_model_b) -> None:
    """The replica sends only action tokens through the LM head; its step scores must equal
    beta * sum(log pi - log pi_ref) computed from both models' full logits."""
    import torch

    from agentrm_ray.token_spans import predicted_token_mask

    states = make_sibling_states(3)
    worker = RewardWorkerImpl("implicit", RewardSettings(
        model_path=tiny_model_b, reference_path=tiny_model, beta=0.5))
    served = _score(worker, states)
    method = worker.method

    def full_logprobs(model, ids):
        logits = model(input_ids=ids).logits[0, :-1].float()
        return torch.log_softmax(logits, -1).gather(-1, ids[0, 1:, None])[:, 0]

    with torch.inference_mode():
        for state, result in zip(states, served, strict=True):
            text, spans = method.settings.template.text_and_action_spans(state.instruction,
                                                                         state.trajectory)
            enc = method.tokenizer(text, return_tensors="pt", add_special_tokens=False,
                                   return_offsets_mapping=True)
            ratio = (full_logprobs(method.policy, enc["input_ids"])
                     - full_logprobs(method.reference, enc["input_ids"]))
            expected = [0.5 * float(ratio[predicted_token_mask(
                enc["offset_mapping"][0], enc["attention_mask"][0], lo, hi)].sum())
                for lo, hi in spans]
            assert len(result.step_scores) == len(expected) >= 2
            for got, want in zip(result.step_scores, expected, strict=True):
                assert math.isclose(got, want, abs_tol=1e-4), (got, want)
            assert any(abs(v) > 1e-3 for v in expected)  # two different models: non-zero


@pytest.mark.parametrize("template_name", ["agentrm-raw-v1", "agentrm-v1"])
def test_implicit_scores_a_turns_emitted_ids_as_its_training_does(tiny_model, tiny_model_b,
                                                                  template_name: str) -> None:
    """A step that kept the policy's token ids is scored on those ids (character by
    character here, which BPE would never re-tokenise to), and the replica's score is the
    log-ratio over the ids training encodes for the same row: with a {raw} template, and with
    the default one, whose canonical turn is here exactly what the policy wrote."""
    import torch
    from transformers import AutoTokenizer

    from agentrm_ray.data.labelling import LabelStats, implicit_rows
    from agentrm_ray.prompting import RM_TEMPLATES
    from agentrm_ray.train.encoding import encode_implicit
    from agentrm_ray.types import Candidate, Outcome, SearchResult

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    (state,) = make_sibling_states(1)
    raw = "Thought: east is open\nAction: move east"
    ids = [i for ch in raw for i in tokenizer(ch, add_special_tokens=False)["input_ids"]]
    steps = [*state.trajectory.steps[:-1],
             state.trajectory.steps[-1].model_copy(update={
                 "thought": "east is open", "action": "move east", "raw": raw,
                 "token_ids": ids})]
    template = RM_TEMPLATES[template_name]
    trajectory = state.trajectory.model_copy(update={
        "steps": steps, "outcome": Outcome(success=True, terminated=True)})
    worker = RewardWorkerImpl("implicit", RewardSettings(
        model_path=tiny_model_b, reference_path=tiny_model, beta=0.5, template=template))
    (served,) = _score(worker, [RMState(instruction=state.instruction, trajectory=trajectory)])
    result = SearchResult(task=trajectory.task, strategy="best_of_n", best=trajectory,
                          candidates=[Candidate(trajectory=trajectory)])
    row = implicit_rows(result, state.instruction, "success", LabelStats(), template)[0]
    batch = encode_implicit(tokenizer, [row], max_length=2048).tensors
    input_ids = batch["input_ids"]
    assert any(input_ids[0, i:i + len(ids)].tolist() == ids for i in range(input_ids.shape[1]))
    with torch.inference_mode():
        def logprobs(model):
            logits = model(input_ids=input_ids).logits[0, :-1].float()
            return torch.log_softmax(logits, -1).gather(-1, input_ids[0, 1:, None])[:, 0]

        ratio = logprobs(worker.method.policy) - logprobs(worker.method.reference)
    expected = 0.5 * float(ratio[batch["action_mask"][0]].sum())
    assert math.isclose(served.score, expected, abs_tol=1e-4), (served.score, expected)


def test_concurrent_first_calls_load_the_model_once(tiny_value_model) -> None:
    """A restarted replica gets its callers' retries at once; each must not load the model."""
    worker = RewardWorkerImpl("value", RewardSettings(model_path=tiny_value_model))
    loads = []
    load = worker.method.load

    def counted_load() -> None:
        loads.append(1)
        time.sleep(0.2)  # the other calls arrive while the first is still loading
        load()

    worker.method.load = counted_load

    async def go():
        return await asyncio.gather(*(worker.score(make_sibling_states(2)) for _ in range(4)))

    results = asyncio.run(go())
    assert len(loads) == 1
    assert all(r.score is not None for batch in results for r in batch)


def test_judge_reports_unparseable_answers_instead_of_guessing(tiny_model) -> None:
    results = _score(
        RewardWorkerImpl("judge", RewardSettings(model_path=tiny_model)), make_sibling_states(2)
    )
    # a random tiny model does not answer "Score: N": each failure is reported, none guessed
    for r in results:
        assert r.score is None and "judge answer" in r.error


def test_judge_reports_a_state_longer_than_its_context_and_scores_the_rest(tiny_model) -> None:
    states = make_sibling_states(2)
    long_step = states[0].trajectory.steps[-1].model_copy(update={"observation": "wall " * 600})
    too_long = states[0].model_copy(update={"trajectory": states[0].trajectory.model_copy(
        update={"steps": [*states[0].trajectory.steps, long_step]})})
    results = _score(RewardWorkerImpl("judge", RewardSettings(model_path=tiny_model,
                                                              max_length=512)),
                     [too_long, states[1]])
    assert results[0].score is None and "context length" in results[0].error
    assert "judge could not read" not in (results[1].error or "")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("Score: 7", 0.7), ("score = 10", 1.0), ("**Score:** 3\nbecause", 0.3), ("Score 0", 0.0)],
)
def test_judge_score_parsing(answer: str, expected: float) -> None:
    assert parse_score(answer) == pytest.approx(expected)


@pytest.mark.parametrize("answer", ["I think it is good", "Score: 11", "Score: -2", ""])
def test_judge_score_parse_failures(answer: str) -> None:
    with pytest.raises(JudgeParseError):
        parse_score(answer)


def test_judge_pick_prompt_and_parsing() -> None:
    states = make_sibling_states(3)
    prompt = pick_prompt(states)
    assert "### Attempt 3" in prompt and "(1 to 3)" in prompt
    assert "Score: N" in score_prompt(states[0])
    assert parse_pick("Best: 2", 3) == 1
    assert parse_pick("The best attempt is... Best attempt: 3", 3) == 2
    with pytest.raises(JudgeParseError, match="there are 3"):
        parse_pick("Best: 4", 3)
    with pytest.raises(JudgeParseError):
        parse_pick("attempt two", 3)


def test_unknown_method_is_named() -> None:
    with pytest.raises(ValueError, match="reward.method 'ppo' on reward.backend 'hf'"):
        RewardWorkerImpl("ppo", RewardSettings(model_path="x"))
    with pytest.raises(ValueError, match="served: value on hf, value on vllm"):
        RewardWorkerImpl("implicit", RewardSettings(model_path="x", backend="vllm"))


def test_replica_threads_follow_the_reservation_unless_set(tiny_value_model) -> None:
    from agentrm_ray.actors.reward.pool import reward_settings
    from agentrm_ray.config import load_config

    def threads(*sets: str) -> int:
        cfg = load_config(overrides=[f"reward.model={tiny_value_model}", *sets])
        return reward_settings(cfg).num_threads

    assert threads("reward.num_cpus_per_replica=0.5") == 1
    assert threads("reward.num_cpus_per_replica=2") == 2
    assert threads("reward.num_cpus_per_replica=0.5", "reward.num_threads=2") == 2
