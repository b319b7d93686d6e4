"""Rows -> tensors for each objective, tokenized exactly as the serving side does.

* value: RM text, truncated from the left (the newest steps matter most), right-padded, no
  special tokens — the same call as the value RM replica (`actors/reward/methods/value.py`),
  so a trained head scores served states on identical token sequences.
* implicit: RM text with character offsets; a position counts toward the log-ratio when the
  token it predicts starts inside an action span (the implicit RM replica's rule). Spans the
  policy emitted (`emitted_*` columns: `RMTemplate.emitted_segments`) keep the emitted token ids
  (`token_spans.encode_with_emitted_ids`, as the replica does).
* sft: the conversation through the tokenizer's chat template (the policy backends render
  prompts the same way); only tokens of assistant turns — including their end-of-turn
  marker, so the model learns to stop — carry labels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORE_INDEX = -100


@dataclass
class Encoded:
    """A micro-batch: model inputs, per-kind targets, and its size for throughput stats."""

    tensors: dict[str, Any]
    samples: int
    tokens: int


def _tokens(enc: Any) -> int:
    return int(enc["attention_mask"].sum())


CUT_OLDEST, CUT_NEWEST = "left", "right"  # tokenizer truncation sides, by what they drop


def _batch(tokenizer: Any, texts: list[str], max_length: int, cut: str,
           offsets: bool = False) -> Any:
    """Texts as one right-padded batch without special tokens. RM texts cut their oldest
    tokens, as the RM replicas do (the newest steps matter most); SFT conversations cut their
    end, keeping the instruction and the first turns."""
    tokenizer.truncation_side = cut
    tokenizer.padding_side = "right"
    return tokenizer(
        texts,
        return_tensors="pt",
        padding=True,
        truncation=True,
        max_length=max_length,
        add_special_tokens=False,
        return_offsets_mapping=offsets,
    )


def encode_value(tokenizer: Any, rows: list[dict[str, Any]], max_length: int) -> Encoded:
    import torch

    enc = _batch(tokenizer, [r["text"] for r in rows], max_length, CUT_OLDEST)
    tensors = {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "values": torch.tensor([float(r["value"]) for r in rows], dtype=torch.float32),
    }
    return Encoded(tensors, len(rows), _tokens(enc))


def emitted_segments(row: dict[str, Any]) -> list[tuple[int, int, list[int]]]:
    """A row's spans of policy-emitted text with their ids (none in sets without them)."""
    starts, ends, ids = (row.get(k) or [] for k in ("emitted_starts", "emitted_ends",
                                                     "emitted_ids"))
    return [(lo, hi, list(i)) for lo, hi, i in zip(starts, ends, ids, strict=True)]


def encode_implicit(tokenizer: Any, rows: list[dict[str, Any]], max_length: int) -> Encoded:
    import torch

    from agentrm_ray.token_spans import encode_with_emitted_ids, pad_encoded

    spans = [list(zip(r["action_starts"], r["action_ends"], strict=True)) for r in rows]
    labels = torch.tensor([float(r["label"]) for r in rows], dtype=torch.float32)
    segments = [emitted_segments(r) for r in rows]
    if any(segments):  # the policy's own ids where a row has them
        encoded = [encode_with_emitted_ids(tokenizer, r["text"], segs, max_length)
                   for r, segs in zip(rows, segments, strict=True)]
        ids, attention, offsets = pad_encoded(encoded, tokenizer.pad_token_id)
    else:
        enc = _batch(tokenizer, [r["text"] for r in rows], max_length, CUT_OLDEST,
                     offsets=True)
        ids, attention, offsets = enc["input_ids"], enc["attention_mask"], enc["offset_mapping"]
    tensors = {"input_ids": ids, "attention_mask": attention,
               "action_mask": action_token_mask(offsets, attention, spans), "labels": labels}
    return Encoded(tensors, len(rows), int(attention.sum()))


def action_token_mask(offsets: Any, attention_mask: Any, spans: list[list[tuple[int, int]]]) -> Any:
    """(batch, len - 1) mask of the positions whose next token is part of an action.

    The rule is agentrm_ray.token_spans's, shared with the implicit RM replica so that trained
    and served rewards are the same number.
    """
    import torch

    from agentrm_ray.token_spans import predicted_token_mask

    mask = torch.zeros_like(offsets[:, 1:, 0], dtype=torch.bool)
    for row, row_spans in enumerate(spans):
        for lo, hi in row_spans:
            mask[row] |= predicted_token_mask(offsets[row], attention_mask[row], lo, hi)
    return mask


def chat_text_and_spans(
    tokenizer: Any, messages: list[dict[str, str]]
) -> tuple[str, list[tuple[int, int]]]:
    """The templated conversation and the character span of every assistant turn.

    Spans come from rendering growing prefixes; a template whose rendering of a prefix is not
    a prefix of the whole (so turns cannot be located) is an error, not a silent mislabel.
    """
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("the base model's tokenizer has no chat template; SFT needs one")

    def render(part: list[dict[str, str]], prompt: bool) -> str:
        return tokenizer.apply_chat_template(part, tokenize=False, add_generation_prompt=prompt)

    full = render(messages, False)
    spans = []
    for i, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        before, through = render(messages[:i], True), render(messages[: i + 1], False)
        if not (full.startswith(before) and full.startswith(through)):
            raise ValueError("the chat template does not render conversations prefix-stably")
        spans.append((len(before), len(through)))
    return full, spans


def encode_sft(tokenizer: Any, rows: list[dict[str, Any]], max_length: int) -> Encoded:
    import torch

    rendered = [chat_text_and_spans(tokenizer, list(r["messages"])) for r in rows]
    enc = _batch(tokenizer, [text for text, _ in rendered], max_length, CUT_NEWEST,
                 offsets=True)
    starts = enc["offset_mapping"][..., 0]
    keep = torch.zeros_like(starts, dtype=torch.bool)
    for row, (_, spans) in enumerate(rendered):
        for lo, hi in spans:
            keep[row] |= (starts[row] >= lo) & (starts[row] < hi)
    keep &= enc["attention_mask"] == 1
    labels = torch.where(keep, enc["input_ids"], torch.full_like(enc["input_ids"], IGNORE_INDEX))
    tensors = {
        "input_ids": enc["input_ids"],
        "attention_mask": enc["attention_mask"],
        "labels": labels,
    }
    return Encoded(tensors, len(rows), _tokens(enc))


ENCODERS = {"rm-explicit": encode_value, "rm-implicit": encode_implicit, "policy-sft": encode_sft}
