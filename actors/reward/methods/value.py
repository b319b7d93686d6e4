"""Explicit RM: an LM backbone with a scalar value head (HF sequence classification, 1 label).

States that share everything but their last step — the W2 children of one beam state —
share a prefix: its key/value cache is computed once and only the last steps are run, batched.
The model and every input live on the device Ray gave the replica (`actors/device.py`).
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from agentrm_ray.actors.device import actor_device
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import ScoringMethod
from agentrm_ray.models.precision import torch_dtype


class ValueMethod(ScoringMethod):
    reuse_prefix = True

    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        torch.set_num_threads(max(1, self.settings.num_threads))
        self.torch = torch
        self.device = actor_device(self.settings.gpus)
        self.tokenizer = AutoTokenizer.from_pretrained(self.settings.model_path)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        # A trained head keeps its own outputs (the pool checked it, models/value_head.py);
        # only a backbone allowed to run untrained is given a fresh one-output head.
        head = {"num_labels": 1} if self.settings.untrained_head else {}
        self.model = AutoModelForSequenceClassification.from_pretrained(
            self.settings.model_path, dtype=torch_dtype(self.settings.dtype), **head
        )
        self.label = self.settings.score_label
        if self.model.config.pad_token_id is None:
            self.model.config.pad_token_id = self.tokenizer.pad_token_id
        self.model.to(self.device).eval()
        # KV reuse needs the head applied to the backbone's hidden states by hand ("score").
        self._can_reuse = self.reuse_prefix and hasattr(self.model, "score")
        self.prefix_hits = 0

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        scores: list[float | None] = [None] * len(states)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, state in enumerate(states):
            steps = state.trajectory.steps
            key = (self.settings.template.text(state.instruction, state.trajectory,
                                               upto=len(steps) - 1) if steps else "")
            groups[key].append(i)
        singles: list[int] = []
        with self.torch.inference_mode():
            for prefix, members in groups.items():
                if self._can_reuse and prefix and len(members) > 1:
                    for i, value in zip(
                        members,
                        self._score_with_prefix(
                            prefix, [self.settings.template.step(states[i].trajectory.steps[-1])
                                     for i in members]
                        ),
                        strict=True,
                    ):
                        scores[i] = value
                    self.prefix_hits += len(members) - 1
                else:
                    singles.extend(members)
            for start in range(0, len(singles), self.settings.max_batch_size):
                chunk = singles[start : start + self.settings.max_batch_size]
                texts = [self.settings.template.text(states[i].instruction, states[i].trajectory)
                         for i in chunk]
                for i, value in zip(chunk, self._score_texts(texts), strict=True):
                    scores[i] = value
        return [ScoreResult(score=s) for s in scores]

    # ------------------------------------------------------------------ forward passes
    def _encode(self, texts: list[str]) -> Any:
        self.tokenizer.truncation_side = "left"  # keep the newest steps when too long
        self.tokenizer.padding_side = "right"
        return self.tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=True,
            max_length=self.settings.max_length,
            add_special_tokens=False,
        ).to(self.device)

    def _score_texts(self, texts: list[str]) -> list[float]:
        enc = self._encode(texts)
        logits = self.model(**enc).logits
        return [float(v) for v in logits[:, self.label]]

    def _score_with_prefix(self, prefix: str, suffixes: list[str]) -> list[float]:
        torch = self.torch
        device = self.device
        prefix_ids = self.tokenizer(prefix, return_tensors="pt", add_special_tokens=False
                                    ).to(device)
        suffix = self._encode(suffixes)
        if (
            prefix_ids["input_ids"].shape[1] + suffix["input_ids"].shape[1]
            > self.settings.max_length
        ):
            return self._score_texts([prefix + s for s in suffixes])
        out = self.model.base_model(**prefix_ids, use_cache=True)
        cache = out.past_key_values
        rows = len(suffixes)
        cache.batch_repeat_interleave(rows)
        p_len = prefix_ids["input_ids"].shape[1]
        mask = torch.cat([torch.ones((rows, p_len), dtype=torch.long, device=device),
                          suffix["attention_mask"]], 1)
        positions = torch.arange(p_len, p_len + suffix["input_ids"].shape[1],
                                 device=device).expand(rows, -1)
        hidden = self.model.base_model(
            input_ids=suffix["input_ids"],
            attention_mask=mask,
            position_ids=positions,
            past_key_values=cache,
        ).last_hidden_state
        last = suffix["attention_mask"].sum(-1) - 1
        pooled = hidden[torch.arange(rows, device=device), last]
        return [float(v) for v in self.model.score(pooled)[:, self.label]]
