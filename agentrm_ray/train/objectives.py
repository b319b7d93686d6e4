"""The three training objectives: which model each trains, its loss, its validation metrics.

* explicit RM: AutoModelForSequenceClassification (num_labels=1; the head is new when the
  base is a causal LM), MSE between the scalar output and the MCTS value.
* implicit RM (implicit PRM): r = beta * sum over action tokens of
  (log pi_theta - log pi_ref); BCE-with-logits on r for 0/1 outcomes, MSE between sigmoid(r)
  and the label for continuous (progress) outcomes. The reference is a frozen copy of the
  base model evaluated on every worker — never wrapped by DeepSpeed, never updated.
* policy SFT: next-token cross-entropy on assistant-turn tokens only.

Every objective is written against the `model(**inputs)` call, so it runs the same on a bare
HF module (unit tests) and on a DeepSpeed engine (training).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from typing import Any

from agentrm_ray.data.datasets import LABEL_BINARY
from agentrm_ray.models.precision import TRAIN_PRECISION_DTYPES
from agentrm_ray.token_spans import masked_token_logprobs, per_row_sum
from agentrm_ray.train import metrics as m
from agentrm_ray.train.encoding import (
    IGNORE_INDEX,
    Encoded,
    encode_implicit,
    encode_sft,
    encode_value,
)
from agentrm_ray.train.spec import TrainSpec


def load_tokenizer(path: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


class Objective(ABC):
    """Model construction, loss and evaluation of one training kind."""

    #: the trained model is a causal LM (exported for policy / implicit RM backends)
    causal_lm = True

    def __init__(self, spec: TrainSpec) -> None:
        self.spec = spec
        self.tokenizer: Any = None

    def load(self, device: Any) -> Any:
        """The model to train (loaded in fp32; DeepSpeed casts for bf16/fp16)."""
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        self.tokenizer = load_tokenizer(self.spec.model_path)
        return self._load_model(device)

    @abstractmethod
    def _load_model(self, device: Any) -> Any: ...

    @abstractmethod
    def encode(self, rows: list[dict[str, Any]]) -> Encoded: ...

    @abstractmethod
    def loss(self, model: Any, tensors: dict[str, Any]) -> Any:
        """Scalar training loss of one micro-batch."""

    @abstractmethod
    def predict(self, model: Any, tensors: dict[str, Any]) -> list[dict[str, float]]:
        """Per-sample evaluation outputs (no gradients)."""

    @abstractmethod
    def metrics(
        self, rows: list[dict[str, Any]], outputs: list[dict[str, float]]
    ) -> dict[str, float | int | None]:
        """Validation metrics; must include `val_loss` (lower is better)."""


class ValueObjective(Objective):
    causal_lm = False

    def _load_model(self, device: Any) -> Any:
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(
            self.spec.model_path, num_labels=1
        )
        # The head pools the last non-pad token: without a pad id it refuses batches > 1.
        model.config.pad_token_id = self.tokenizer.pad_token_id
        return model

    def encode(self, rows: list[dict[str, Any]]) -> Encoded:
        return encode_value(self.tokenizer, rows, self.spec.max_length)

    def _scores(self, model: Any, tensors: dict[str, Any]) -> Any:
        out = model(input_ids=tensors["input_ids"], attention_mask=tensors["attention_mask"])
        return out.logits[:, 0].float()

    def loss(self, model: Any, tensors: dict[str, Any]) -> Any:
        import torch.nn.functional as F

        return F.mse_loss(self._scores(model, tensors), tensors["values"])

    def predict(self, model: Any, tensors: dict[str, Any]) -> list[dict[str, float]]:
        return [{"score": float(s)} for s in self._scores(model, tensors)]

    def metrics(
        self, rows: list[dict[str, Any]], outputs: list[dict[str, float]]
    ) -> dict[str, float | int | None]:
        scores = [o["score"] for o in outputs]
        labels = [float(r["value"]) for r in rows]
        ranking, pairs = m.ranking_accuracy(scores, labels, [r["task_key"] for r in rows])
        return {
            "val_loss": m.mse(scores, labels),
            "val_mse": m.mse(scores, labels),
            "val_mae": m.mae(scores, labels),
            "val_accuracy": m.threshold_accuracy(scores, labels, 0.5),
            "val_ranking_accuracy": ranking,
            "val_ranking_pairs": pairs,
        }


class ImplicitObjective(Objective):
    def _load_model(self, device: Any) -> Any:
        import torch
        from transformers import AutoModelForCausalLM

        dtype = getattr(torch, TRAIN_PRECISION_DTYPES[self.spec.precision])
        self.reference = AutoModelForCausalLM.from_pretrained(self.spec.model_path, dtype=dtype)
        self.reference.to(device)
        self.reference.eval()
        self.reference.requires_grad_(False)
        return AutoModelForCausalLM.from_pretrained(self.spec.model_path)

    def encode(self, rows: list[dict[str, Any]]) -> Encoded:
        return encode_implicit(self.tokenizer, rows, self.spec.max_length)

    def rewards(self, model: Any, tensors: dict[str, Any]) -> Any:
        """beta * sum over action tokens of log pi_theta - log pi_ref, one per sequence."""
        import torch

        ids, attention, mask = (tensors["input_ids"], tensors["attention_mask"],
                                tensors["action_mask"].bool())
        policy, _ = masked_token_logprobs(model, ids, attention, mask)
        with torch.no_grad():
            reference, _ = masked_token_logprobs(self.reference, ids, attention, mask)
        return self.spec.beta * per_row_sum(policy - reference, mask)

    def outcome_loss(self, rewards: Any, labels: Any) -> Any:
        import torch
        import torch.nn.functional as F

        if self.spec.label_kind == LABEL_BINARY:
            return F.binary_cross_entropy_with_logits(rewards, labels)
        return F.mse_loss(torch.sigmoid(rewards), labels)

    def loss(self, model: Any, tensors: dict[str, Any]) -> Any:
        return self.outcome_loss(self.rewards(model, tensors), tensors["labels"])

    def predict(self, model: Any, tensors: dict[str, Any]) -> list[dict[str, float]]:
        return [{"score": float(r)} for r in self.rewards(model, tensors)]

    def metrics(
        self, rows: list[dict[str, Any]], outputs: list[dict[str, float]]
    ) -> dict[str, float | int | None]:
        scores = [o["score"] for o in outputs]
        labels = [float(r["label"]) for r in rows]
        probs = [m.sigmoid(s) for s in scores]
        ranking, pairs = m.ranking_accuracy(scores, labels, [r["task_key"] for r in rows])
        loss = (
            m.bce_with_logits(scores, labels)
            if self.spec.label_kind == LABEL_BINARY
            else m.mse(probs, labels)
        )
        return {
            "val_loss": loss,
            "val_mse": m.mse(probs, labels),
            "val_accuracy": m.threshold_accuracy(scores, labels, 0.0),
            "val_ranking_accuracy": ranking,
            "val_ranking_pairs": pairs,
        }


class SFTObjective(Objective):
    def _load_model(self, device: Any) -> Any:
        from transformers import AutoModelForCausalLM

        return AutoModelForCausalLM.from_pretrained(self.spec.model_path)

    def encode(self, rows: list[dict[str, Any]]) -> Encoded:
        return encode_sft(self.tokenizer, rows, self.spec.max_length)

    def _token_stats(self, model: Any, tensors: dict[str, Any]) -> tuple[Any, Any, Any]:
        """Per-sequence (summed NLL, labelled tokens, correct argmax) over assistant tokens."""
        targets = tensors["labels"][:, 1:]
        labelled = targets != IGNORE_INDEX
        logprobs, logits = masked_token_logprobs(
            model, tensors["input_ids"], tensors["attention_mask"], labelled)
        correct = (logits.argmax(-1) == targets[labelled]).to(logprobs.dtype)
        return (per_row_sum(-logprobs, labelled), labelled.sum(-1),
                per_row_sum(correct, labelled))

    def loss(self, model: Any, tensors: dict[str, Any]) -> Any:
        nll, count, _ = self._token_stats(model, tensors)
        # A batch whose assistant turns were all truncated away contributes zero, not NaN.
        return nll.sum() / count.sum().clamp(min=1)

    def predict(self, model: Any, tensors: dict[str, Any]) -> list[dict[str, float]]:
        nll, count, correct = self._token_stats(model, tensors)
        return [
            {"nll": float(a), "tokens": float(b), "correct": float(c)}
            for a, b, c in zip(nll, count, correct, strict=True)
        ]

    def metrics(
        self, rows: list[dict[str, Any]], outputs: list[dict[str, float]]
    ) -> dict[str, float | int | None]:
        tokens = sum(o["tokens"] for o in outputs)
        nll = sum(o["nll"] for o in outputs) / max(1.0, tokens)
        return {
            "val_loss": nll,
            "val_token_accuracy": sum(o["correct"] for o in outputs) / max(1.0, tokens),
            "val_tokens": int(tokens),
        }


OBJECTIVES: dict[str, type[Objective]] = {
    "rm-explicit": ValueObjective,
    "rm-implicit": ImplicitObjective,
    "policy-sft": SFTObjective,
}


def make_objective(spec: TrainSpec) -> Objective:
    return OBJECTIVES[spec.kind](spec)
