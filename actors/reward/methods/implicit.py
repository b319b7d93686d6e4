"""Implicit RM (implicit PRM): r_t = beta * sum over step t's action tokens of
log pi_theta(token) - log pi_ref(token). The state's score is the sum over its steps (the
process reward accumulated so far); per-step scores are the r_t.

Both models read the RM text; the action tokens of each step are located through the
tokenizer's character offsets by the rule in agentrm_ray.token_spans (shared with training).
Both models run on the device Ray gave the replica (`actors/device.py`); the action-token masks
are built from the tokenizer's offsets on the CPU and moved there.
"""

from __future__ import annotations

import os

from agentrm_ray.actors.device import actor_device
from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import ScoringMethod
from agentrm_ray.models.precision import torch_dtype
from agentrm_ray.token_spans import (
    encode_with_emitted_ids,
    masked_token_logprobs,
    pad_encoded,
    predicted_token_mask,
)


class ImplicitMethod(ScoringMethod):
    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(max(1, self.settings.num_threads))
        self.torch = torch
        self.device = actor_device(self.settings.gpus)
        dtype = torch_dtype(self.settings.dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(self.settings.model_path)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.policy = AutoModelForCausalLM.from_pretrained(self.settings.model_path, dtype=dtype)
        reference = self.settings.reference_path or self.settings.model_path
        self.reference = AutoModelForCausalLM.from_pretrained(reference, dtype=dtype)
        self.policy.to(self.device).eval()
        self.reference.to(self.device).eval()

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        results = []
        size = self.settings.max_batch_size
        with self.torch.inference_mode():
            for start in range(0, len(states), size):
                results.extend(self._score_chunk(states[start : start + size]))
        return results

    def _score_chunk(self, states: list[RMState]) -> list[ScoreResult]:
        template = self.settings.template
        texts, spans = zip(*(template.text_and_action_spans(s.instruction, s.trajectory)
                             for s in states), strict=True)
        segments = [template.emitted_segments(s.instruction, s.trajectory) for s in states]
        if any(segments):  # the policy's own ids where its turns kept them, as training does
            ids, attention, offsets = pad_encoded(
                [encode_with_emitted_ids(self.tokenizer, text, seg, self.settings.max_length)
                 for text, seg in zip(texts, segments, strict=True)],
                self.tokenizer.pad_token_id)
        else:
            self.tokenizer.padding_side = "right"
            self.tokenizer.truncation_side = "left"  # keep the newest steps, as training does
            enc = self.tokenizer(
                list(texts),
                return_tensors="pt",
                padding=True,
                truncation=True,
                max_length=self.settings.max_length,
                add_special_tokens=False,
                return_offsets_mapping=True,
            )
            offsets = enc.pop("offset_mapping")  # still in the untruncated text's characters
            ids, attention = enc["input_ids"], enc["attention_mask"]
        step_masks = [
            [predicted_token_mask(offsets[row], attention[row], lo, hi) for lo, hi in row_spans]
            for row, row_spans in enumerate(spans)
        ]
        scored = self.torch.zeros(ids.shape[0], ids.shape[1] - 1, dtype=self.torch.bool)
        for row, masks in enumerate(step_masks):
            for mask in masks:
                scored[row] |= mask
        # Only action tokens go through the LM head (their log-probs equal the full forward's).
        on_device = [t.to(self.device) for t in (ids, attention, scored)]
        policy, _ = masked_token_logprobs(self.policy, *on_device)
        reference, _ = masked_token_logprobs(self.reference, *on_device)
        ratio = self.torch.zeros(scored.shape, dtype=policy.dtype)
        ratio[scored] = (policy - reference).cpu()
        results = []
        for row, masks in enumerate(step_masks):
            step_scores = [self.settings.beta * float(ratio[row][mask].sum()) for mask in masks]
            results.append(ScoreResult(score=float(sum(step_scores)), step_scores=step_scores))
        return results
