"""Implicit RM (implicit PRM): r_t = beta * sum over step t's action tokens of
log pi_theta(token) - log pi_ref(token). The state's score is the sum over its steps (the
process reward accumulated so far); per-step scores are the r_t.

Both models read the RM text; the action tokens of each step are located through the
tokenizer's character offsets by the rule in agentrm_ray.token_spans (shared with training).
"""

from __future__ import annotations

import os
from typing import Any

from agentrm_ray.actors.reward.api import RMState, ScoreResult
from agentrm_ray.actors.reward.methods.base import ScoringMethod
from agentrm_ray.prompting import rm_header, rm_step_text, step_turn
from agentrm_ray.token_spans import predicted_token_mask


class ImplicitMethod(ScoringMethod):
    def load(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(max(1, self.settings.num_threads))
        self.torch = torch
        dtype = getattr(torch, self.settings.dtype)
        self.tokenizer = AutoTokenizer.from_pretrained(self.settings.model_path)
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.policy = AutoModelForCausalLM.from_pretrained(self.settings.model_path, dtype=dtype)
        reference = self.settings.reference_path or self.settings.model_path
        self.reference = AutoModelForCausalLM.from_pretrained(reference, dtype=dtype)
        self.policy.eval()
        self.reference.eval()

    def score_batch(self, states: list[RMState]) -> list[ScoreResult]:
        results = []
        size = self.settings.max_batch_size
        with self.torch.inference_mode():
            for start in range(0, len(states), size):
                results.extend(self._score_chunk(states[start : start + size]))
        return results

    def _score_chunk(self, states: list[RMState]) -> list[ScoreResult]:
        texts, spans = zip(*(self._text_and_action_spans(s) for s in states), strict=True)
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
        ratio = self._token_log_ratio(self.policy, enc) - self._token_log_ratio(self.reference, enc)
        results = []
        for row, state_spans in enumerate(spans):
            step_scores = []
            for lo, hi in state_spans:
                mask = predicted_token_mask(offsets[row], enc["attention_mask"][row], lo, hi)
                step_scores.append(self.settings.beta * float(ratio[row][mask].sum()))
            results.append(ScoreResult(score=float(sum(step_scores)), step_scores=step_scores))
        return results

    def _token_log_ratio(self, model: Any, enc: Any) -> Any:
        """log p(token_{i+1} | prefix) for every position i."""
        logits = model(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).logits
        logprobs = self.torch.log_softmax(logits[:, :-1].float(), dim=-1)
        return logprobs.gather(-1, enc["input_ids"][:, 1:].unsqueeze(-1)).squeeze(-1)

    @staticmethod
    def _text_and_action_spans(state: RMState) -> tuple[str, list[tuple[int, int]]]:
        text = rm_header(state.instruction, state.trajectory)
        spans = []
        for step in state.trajectory.steps:
            turn = step_turn(step)
            action_start = len(text) + turn.rindex(step.action) if step.action else len(text)
            spans.append((action_start, action_start + len(step.action)))
            text += rm_step_text(step)
        return text, spans
