"""Objectives on bare HF modules (no Ray, no DeepSpeed): encodings match the serving side,
losses are what they claim, and a few optimizer steps on a fixed batch lower them."""

from __future__ import annotations

import asyncio
import math

import pytest
import torch
from train_sets import INSTRUCTION, maze_result, rm_sets, sft_rows

from agentrm_ray.actors.reward.api import RMState
from agentrm_ray.actors.reward.methods import RewardSettings
from agentrm_ray.actors.reward.worker import RewardWorkerImpl
from agentrm_ray.config import load_config
from agentrm_ray.config.models import TrainKind
from agentrm_ray.data.datasets import load_dataset
from agentrm_ray.train import metrics
from agentrm_ray.train.encoding import IGNORE_INDEX, chat_text_and_spans
from agentrm_ray.train.objectives import make_objective
from agentrm_ray.train.spec import build_spec


def objective_for(kind: TrainKind, model: str, *overrides: str, label_kind: str = ""):
    cfg = load_config(None, ["train.max_length=128", *overrides])
    objective = make_objective(build_spec(cfg, kind, model, label_kind=label_kind))
    return objective, objective.load(torch.device("cpu"))


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("sets")
    paths = rm_sets(root)
    return {kind: load_dataset(path, kind) for kind, path in paths.items()}


def test_value_encoding_is_the_value_rm_replicas(tiny_value_model) -> None:
    from agentrm_ray.actors.reward.methods.value import ValueMethod

    objective, _ = objective_for(TrainKind.rm_explicit, tiny_value_model, "train.max_length=40")
    texts = [{"text": "word " * 100 + "end", "value": 0.5}, {"text": "short", "value": 1.0}]
    ours = objective.encode(texts).tensors
    method = ValueMethod(RewardSettings(model_path=tiny_value_model, max_length=40))
    method.load()
    served = method._encode(method.heads[0], [t["text"] for t in texts])
    assert torch.equal(ours["input_ids"], served["input_ids"])
    assert torch.equal(ours["attention_mask"], served["attention_mask"])
    assert ours["input_ids"].shape[1] == 40  # truncated from the left, like serving


def test_implicit_reward_equals_the_implicit_rm_replicas(tiny_model, tiny_model_b, sets) -> None:
    objective, _ = objective_for(TrainKind.rm_implicit, tiny_model, "train.beta=0.5",
                                 label_kind="binary")
    from transformers import AutoModelForCausalLM

    policy = AutoModelForCausalLM.from_pretrained(tiny_model_b)  # reference stays tiny_model
    rows = sets["rm-implicit"].train[:3]
    with torch.no_grad():
        ours = objective.rewards(policy, objective.encode(rows).tensors).tolist()
    worker = RewardWorkerImpl("implicit", RewardSettings(
        model_path=tiny_model_b, reference_path=tiny_model, beta=0.5))
    from agentrm_ray.types import Trajectory

    states = [RMState(instruction=INSTRUCTION,
                      trajectory=Trajectory.model_validate_json(r["trajectory"])) for r in rows]
    served = asyncio.run(worker.score(states))
    assert [r.score for r in served] == pytest.approx(ours, abs=1e-4)
    assert any(abs(s) > 1e-3 for s in ours)  # different models: a non-trivial reward


def test_implicit_mask_counts_exactly_the_tokens_of_actions(tiny_model, sets) -> None:
    objective, _ = objective_for(TrainKind.rm_implicit, tiny_model, label_kind="binary")
    row = sets["rm-implicit"].train[0]
    encoded = objective.tokenizer(row["text"], add_special_tokens=False,
                                  return_offsets_mapping=True)
    tensors = objective.encode([row]).tensors
    spans = list(zip(row["action_starts"], row["action_ends"], strict=True))
    masked = tensors["action_mask"][0].nonzero().flatten().tolist()
    offsets = encoded["offset_mapping"]
    assert masked, "no action token is scored"
    for position in masked:
        lo, hi = offsets[position + 1]
        assert any(lo < b and hi > a for a, b in spans)  # token overlaps an action
    covered = {c for p in masked for c in range(*offsets[p + 1])}
    for a, b in spans:  # every character of every action is scored, its first word too
        assert set(range(a, b)) <= covered, row["text"][a:b]


def test_sft_labels_only_assistant_turns(tiny_model) -> None:
    objective, _ = objective_for(TrainKind.policy_sft, tiny_model)
    row = sft_rows(1)[0]
    tensors = objective.encode([row]).tensors
    labels = tensors["labels"][0]
    learned = objective.tokenizer.decode(labels[labels != IGNORE_INDEX])
    assert "Action: move north" in learned and "Observation" not in learned
    assert "reach the exit" not in learned and "system" not in learned
    assert learned.count("Action: move north") == 2
    text, spans = chat_text_and_spans(objective.tokenizer, row["messages"])
    assert [text[lo:hi].split("<|im_end|>")[0] for lo, hi in spans] == ["Action: move north"] * 2


def test_sft_fully_truncated_batch_has_zero_loss_not_nan(tiny_model) -> None:
    objective, model = objective_for(TrainKind.policy_sft, tiny_model, "train.max_length=32")
    row = sft_rows(1)[0]
    row["messages"][0]["content"] = "long " * 100
    loss = objective.loss(model, objective.encode([row]).tensors)
    assert float(loss.detach()) == 0.0


def test_implicit_loss_kinds(tiny_model) -> None:
    rewards = torch.tensor([2.0, -1.0])
    labels = torch.tensor([1.0, 0.0])
    binary, _ = objective_for(TrainKind.rm_implicit, tiny_model, label_kind="binary")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(rewards, labels)
    assert float(binary.outcome_loss(rewards, labels)) == pytest.approx(float(expected))
    continuous, _ = objective_for(TrainKind.rm_implicit, tiny_model, label_kind="continuous")
    mse = float(((torch.sigmoid(rewards) - labels) ** 2).mean())
    assert float(continuous.outcome_loss(rewards, labels)) == pytest.approx(mse)


@pytest.mark.parametrize("kind", list(TrainKind))
def test_loss_decreases_on_a_fixed_batch(kind, tiny_model, sets) -> None:
    label = "binary" if kind is TrainKind.rm_implicit else ""
    torch.manual_seed(0)  # before the model: a value head's random init sets the first loss
    objective, model = objective_for(kind, tiny_model, "train.beta=1.0", label_kind=label)
    rows = sft_rows(4) if kind is TrainKind.policy_sft else sets[kind.value].train[:4]
    tensors = objective.encode(rows).tensors
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(12):
        loss = objective.loss(model, tensors)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.8 * losses[0], losses
    assert all(math.isfinite(x) for x in losses)


def test_metrics() -> None:
    scores, labels = [0.9, 0.1, 0.5, 0.5], [1.0, 0.0, 1.0, 0.0]
    assert metrics.ranking_accuracy(scores, labels, ["a", "a", "b", "b"]) == (0.75, 2)
    assert metrics.ranking_accuracy([1, 2], [0.5, 0.5], ["a", "a"]) == (None, 0)
    assert metrics.ranking_accuracy([0.2, 0.8], [1.0, 0.0], ["a", "b"]) == (None, 0)
    assert metrics.threshold_accuracy(scores, labels, 0.5) == 0.75
    assert metrics.mse([1.0, 0.0], [0.0, 0.0]) == 0.5
    logits = torch.tensor([3.0, -2.0, 0.1])
    target = torch.tensor([1.0, 1.0, 0.0])
    expected = float(torch.nn.functional.binary_cross_entropy_with_logits(logits, target))
    assert metrics.bce_with_logits(logits.tolist(), target.tolist()) == pytest.approx(expected)
    assert metrics.sigmoid(-800.0) == pytest.approx(0.0) and metrics.sigmoid(0.0) == 0.5


def test_tree_result_helper_is_consistent() -> None:
    result = maze_result(0)
    assert result.nodes is not None and len(result.nodes) == 7


def test_scoring_only_masked_positions_equals_the_full_forward(tiny_model) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from agentrm_ray.token_spans import masked_token_logprobs

    model = AutoModelForCausalLM.from_pretrained(tiny_model).eval()
    ids = torch.randint(0, 1000, (2, 12))
    attention = torch.ones_like(ids)
    mask = torch.zeros(2, 11, dtype=torch.bool)
    mask[0, 3:6] = True
    mask[1, 9] = True
    with torch.no_grad():
        fast, _ = masked_token_logprobs(model, ids, attention, mask)
        full = torch.log_softmax(model(input_ids=ids).logits[:, :-1].float(), -1)
    expected = full.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)[mask]
    assert torch.allclose(fast, expected, atol=1e-5)
