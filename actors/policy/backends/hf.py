"""transformers backend with dynamic batching of concurrent requests.

Concurrent `generate` calls are queued; a batching loop takes everything that arrived within a
few milliseconds (up to `max_batch_size` sampled rows), and decodes all rows together with a
KV cache in a worker thread, so the actor's event loop keeps accepting requests meanwhile.
Each row samples with its own seeded `torch.Generator`, so a request's samples do not depend
on which other requests shared its batch (up to float noise of padded matmuls). The model, its
inputs and the generators live on the device Ray gave the replica (`actors/device.py`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from agentrm_ray.actors.batching import MicroBatcher
from agentrm_ray.actors.device import actor_device
from agentrm_ray.actors.policy.api import GenerationRequest, GenerationResult, Sample
from agentrm_ray.actors.policy.backends.base import GenerationBackend, cut_at_stop, render_prompt
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
                Sample(
                    text=row.text,
                    num_tokens=len(row.tokens),
                    finish_reason="stop" if row.finish == "stop" else "length",
                    logprobs=row.logprobs if request.logprobs else None,
                )
                for row in rows
                if row.request_index == index
            ]
            results.append(GenerationResult(samples=samples, prompt_tokens=len(ids)))
        return results

    def _decode_rows(self, rows: list[_Row]) -> None:
        torch, device = self._torch, self.device
        width = max(len(r.prompt_ids) for r in rows)
        input_ids = torch.full((len(rows), width), self._pad, dtype=torch.long, device=device)
        mask = torch.zeros((len(rows), width), dtype=torch.long, device=device)
        for i, row in enumerate(rows):  # left padding: every row's next token is at the end
            input_ids[i, width - len(row.prompt_ids) :] = torch.tensor(row.prompt_ids)
            mask[i, width - len(row.prompt_ids) :] = 1
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
            logprobs = torch.log_softmax(logits, dim=-1)
            next_ids = []
            for i, row in enumerate(rows):
                if row.finish is not None:
                    next_ids.append(self._pad)
                    continue
                token = self._choose(logits[i], row)
                row.tokens.append(token)
                row.logprobs.append(float(logprobs[i, token]))
                self._update_finish(row, token)
                next_ids.append(token)
            if all(r.finish is not None for r in rows):
                break
            step_ids = torch.tensor(next_ids, dtype=torch.long, device=device).unsqueeze(1)
            mask = torch.cat([mask, torch.ones((len(rows), 1), dtype=torch.long, device=device)],
                             dim=1)

    def _choose(self, logits: Any, row: _Row) -> int:
        torch = self._torch
        req = row.request
        if req.temperature == 0:
            return int(torch.argmax(logits))
        probs = torch.softmax(logits / req.temperature, dim=-1)
        if req.top_p < 1.0:
            sorted_probs, order = torch.sort(probs, descending=True)
            keep = sorted_probs.cumsum(-1) - sorted_probs < req.top_p
            filtered = torch.zeros_like(probs).scatter(0, order[keep], sorted_probs[keep])
            probs = filtered / filtered.sum()
        return int(torch.multinomial(probs, 1, generator=row.generator))

    def _update_finish(self, row: _Row, token: int) -> None:
        if token in self._eos:
            row.tokens.pop()
            row.logprobs.pop()
            row.text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
            row.finish = "stop"
            return
        row.text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
        text, stopped = cut_at_stop(row.text, row.request.stop)
        if stopped:
            row.text = text
            row.finish = "stop"
        elif len(row.tokens) >= row.request.max_tokens:
            row.finish = "length"


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [int(value)]
