"""The hf policy backend's decode: batched sampling vs the per-row loop it replaced, and
transformers' own `generate` as a reference, side by side in one run.

    .venv/bin/python bench/hf_decode.py [--model smollm2-135m|tiny|PATH] [--samples 16]
        [--max-tokens 48] [--threads 2] [--repeats 3] [--stop "Observation:"]

Each variant generates `--samples` sampled continuations (temperature 1, top-p 0.95) of one
ReAct-style prompt, `--max-tokens` new tokens each with no early end (stop strings that never
match, no EOS), the median of `--repeats` runs; output tokens per second. `batched`: the
backend as it is (one batched temperature/top-p/draw step, stop strings looked for in each
row's newest tokens). `per-row`: the same backend with the loop it replaced (per row and step:
softmax, sort for top-p, a multinomial draw, and a full decode of the row for the stop check),
kept here only to measure against. `generate`: `model.generate` over the same batch (no per-row
seeds, so not what the backend can use; the floor of a Python-free loop). Markdown to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

from _common import model_path

from agentrm_ray.actors.policy.api import GenerationRequest
from agentrm_ray.actors.policy.backends import BackendSettings
from agentrm_ray.actors.policy.backends.base import cut_at_stop
from agentrm_ray.actors.policy.backends.hf import HFBackend

PROMPT = [{"role": "user", "content": "You are in a maze. Think, then act.\nObservation: "
           "a corridor runs north and east. Your goal: reach the exit."}]


class PerRowBackend(HFBackend):
    """The decode loop before 2026-12-05, for comparison only: sampling and the stop check
    row by row in Python at every step."""

    def _next_tokens(self, logits: Any, sampling: Any, rows: list) -> Any:
        torch = self._torch
        tokens = []
        for i, row in enumerate(rows):
            req = row.request
            if req.temperature == 0:
                tokens.append(int(torch.argmax(logits[i])))
                continue
            probs = torch.softmax(logits[i] / req.temperature, dim=-1)
            if req.top_p < 1.0:
                ranked, order = torch.sort(probs, descending=True)
                keep = ranked.cumsum(-1) - ranked < req.top_p
                probs = torch.zeros_like(probs).scatter(0, order[keep], ranked[keep])
                probs = probs / probs.sum()
            tokens.append(int(torch.multinomial(probs, 1, generator=row.generator)))
        return torch.tensor(tokens)

    def _update_finish(self, row: Any, token: int, stop_window: int) -> None:
        if token in self._eos:
            super()._update_finish(row, token, stop_window)
            return
        row.text = self.tokenizer.decode(row.tokens, skip_special_tokens=True)
        text, stopped = cut_at_stop(row.text, row.request.stop)
        if stopped:
            row.text, row.finish = text, "stop"
        elif len(row.tokens) >= row.request.max_tokens:
            row.finish = "length"


def _backend(cls: type[HFBackend], path: str, threads: int) -> HFBackend:
    backend = cls(BackendSettings(model_path=path, max_model_len=2048, num_threads=threads,
                                  max_batch_size=256))
    asyncio.run(backend.start())
    backend._eos = set()  # every variant runs to max_tokens: equal work
    return backend


def _time_backend(backend: HFBackend, args: argparse.Namespace) -> float:
    request = GenerationRequest(messages=PROMPT, n=args.samples, max_tokens=args.max_tokens,
                                temperature=1.0, top_p=0.95, seed=0, stop=[args.stop])

    async def go() -> None:
        await backend.generate(request)

    started = time.perf_counter()
    asyncio.run(go())
    return time.perf_counter() - started


def _time_generate(backend: HFBackend, args: argparse.Namespace) -> float:
    torch = backend._torch
    ids = backend.tokenizer.apply_chat_template(PROMPT, add_generation_prompt=True,
                                                return_tensors="pt", return_dict=True)
    batch = {k: v.repeat(args.samples, 1) for k, v in ids.items()}
    started = time.perf_counter()
    with torch.inference_mode():
        backend.model.generate(**batch, do_sample=True, temperature=1.0, top_p=0.95,
                               max_new_tokens=args.max_tokens, min_new_tokens=args.max_tokens,
                               pad_token_id=backend._pad)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--samples", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--stop", default="\nObservation:")
    args = parser.parse_args()
    path = model_path(args.model)
    tokens = args.samples * args.max_tokens
    rows = []
    for name, cls in (("batched", HFBackend), ("per-row", PerRowBackend)):
        backend = _backend(cls, path, args.threads)
        _time_backend(backend, args)  # warm-up
        seconds = statistics.median(_time_backend(backend, args) for _ in range(args.repeats))
        rows.append((name, seconds))
    reference = _backend(HFBackend, path, args.threads)
    _time_generate(reference, args)
    rows.append(("generate", statistics.median(
        _time_generate(reference, args) for _ in range(args.repeats))))
    print(f"{args.samples} samples x {args.max_tokens} tokens, model {args.model}, "
          f"{args.threads} threads, median of {args.repeats}\n")
    print("| decode | seconds | output tokens/s | vs per-row |\n|---|---|---|---|")
    per_row = dict(rows)["per-row"]
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {tokens / seconds:.0f} | {per_row / seconds:.2f}x |")


if __name__ == "__main__":
    main()
