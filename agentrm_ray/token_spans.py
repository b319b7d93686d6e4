"""Which tokens belong to an action: one rule shared by implicit-RM training and serving.

The implicit reward sums log-ratios over an action's tokens, so the trainer
(agentrm_ray.train.encoding) and the RM replica (actors/reward/methods/implicit.py) must pick
exactly the same tokens, or served scores drift from trained ones. A token counts when its
character range overlaps the action's span. Overlap, not "starts inside": byte-level BPE puts
a word's leading space into its token, so the first word of "Action: move north" is the token
" move", which starts one character before the span and would otherwise be dropped.
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
