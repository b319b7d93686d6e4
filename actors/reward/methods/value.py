"""Explicit RM: an LM backbone with a scalar value head (HF sequence classification, 1 label).

States that share everything but their last step — the W2 children of one beam state —
share a prefix: its key/value cache is computed once and only the last steps are run, batched.
The model and every input live on the device Ray gave the replica (`actors/device.py`).
An ensemble (`reward.ensemble`) is more heads in the same replica: each scores the same text,
and a state's score is their mean, so search sees one RM.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from agentrm_ray.actors.device import actor_device
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import ScoringMethod
from agentrm_ray.models.precision import torch_dtype


@dataclass
class _Head:
    """One checkpoint of the RM: its tokenizer, its model, and which output is the score."""

    tokenizer: Any
    model: Any
    label: int


class ValueMethod(ScoringMethod):
    reuse_prefix = True

    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch

        torch.set_num_threads(max(1, self.settings.num_threads))
        self.torch = torch
        self.device = actor_device(self.settings.gpus)
        # A trained head keeps its own outputs (the pool checked it, models/value_head.py);
        # only a backbone allowed to run untrained is given a fresh one-output head.
        self.heads = [self._load_head(self.settings.model_path, self.settings.score_label,
                                      self.settings.untrained_head)]
        self.heads += [self._load_head(m.model_path, m.score_label, False)
                       for m in self.settings.ensemble]
        # KV reuse needs the head applied to the backbone's hidden states by hand ("score").
        self._can_reuse = self.reuse_prefix and all(hasattr(h.model, "score")
                                                    for h in self.heads)
        self.prefix_hits = 0

    def _load_head(self, path: str, label: int, untrained: bool) -> _Head:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(path)
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = AutoModelForSequenceClassification.from_pretrained(
            path, dtype=torch_dtype(self.settings.dtype), **({"num_labels": 1} if untrained else {})
        )
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tokenizer.pad_token_id
        model.to(self.device).eval()
        return _Head(tokenizer, model, label)

    @property
    def model(self) -> Any:
        """The first (reward.model's) head: what a single RM is."""
        return self.heads[0].model

    @property
    def tokenizer(self) -> Any:
        return self.heads[0].tokenizer

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        groups: dict[str, list[int]] = defaultdict(list)
        for i, state in enumerate(states):
            steps = state.trajectory.steps
            key = (self.settings.template.text(state.instruction, state.trajectory,
                                               upto=len(steps) - 1) if steps else "")
            groups[key].append(i)
        shared = {prefix: members for prefix, members in groups.items()
                  if self._can_reuse and prefix and len(members) > 1}
        self.prefix_hits += sum(len(members) - 1 for members in shared.values())
        singles = [i for prefix, members in groups.items() if prefix not in shared
                   for i in members]
        with self.torch.inference_mode():
            by_head = [self._score_with(head, states, shared, singles) for head in self.heads]
        return [ScoreResult(score=fmean(values)) for values in zip(*by_head, strict=True)]

    def _score_with(self, head: _Head, states: list[RMState], shared: dict[str, list[int]],
                    singles: list[int]) -> list[float]:
        """Every state's score by one head: siblings through their shared prefix's cache."""
        scores = [0.0] * len(states)
        for prefix, members in shared.items():
            suffixes = [self.settings.template.piece(states[i].trajectory,
                                                     len(states[i].trajectory.steps) - 1)
                        for i in members]
            for i, value in zip(members, self._score_with_prefix(head, prefix, suffixes),
                                strict=True):
                scores[i] = value
        for start in range(0, len(singles), self.settings.max_batch_size):
            chunk = singles[start : start + self.settings.max_batch_size]
            texts = [self.settings.template.text(states[i].instruction, states[i].trajectory)
                     for i in chunk]
            for i, value in zip(chunk, self._score_texts(head, texts), strict=True):
                scores[i] = value
        return scores

    # ------------------------------------------------------------------ forward passes
    def _encode(self, head: _Head, texts: list[str]) -> Any:
        head.tokenizer.truncation_side = "left"  # keep the newest steps when too long
        head.tokenizer.padding_side = "right"
        return head.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.settings.max_length,
            add_special_tokens=False,
        ).to(self.device)

    def _score_texts(self, head: _Head, texts: list[str]) -> list[float]:
        enc = self._encode(head, texts)
        logits = head.model(**enc).logits
        return [float(v) for v in logits[:, head.label]]

    def _score_with_prefix(self, head: _Head, prefix: str, suffixes: list[str]) -> list[float]:
        torch = self.torch
        device = self.device
        model = head.model
        prefix_ids = head.tokenizer(prefix, return_tensors="pt", add_special_tokens=False
                                    ).to(device)
        suffix = self._encode(head, suffixes)
        if (
            prefix_ids["input_ids"].shape[1] + suffix["input_ids"].shape[1]
            > self.settings.max_length
        ):
            return self._score_texts(head, [prefix + s for s in suffixes])
        out = model.base_model(**prefix_ids, use_cache=True)
        cache = out.past_key_values
        rows = len(suffixes)
        cache.batch_repeat_interleave(rows)
        p_len = prefix_ids["input_ids"].shape[1]
        mask = torch.cat([torch.ones((rows, p_len), dtype=torch.long, device=device),
                          suffix["attention_mask"]], 1)
        positions = torch.arange(p_len, p_len + suffix["input_ids"].shape[1],
                                 device=device).expand(rows, -1)
        hidden = model.base_model(
            input_ids=suffix["input_ids"],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
        ).last_hidden_state
        last = suffix["attention_mask"].sum(-1) - 1
        pooled = hidden[torch.arange(rows, device=device), last]
        return [float(v) for v in model.score(pooled)[:, head.label]]
