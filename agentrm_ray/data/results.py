"""A run's output directory: manifest, streamed results, summary.

    <dir>/manifest.json   config (resolved), config hash, versions, creation time
    <dir>/results.jsonl   one SearchResult per line, appended and flushed as tasks finish
    <dir>/summary.json    per family/split metrics (and summary.md, a readable table)

Resuming reads results.jsonl back (a line cut short by a kill is ignored, and rewritten when
that task runs again; a task recorded as failed is searched again). A directory holding a run
of a different config is refused unless forced, so results of two configs never mix.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.errors import AgentRMError
from agentrm_ray.types import SearchResult
from agentrm_ray.versions import library_versions

MANIFEST = "manifest.json"
RESULTS = "results.jsonl"


class OutputDirError(AgentRMError):
    """The output directory belongs to another run."""


class RunStore:
    def __init__(self, root: Path, config_hash: str) -> None:
        self.root = root
        self.config_hash = config_hash
        self.results_path = root / RESULTS
        # The parsed results and the file state they were read at: a resumed run asks for
        # them several times (done keys, then all results at the end) and a file of a few
        # hundred large records is not re-parsed while only this store has written to it.
        self._memo: tuple[tuple[int, int], dict[str, SearchResult]] | None = None

    @classmethod
    def open(cls, root: str | Path, cfg: RootConfig, force: bool = False) -> RunStore:
        """Create or reopen a run directory for `cfg` (refusing another config's run)."""
        root = Path(root)
        digest = config_hash(cfg)
        manifest_path = root / MANIFEST
        if manifest_path.is_file():
            previous = json.loads(manifest_path.read_text())
            if not force and not _computes_the_same(previous, digest):
                raise OutputDirError(
                    f"output.dir {str(root)!r} holds a run of another config (hash "
                    f"{previous.get('config_hash')}, this one {digest}); choose another "
                    "--output, or pass --force to add to it anyway"
                )
        root.mkdir(parents=True, exist_ok=True)
        manifest = {
            "config_hash": digest,
            "config": cfg.to_yaml_dict(),
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if not manifest_path.is_file() or force:
            _atomic_write(manifest_path, json.dumps(manifest, indent=2))
        return cls(root, digest)

    def load_results(self) -> list[SearchResult]:
        """Every complete result line (the last one, if cut short by a kill, is skipped)."""
        state = self._file_state()
        if state is None:
            return []
        if self._memo is not None and self._memo[0] == state:
            return list(self._memo[1].values())
        results: dict[str, SearchResult] = {}
        with self.results_path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.endswith("\n"):
                    break  # a partial line from a killed run
                result = SearchResult.model_validate_json(line)
                results[result.task.key] = result  # the latest record of a task wins
        self._memo = (state, results)
        return list(results.values())

    def _file_state(self) -> tuple[int, int] | None:
        """(size, mtime) of results.jsonl, None when there is none yet."""
        try:
            stat = self.results_path.stat()
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def done_keys(self) -> set[str]:
        """Tasks a resumed run skips: those whose latest record finished without an error.

        A task recorded as failed (an actor died, an env server vanished) is searched again
        on resume, and its new record supersedes the failed one.
        """
        return {r.task.key for r in self.load_results() if not r.failed}

    def repair(self) -> None:
        """Drop a trailing partial line so new records start on a line of their own."""
        if not self.results_path.is_file():
            return
        with self.results_path.open("r+b") as fh:
            if fh.seek(0, os.SEEK_END) == 0:
                return
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) == b"\n":  # the usual case: no need to read the whole file
                return
            fh.seek(0)
            fh.truncate(fh.read().rfind(b"\n") + 1)

    def append(self, result: SearchResult) -> None:
        line = result.model_dump_json() + "\n"
        before = self._file_state()
        with self.results_path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        if self._memo is not None and self._memo[0] == before:  # nobody else wrote: extend
            self._memo[1][result.task.key] = result
            self._memo = (self._file_state() or before, self._memo[1])
        else:
            self._memo = None

    def write_summary(self, summary: dict[str, Any], table: str) -> None:
        _atomic_write(self.root / "summary.json", json.dumps(summary, indent=2))
        _atomic_write(self.root / "summary.md", table)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _computes_the_same(manifest: dict[str, Any], digest: str) -> bool:
    """Whether a run directory's manifest describes a run of the config hashed to `digest`.

    The stored config is re-hashed under today's rule as well, so a run made before that rule
    last narrowed (e.g. when unused strategies' sections stopped counting) still resumes.
    """
    if manifest.get("config_hash") == digest:
        return True
    try:
        return config_hash(RootConfig.model_validate(manifest.get("config") or {})) == digest
    except ValidationError:
        return False
