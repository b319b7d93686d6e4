"""Which tokens belong to an action: one rule shared by implicit-RM training and serving.

The implicit reward sums log-ratios over an action's tokens, so the trainer
(agentrm_ray.train.encoding) and the RM replica (actors/reward/methods/implicit.py) must pick
exactly the same tokens, or served scores drift from trained ones. A token counts when its
character range overlaps the action's span. Overlap, not "starts inside": byte-level BPE puts
a word's leading space into its token, so the first word of "Action: move north" is the token
" move", which starts one character before the span and would otherwise be dropped.

Both also score only those tokens: `masked_token_logprobs` sends just the masked positions
through the LM head, which is exactly the full forward's numbers at a fraction of its memory.
"""

from __future__ import annotations

from typing import Any


def predicted_token_mask(offsets: Any, attention_mask: Any, lo: int, hi: int) -> Any:
    """(len - 1) bool mask for one row: position i counts when token i+1 overlaps [lo, hi).

    `offsets` is the row's (len, 2) character offset mapping; position i predicts token i+1,
    which is how log-probabilities of a causal LM line up with the input.
    """
    starts, ends = offsets[1:, 0], offsets[1:, 1]
    return (starts < hi) & (ends > lo) & (ends > starts) & (attention_mask[1:] == 1)


def masked_token_logprobs(model: Any, input_ids: Any, attention_mask: Any, mask: Any
                          ) -> tuple[Any, Any]:
    """log p(token_{i+1} | prefix) at the positions i where `mask` (batch, len - 1) is set.

    Returns (log-probs of shape (n,), logits of shape (n, vocab)) in row-major order of the
    mask. Only those positions go through the LM head: the full (batch, len, vocab) logits of
    a 49k-token vocabulary, their float copy and their gradient are most of a worker's memory
    (an SFT step at 2048 tokens went over 10 GB per worker) although only the assistant or
    action tokens are scored. Models that post-process logits (soft-capping, scaling) take the
    full forward pass so their numbers stay exact.
    """
    import torch.nn.functional as F

    module = getattr(model, "module", model)  # a DeepSpeed engine wraps the HF model
    config = getattr(module, "config", None)
    head = module.get_output_embeddings() if hasattr(module, "get_output_embeddings") else None
    post_processed = any(getattr(config, k, None) for k in ("final_logit_softcapping",
                                                             "logit_scale"))
    targets = input_ids[:, 1:][mask]
    if head is None or post_processed or not hasattr(module, "get_decoder"):
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits[:, :-1][mask]
    else:
        hidden = module.get_decoder()(input_ids=input_ids,
                                      attention_mask=attention_mask).last_hidden_state
        logits = head(hidden[:, :-1][mask])
    logits = logits.float()
    return -F.cross_entropy(logits, targets, reduction="none"), logits


def per_row_sum(values: Any, mask: Any) -> Any:
    """Sum the masked-position `values` (from masked_token_logprobs) back into one per row."""
    import torch

    rows = mask.nonzero(as_tuple=True)[0]
    out = torch.zeros(mask.shape[0], dtype=values.dtype, device=values.device)
    return out.index_add(0, rows, values)


Segment = tuple[int, int, list[int]]  # (start, end) of a span of the text and the ids it was


def encode_with_emitted_ids(tokenizer: Any, text: str, segments: list[Segment],
                            max_length: int) -> tuple[list[int], list[tuple[int, int]]]:
    """Token ids and character offsets of `text`, where each segment, a span the policy
    emitted as those ids, keeps them instead of being re-tokenised (re-tokenising a
    conversation changes ids at turn boundaries). The rest is tokenised piece by piece; a
    segment whose ids do not spell its text exactly is tokenised too. Truncated from the left
    to `max_length`, as the plain path is. Shared by implicit-RM training and serving."""
    ids: list[int] = []
    offsets: list[tuple[int, int]] = []
    cursor = 0
    for lo, hi, emitted in sorted(segments):
        _extend(ids, offsets, *_tokenized(tokenizer, text[cursor:lo], cursor))
        spelled = _emitted_offsets(tokenizer, emitted, text[lo:hi], lo)
        if spelled is None:
            _extend(ids, offsets, *_tokenized(tokenizer, text[lo:hi], lo))
        else:
            _extend(ids, offsets, list(emitted), spelled)
        cursor = hi
    _extend(ids, offsets, *_tokenized(tokenizer, text[cursor:], cursor))
    return ids[-max_length:], offsets[-max_length:]


def pad_encoded(rows: list[tuple[list[int], list[tuple[int, int]]]], pad_id: int
                ) -> tuple[Any, Any, Any]:
    """(input_ids, attention_mask, offset_mapping) tensors of rows padded on the right."""
    import torch

    width = max((len(ids) for ids, _ in rows), default=0)
    input_ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    offsets = torch.zeros((len(rows), width, 2), dtype=torch.long)
    for row, (ids, spans) in enumerate(rows):
        input_ids[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        attention[row, : len(ids)] = 1
        if spans:
            offsets[row, : len(ids)] = torch.tensor(spans, dtype=torch.long)
    return input_ids, attention, offsets


def _extend(ids: list[int], offsets: list[tuple[int, int]], more_ids: list[int],
            more_offsets: list[tuple[int, int]]) -> None:
    ids += more_ids
    offsets += more_offsets


def _tokenized(tokenizer: Any, piece: str, base: int) -> tuple[list[int], list[tuple[int, int]]]:
    if not piece:
        return [], []
    enc = tokenizer(piece, add_special_tokens=False, return_offsets_mapping=True)
    return list(enc["input_ids"]), [(base + a, base + b) for a, b in enc["offset_mapping"]]


def _emitted_offsets(tokenizer: Any, emitted: list[int], piece: str, base: int
                     ) -> list[tuple[int, int]] | None:
    """Character offsets of each emitted id inside `piece`, by decoding growing prefixes; None
    when the ids do not decode to `piece` exactly. A token that ends inside a multi-byte
    character gets an empty range; the one completing it covers the character."""
    offsets = []
    end = 0
    for k in range(1, len(emitted) + 1):
        decoded = tokenizer.decode(emitted[:k], skip_special_tokens=True)
        new_end = len(decoded) if piece.startswith(decoded) else end
        offsets.append((base + end, base + new_end))
        end = new_end
    if tokenizer.decode(emitted, skip_special_tokens=True) != piece:
        return None
    return offsets
