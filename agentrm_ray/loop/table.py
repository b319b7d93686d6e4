"""The quickstart's result: one table (splits x columns) as Markdown/JSON, and one bar chart.

A cell is success / progress over that split's test tasks, from each column's summary.json,
so the table can be rebuilt from the run directories alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agentrm_ray.config.models import LoopColumn
from agentrm_ray.data.summary import format_cell
from agentrm_ray.durable import atomic_write_text
from agentrm_ray.loop.columns import COLUMNS

SPLITS = ("held-in/test", "held-out/test")


def load_cells(summaries: dict[LoopColumn, dict[str, Any]]
               ) -> dict[str, dict[str, dict[str, float]]]:
    """{split: {column: metrics}} from each column's run summary (absent -> not in the dict)."""
    cells: dict[str, dict[str, dict[str, float]]] = {split: {} for split in SPLITS}
    for column, summary in summaries.items():
        groups = summary["groups"]
        for split in SPLITS:
            if split in groups:
                cells[split][column.value] = groups[split]
    return cells


def markdown(cells: dict[str, dict[str, dict[str, float]]], columns: list[LoopColumn],
             notes: list[str] = ()) -> str:
    head = "| split | " + " | ".join(COLUMNS[c].label for c in columns) + " |"
    rule = "|---|" + "---|" * len(columns)
    lines = [head, rule]
    for split, by_column in cells.items():
        row = []
        for column in columns:
            m = by_column.get(column.value)
            row.append("-" if m is None else format_cell(m))
        lines.append(f"| {split} | " + " | ".join(row) + " |")
    lines.append("")
    lines.append("cells: success / progress over the split's completed test tasks (n tasks; "
                 "failed tasks, whose search raised, are counted apart).")
    lines.extend(notes)
    return "\n".join(lines)


def plot(cells: dict[str, dict[str, dict[str, float]]], columns: list[LoopColumn],
         out: Path) -> None:
    """Grouped bars: success and progress per column, one panel per split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(cells), figsize=(6 * len(cells), 4), squeeze=False)
    xs = range(len(columns))
    for ax, (split, by_column) in zip(axes[0], cells.items(), strict=True):
        success = [100 * (by_column.get(c.value, {}).get("success") or 0.0) for c in columns]
        progress = [100 * (by_column.get(c.value, {}).get("progress") or 0.0) for c in columns]
        ax.bar([x - 0.2 for x in xs], success, width=0.4, label="success")
        ax.bar([x + 0.2 for x in xs], progress, width=0.4, label="progress")
        ax.set_xticks(list(xs), [COLUMNS[c].label for c in columns], rotation=30, ha="right",
                      fontsize=8)
        ax.set_ylim(0, 100)
        ax.set_ylabel("%")
        ax.set_title(split)
        ax.grid(axis="y", alpha=0.3)
        ax.legend()
    fig.suptitle("AgentRM quickstart: greedy vs RM-guided search")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def write_outputs(root: Path, cells: dict[str, Any], columns: list[LoopColumn],
                  extra: dict[str, Any], notes: list[str] = ()) -> str:
    """quickstart.md / .json / .png under root; returns the Markdown table."""
    table = markdown(cells, columns, notes)
    atomic_write_text(root / "quickstart.md", table + "\n")
    atomic_write_text(root / "quickstart.json",
                      json.dumps({"cells": cells, **extra}, indent=2, sort_keys=True))
    plot(cells, columns, root / "quickstart.png")
    return table
