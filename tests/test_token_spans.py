"""The action-token rule shared by implicit-RM training and serving picks whole actions."""

from __future__ import annotations

from agentrm_ray.token_spans import predicted_token_mask
from agentrm_ray.train.encoding import action_token_mask


def _encode(tokenizer, texts: list[str]):
    tokenizer.padding_side = "right"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False,
                     return_offsets_mapping=True)


def test_every_token_of_the_action_counts_including_its_first_word(tiny_model: str) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    text = "Thought: go.\nAction: move north\nObservation: a wall."
    lo = text.index("move north")
    hi = lo + len("move north")
    enc = _encode(tokenizer, [text])
    mask = predicted_token_mask(enc["offset_mapping"][0], enc["attention_mask"][0], lo, hi)
    picked = enc["input_ids"][0, 1:][mask]
    assert tokenizer.decode(picked).strip() == "move north"


def test_training_mask_is_the_served_rule_row_by_row(tiny_model: str) -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    texts = ["Action: take key\nObservation: ok", "Task: x\nAction: open door"]
    spans = [[(8, 16)], [(16, 25)]]
    enc = _encode(tokenizer, texts)
    batch = action_token_mask(enc["offset_mapping"], enc["attention_mask"], spans)
    for row, ((lo, hi),) in enumerate(spans):
        one = predicted_token_mask(enc["offset_mapping"][row], enc["attention_mask"][row], lo, hi)
        assert batch[row].tolist() == one.tolist()
        words = tokenizer.decode(enc["input_ids"][row, 1:][one]).strip()
        assert words == texts[row][lo:hi]


def test_emitted_ids_are_kept_where_retokenising_would_change_them(tiny_model: str) -> None:
    """A turn the policy emitted piece by piece tokenises differently as part of the whole
    text; its own ids are what training and the implicit RM read, the rest is tokenised."""
    from transformers import AutoTokenizer

    from agentrm_ray.token_spans import encode_with_emitted_ids

    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    head, turn, tail = "Task: exit.\n", "Thought: go\nAction: move north", "\nObservation: ok\n"
    # ids a policy may emit for the turn: character by character, unlike BPE's merges
    emitted = [i for ch in turn for i in tokenizer(ch, add_special_tokens=False)["input_ids"]]
    text = head + turn + tail
    whole = tokenizer(text, add_special_tokens=False)["input_ids"]
    ids, offsets = encode_with_emitted_ids(
        tokenizer, text, [(len(head), len(head) + len(turn), emitted)], max_length=4096)
    assert emitted != whole[: len(emitted)] and emitted[0] in ids
    start = ids.index(emitted[0], len(tokenizer(head, add_special_tokens=False)["input_ids"]))
    assert ids[start:start + len(emitted)] == emitted
    assert tokenizer.decode(ids) == text
    action = text.index("move north")
    spelled = "".join(text[a:b] for a, b in offsets if a >= action and b <= action + 10)
    assert spelled == "move north"
    # ids that do not spell their span are not trusted: that span is tokenised instead
    wrong, _ = encode_with_emitted_ids(tokenizer, text, [(0, len(head), emitted)], 4096)
    assert wrong == tokenizer(head, add_special_tokens=False)["input_ids"] + tokenizer(
        text[len(head):], add_special_tokens=False)["input_ids"]
    short, _ = encode_with_emitted_ids(tokenizer, text, [], max_length=5)
    assert short == whole[-5:]  # truncated from the left, as the plain path
