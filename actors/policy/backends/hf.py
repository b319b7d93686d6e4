"""transformers backend with dynamic batching of concurrent requests.

Concurrent `generate` calls are queued; a batching loop takes everything that arrived within a
few milliseconds (up to `max_batch_size` sampled rows), and decodes all rows together with a
KV cache in a worker thread, so the actor's event loop keeps accepting requests meanwhile.
Each row samples with its own seeded `torch.Generator`, so a request's samples do not depend
on which other requests shared its batch (up to float noise of padded matmuls); the sampling
itself (temperature, top-p, the draw) is one batched step for all rows, and stop strings are
looked for in each row's newest tokens only. The model, its
inputs and the generators live on the device Ray gave the replica (`actors/device.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.actors.batching import MicroBatcher
from agentrm_ray.actors.device import actor_device
from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult, Sample
from agentrm_ray.actors.policy.backends.base import (
    GenerationBackend,
    cut_at_stop,
    ids_of_text,
    render_prompt,
)
from agentrm_ray.models.precision import torch_dtype


@dataclass
class _Row:
    """One sample being decoded."""

    request_index: int
    prompt_ids: list[int]
    request: GenerationRequest
    generator: Any
    tokens: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    text: str = ""
    finish: str | None = None


class HFBackend(GenerationBackend):
    async def start(self) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(max(1, self.settings.num_threads))
        self._torch = torch
        self.device = actor_device(self.settings.gpus)
        self.tokenizer = AutoTokenizer.from_pretrained(self.settings.model_path)
        dtype = torch_dtype(self.settings.dtype)
        self.model = AutoModelForCausalLM.from_pretrained(self.settings.model_path, dtype=dtype)
        self.model.to(self.device).eval()
        self._eos = {self.tokenizer.eos_token_id} | set(
            _as_list(getattr(self.model.generation_config, "eos_token_id", None))
        )
        self._pad = self.tokenizer.pad_token_id
        if self._pad is None:
            self._pad = self.tokenizer.eos_token_id
        self._batcher: MicroBatcher[tuple[GenerationRequest, list[int]], GenerationResult] = (
            MicroBatcher(self._decode, self.settings.max_batch_size, weight=lambda item: item[0].n)
        )

    async def close(self) -> None:
        batcher = getattr(self, "_batcher", None)
        if batcher is not None:
            batcher.close()

    async def generate(self, request: GenerationRequest) -> GenerationResult:
        prompt = render_prompt(self.tokenizer, request)
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        self.check_length(len(ids), request)
        return await self._batcher.submit((request, ids))

    # ------------------------------------------------------------------ decoding (thread)
    def _decode(self, items: list[tuple[GenerationRequest, list[int]]]) -> list[GenerationResult]:
        torch = self._torch
        rows: list[_Row] = []
        for index, (request, ids) in enumerate(items):
            for sample in range(request.n):
                generator = torch.Generator(device=self.device)
                base = request.seed if request.seed is not None else self.settings.seed
                generator.manual_seed(hash((base, sample)) & 0x7FFFFFFF)
                rows.append(_Row(index, ids, request, generator))
        with torch.inference_mode():
            self._decode_rows(rows)
        results = []
        for index, (request, ids) in enumerate(items):
            samples = [
                _sample(self.tokenizer, row, request.logprobs)
                for row in rows
                if row.request_index == index
            ]
            results.append(GenerationResult(samples=samples, prompt_tokens=len(ids)))
        return results

    def _decode_rows(self, rows: list[_Row]) -> None:
        """Decode every row together: one forward pass a step, then one batched sampling step
        (`_next_tokens`) and one host sync for the chosen tokens and their log-probs."""
        torch, device = self._torch, self.device
        width = max(len(r.prompt_ids) for r in rows)
        input_ids = torch.full((len(rows), width), self._pad, dtype=torch.long, device=device)
        mask = torch.zeros((len(rows), width), dtype=torch.long, device=device)
        for i, row in enumerate(rows):  # left padding: every row's next token is at the end
            input_ids[i, width - len(row.prompt_ids) :] = torch.tensor(row.prompt_ids)
            mask[i, width - len(row.prompt_ids) :] = 1
        sampling = _SamplingParams.of(torch, rows, device)
        stop_window = _stop_window(rows)
        past = None
        max_new = max(r.request.max_tokens for r in rows)
        step_ids = input_ids
        for _ in range(max_new):
            positions = (mask.cumsum(-1) - 1).clamp(min=0)[:, -step_ids.shape[1] :]
            out = self.model(
                input_ids=step_ids,
                attention_mask=mask,
                position_ids=positions,
                past_key_values=past,
                use_cache=True,
            )
            past = out.past_key_values
            logits = out.logits[:, -1, :].float()
            tokens = self._next_tokens(logits, sampling, rows)
            chosen = torch.log_softmax(logits, dim=-1).gather(1, tokens[:, None])[:, 0]
            next_ids = []
            for row, token, logprob in zip(rows, tokens.tolist(), chosen.tolist(), strict=True):
                if row.finish is not None:
                    next_ids.append(self._pad)
                    continue
                row.tokens.append(token)
                row.logprobs.append(logprob)
                self._update_finish(row, token, stop_window)
                next_ids.append(token)
            if all(r.finish is not None for r in rows):
                break
            step_ids = torch.tensor(next_ids, dtype=torch.long, device=device).unsqueeze(1)
            mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long, device=device)],
                             dim=1)
        for row in rows:
            if row.finish is None:  # only a request of max_tokens=0 ends here unfinished
                row.finish = "length"
            if row.finish == "length":
                row.text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)

    def _next_tokens(self, logits: Any, sampling: _SamplingParams, rows: list[_Row]) -> Any:
        """Every row's next token at once: argmax for temperature 0; otherwise temperature and
        top-p over the whole batch, then the exponential race (argmax of p / E with E ~ Exp(1),
        which draws from p) with each row's noise from its own seeded generator, so a row's
        samples do not depend on the rows it is batched with."""
        torch = self._torch
        greedy = logits.argmax(dim=-1)
        if not sampling.any_sampled:
            return greedy
        probs = torch.softmax(logits / sampling.temperature[:, None], dim=-1)
        if sampling.any_top_p:
            ranked, order = torch.sort(probs, dim=-1, descending=True)
            keep = ranked.cumsum(-1) - ranked < sampling.top_p[:, None]
            probs = torch.zeros_like(probs).scatter(1, order, ranked * keep)
        noise = torch.stack([
            torch.empty(probs.shape[1], device=probs.device).exponential_(generator=r.generator)
            for r in rows])
        sampled = (probs / noise).argmax(dim=-1)
        return torch.where(sampling.sampled, sampled, greedy)

    def _update_finish(self, row: _Row, token: int, stop_window: int) -> None:
        if token in self._eos:
            row.tokens.pop()
            row.logprobs.pop()
            row.text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            row.finish = "stop"
            return
        stops = row.request.stop
        # Only the newest tokens can complete a stop string: decode those, and the whole row
        # only on a hit (decoding every row in full at every step costs O(length^2)).
        if stops:
            tail = self.tokenizer.decode(row.tokens[-stop_window:], skip_special_tokens=True)
            if any(s and s in tail for s in stops):
                full = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
                row.text, stopped = cut_at_stop(full, stops)
                if stopped:
                    row.finish = "stop"
                    return
        if len(row.tokens) >= row.request.max_tokens:
            row.finish = "length"


def _sample(tokenizer: Any, row: _Row, with_logprobs: bool) -> Sample:
    token_ids = ids_of_text(tokenizer, row.tokens, row.text)
    logprobs = row.logprobs if with_logprobs else None
    if logprobs is not None and token_ids is not None:
        logprobs = logprobs[: len(token_ids)]
    return Sample(text=row.text, num_tokens=len(row.tokens),
                  finish_reason="stop" if row.finish == "stop" else "length",
                  logprobs=logprobs, token_ids=token_ids)


@dataclass(frozen=True)
class _SamplingParams:
    """The batch's sampling settings as tensors on the model's device."""

    temperature: Any  # (rows,), 1 where a row decodes greedily (unused there)
    top_p: Any  # (rows,)
    sampled: Any  # (rows,) bool: temperature > 0
    any_sampled: bool
    any_top_p: bool

    @classmethod
    def of(cls, torch: Any, rows: list[_Row], device: str) -> _SamplingParams:
        temps = [r.request.temperature for r in rows]
        top_ps = [r.request.top_p for r in rows]
        return cls(
            temperature=torch.tensor([t if t > 0 else 1.0 for t in temps], device=device),
            top_p=torch.tensor(top_ps, device=device),
            sampled=torch.tensor([t > 0 for t in temps], device=device),
            any_sampled=any(t > 0 for t in temps),
            any_top_p=any(p < 1.0 for p in top_ps),
        )


def _stop_window(rows: list[_Row]) -> int:
    """Tokens to decode for a stop check. A stop of k characters that the newest token
    completes lies within the last k tokens that decode to text; twice that, plus a few,
    leaves room for tokens that decode to nothing or to part of a character."""
    longest = max((len(s) for r in rows for s in (r.request.stop or [])), default=0)
    return 2 * longest + 4


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [int(value)]
