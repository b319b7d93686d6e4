"""Training sets on disk: one directory per kind, Parquet splits plus a manifest.

    <dir>/train.parquet   training rows (Ray Data readable: `ray.data.read_parquet`)
    <dir>/val.parquet     validation rows (same schema; may hold zero rows)
    <dir>/manifest.json   kind, columns, counts, label kind, source run's config hash, versions

Every kind has a fixed Arrow schema, so an empty validation split still carries its columns and
a file written by hand is checked column by column. `load_dataset` refuses what would train
silently on garbage: a missing file or column, no rows, null cells, values outside [0, 1],
classification labels other than 0/1, action spans outside their text, SFT conversations
without an assistant turn.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from agentrm_ray.durable import atomic_write_text
from agentrm_ray.errors import AgentRMError
from agentrm_ray.versions import library_versions

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SPLIT_FILES = {"train": "train.parquet", "val": "val.parquet"}

KIND_EXPLICIT = "rm-explicit"
KIND_IMPLICIT = "rm-implicit"
KIND_SFT = "policy-sft"
KINDS = (KIND_EXPLICIT, KIND_IMPLICIT, KIND_SFT)

LABEL_BINARY = "binary"
LABEL_CONTINUOUS = "continuous"

_PROVENANCE = [
    pa.field("task_key", pa.string(), nullable=False),
    pa.field("env_id", pa.string()),
    pa.field("task_id", pa.string()),
]
_MESSAGE = pa.struct([pa.field("role", pa.string()), pa.field("content", pa.string())])

SCHEMAS: dict[str, pa.Schema] = {
    KIND_EXPLICIT: pa.schema(
        [
            *_PROVENANCE,
            pa.field("node_id", pa.int64()),
            pa.field("depth", pa.int64()),
            pa.field("text", pa.string(), nullable=False),
            pa.field("value", pa.float64(), nullable=False),
            pa.field("visits", pa.int64()),
            pa.field("instruction", pa.string()),
            pa.field("trajectory", pa.string()),  # Trajectory JSON of the state prefix
        ]
    ),
    KIND_IMPLICIT: pa.schema(
        [
            *_PROVENANCE,
            pa.field("text", pa.string(), nullable=False),
            pa.field("action_starts", pa.list_(pa.int64()), nullable=False),
            pa.field("action_ends", pa.list_(pa.int64()), nullable=False),
            # Spans of the text the policy emitted token for token, with those ids
            # (`RMTemplate.emitted_segments`); training uses them. Absent in old sets.
            pa.field("emitted_starts", pa.list_(pa.int64())),
            pa.field("emitted_ends", pa.list_(pa.int64())),
            pa.field("emitted_ids", pa.list_(pa.list_(pa.int64()))),
            pa.field("label", pa.float64(), nullable=False),
            pa.field("success", pa.float64()),
            pa.field("progress", pa.float64()),
            pa.field("num_steps", pa.int64()),
            pa.field("instruction", pa.string()),
            pa.field("trajectory", pa.string()),  # Trajectory JSON with its outcome
        ]
    ),
    KIND_SFT: pa.schema(
        [
            *_PROVENANCE,
            pa.field("messages", pa.list_(_MESSAGE), nullable=False),
            pa.field("num_steps", pa.int64()),
        ]
    ),
}

# What training reads; everything else is provenance.
REQUIRED: dict[str, tuple[str, ...]] = {
    KIND_EXPLICIT: ("task_key", "text", "value"),
    KIND_IMPLICIT: ("task_key", "text", "action_starts", "action_ends", "label"),
    KIND_SFT: ("task_key", "messages"),
}
# What training reads where a set has it (sets written before these columns lack them).
OPTIONAL: dict[str, tuple[str, ...]] = {
    KIND_EXPLICIT: (),
    KIND_IMPLICIT: ("emitted_starts", "emitted_ends", "emitted_ids"),
    KIND_SFT: (),
}


class DatasetError(AgentRMError):
    """A training set that is missing, empty, incomplete or mislabelled."""


@dataclass
class TrainingSet:
    """A loaded, validated training set: rows as plain dicts (picklable, sent to workers)."""

    kind: str
    root: Path
    train: list[dict[str, Any]]
    val: list[dict[str, Any]]
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def label_kind(self) -> str:
        return str(self.manifest.get("label_kind", ""))

    @property
    def fingerprint(self) -> str:
        """Hash of the split files: a resumed run must train on the same data."""
        digest = hashlib.sha256()
        for name in SPLIT_FILES.values():
            path = self.root / name
            if path.is_file():
                digest.update(path.read_bytes())
        return digest.hexdigest()[:16]


# --------------------------------------------------------------------------- write
def write_dataset(
    root: str | Path,
    kind: str,
    train: list[dict[str, Any]],
    val: list[dict[str, Any]],
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write both splits and the manifest (validated first: a bad set is never written)."""
    if kind not in SCHEMAS:
        raise DatasetError(f"unknown dataset kind {kind!r}; expected one of {', '.join(KINDS)}")
    meta = dict(meta or {})
    tables = {}
    for split, rows in (("train", train), ("val", val)):
        try:
            tables[split] = pa.Table.from_pylist(rows, schema=SCHEMAS[kind])
        except (pa.ArrowInvalid, pa.ArrowTypeError, KeyError) as exc:
            raise DatasetError(f"{kind} {split} rows do not fit the schema: {exc}") from None
        _validate_table(tables[split], kind, f"{split} split", meta.get("label_kind", ""))
    if tables["train"].num_rows == 0:
        raise DatasetError(f"{kind}: no training rows to write")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for split, table in tables.items():
        tmp = root / (SPLIT_FILES[split] + ".tmp")
        pq.write_table(table, tmp)
        tmp.replace(root / SPLIT_FILES[split])
    manifest = {
        "kind": kind,
        "format_version": FORMAT_VERSION,
        "columns": SCHEMAS[kind].names,
        "counts": {split: tables[split].num_rows for split in tables},
        "tasks": {
            split: len(set(tables[split].column("task_key").to_pylist())) for split in tables
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "versions": library_versions(),
        **meta,
    }
    atomic_write_text(root / MANIFEST, json.dumps(manifest, indent=2))
    return manifest


# ---------------------------------------------------------------------------- read
def load_dataset(root: str | Path, kind: str) -> TrainingSet:
    """Read and validate a training set of `kind` from `root` (errors say what to fix)."""
    root = Path(root)
    if kind not in SCHEMAS:
        raise DatasetError(f"unknown dataset kind {kind!r}; expected one of {', '.join(KINDS)}")
    train_path = root / SPLIT_FILES["train"]
    if not train_path.is_file():
        hint = (
            "build it with `agentrm-ray label --run RUN_DIR`"
            if kind != KIND_SFT
            else "build it with `agentrm-ray demos`"
        )
        raise DatasetError(f"dataset {str(root)!r} has no {SPLIT_FILES['train']}; {hint}")
    manifest: dict[str, Any] = {}
    if (root / MANIFEST).is_file():
        manifest = json.loads((root / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("kind") not in (None, kind):
            raise DatasetError(
                f"dataset {str(root)!r} holds {manifest['kind']!r} rows, not {kind!r}"
            )
    tables = {"train": _read_table(train_path)}
    val_path = root / SPLIT_FILES["val"]
    tables["val"] = _read_table(val_path) if val_path.is_file() else None  # type: ignore[assignment]
    label_kind = manifest.get("label_kind", "")
    if kind == KIND_IMPLICIT and not label_kind:
        label_kind = _infer_label_kind(tables["train"])
        manifest["label_kind"] = label_kind
    for split, table in tables.items():
        if table is not None:
            _validate_table(table, kind, f"{split} split ({root / SPLIT_FILES[split]})", label_kind)
    if tables["train"].num_rows == 0:
        raise DatasetError(f"dataset {str(train_path)!r} is empty: nothing to train on")
    val_rows = tables["val"].to_pylist() if tables["val"] is not None else []
    return TrainingSet(kind, root, tables["train"].to_pylist(), val_rows, manifest)


def _read_table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DatasetError(f"{str(path)!r} is not a readable Parquet file: {exc}") from None


def _infer_label_kind(table: pa.Table) -> str:
    if "label" not in table.column_names:
        return LABEL_BINARY  # reported as a missing column by the validation that follows
    labels = [v for v in table.column("label").to_pylist() if v is not None]
    return LABEL_BINARY if all(v in (0.0, 1.0) for v in labels) else LABEL_CONTINUOUS


# ---------------------------------------------------------------------- validation
def _validate_table(table: pa.Table, kind: str, where: str, label_kind: str) -> None:
    missing = [c for c in REQUIRED[kind] if c not in table.column_names]
    if missing:
        raise DatasetError(
            f"{kind} {where}: missing column(s) {', '.join(missing)} "
            f"(it has: {', '.join(table.column_names) or 'none'})"
        )
    for column in REQUIRED[kind]:
        nulls = table.column(column).null_count
        if nulls:
            raise DatasetError(f"{kind} {where}: column {column!r} has {nulls} empty cell(s)")
    rows = table.select(list(REQUIRED[kind])).to_pylist()
    check = {KIND_EXPLICIT: _check_explicit, KIND_IMPLICIT: _check_implicit, KIND_SFT: _check_sft}
    for index, row in enumerate(rows):
        problem = check[kind](row, label_kind)
        if problem:
            bad = sum(1 for r in rows if check[kind](r, label_kind))
            raise DatasetError(
                f"{kind} {where}: row {index} (task {row['task_key']!r}) {problem}"
                + (f"; {bad} bad row(s) in all" if bad > 1 else "")
            )


def _unit_interval(x: float) -> bool:
    return not math.isnan(x) and 0.0 <= x <= 1.0


def _check_explicit(row: dict[str, Any], _label_kind: str) -> str:
    if not _unit_interval(row["value"]):
        return f"has value {row['value']!r}; state values must lie in [0, 1]"
    if not row["text"]:
        return "has an empty text"
    return ""


def _check_implicit(row: dict[str, Any], label_kind: str) -> str:
    label = row["label"]
    if label_kind == LABEL_BINARY and label not in (0.0, 1.0):
        return f"has label {label!r}; a binary (success) label must be 0 or 1"
    if not _unit_interval(label):
        return f"has label {label!r}; labels must lie in [0, 1]"
    starts, ends = row["action_starts"], row["action_ends"]
    if len(starts) != len(ends):
        return f"has {len(starts)} action_starts but {len(ends)} action_ends"
    if not starts:
        return "has no action spans (a trajectory without steps)"
    if any(not 0 <= lo < hi <= len(row["text"]) for lo, hi in zip(starts, ends, strict=True)):
        return "has an action span outside its text"
    return ""


def _check_sft(row: dict[str, Any], _label_kind: str) -> str:
    messages = row["messages"]
    roles = {m["role"] for m in messages}
    if not roles <= {"system", "user", "assistant"}:
        return f"has unknown role(s) {sorted(roles - {'system', 'user', 'assistant'})}"
    if "assistant" not in roles:
        return "has no assistant turn (nothing to learn)"
    return ""
