"""A run's output directory: manifest, streamed results, summary.

    <dir>/manifest.json   config (resolved), config hash, versions, creation time
    <dir>/results.jsonl   one SearchResult per line, appended and flushed as tasks finish
    <dir>/summary.json    per family/split metrics (and summary.md, a readable table)

Resuming reads results.jsonl back (a line cut short by a kill is ignored, and rewritten when
that task runs again; a task recorded as failed is searched again). A complete line that does
not parse (damaged on disk or by hand) is skipped with a warning, and a resumed run moves it
to results.damaged.jsonl and searches its task again. A directory holding a run of a different
config is refused unless forced, so results of two configs never mix, and a directory that
another live process has open for writing is refused, so two runs never append to one file.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from agentrm_ray.config import RootConfig, config_hash
from agentrm_ray.config.models import SearchStrategy
from agentrm_ray.durable import atomic_write_text, read_json
from agentrm_ray.errors import AgentRMError
from agentrm_ray.types import SearchResult
from agentrm_ray.versions import library_versions

MANIFEST = "manifest.json"
RESULTS = "results.jsonl"
QUARANTINE = "results.damaged.jsonl"
LOCK = ".agentrm.lock"

log = logging.getLogger(__name__)


class OutputDirError(AgentRMError):
    """The output directory belongs to another run."""


class NotARunError(AgentRMError):
    """A directory given as a run directory has no (readable) run manifest."""


@dataclass(frozen=True)
class RunManifest:
    """A run directory's manifest.json, typed: what every reader of a finished run needs."""

    root: Path
    config_hash: str
    config: RootConfig
    versions: dict[str, str]
    created: str

    @property
    def samples_per_task_step(self) -> int:
        """What the strategy samples: N for Best-of-N, W1*W2 for beam, else 1 (its x value on
        a scaling plot)."""
        search = self.config.search
        if search.strategy is SearchStrategy.best_of_n:
            return search.best_of_n.n
        if search.strategy is SearchStrategy.beam:
            return search.beam.width * search.beam.expansions
        return 1

    def label(self, reward_names: Mapping[str, str] | None = None) -> str:
        """'Best-of-16 (value)', 'beam 4x4 (value)', 'greedy': how reports name the run;
        `reward_names` renames reward methods (e.g. value -> explicit RM)."""
        search, method = self.config.search, self.config.reward.method.value
        if search.strategy is SearchStrategy.best_of_n:
            label = f"Best-of-{search.best_of_n.n}"
        elif search.strategy is SearchStrategy.beam:
            label = f"beam {search.beam.width}x{search.beam.expansions}"
        else:
            return search.strategy.value
        return f"{label} ({(reward_names or {}).get(method, method)})"


def read_manifest(root: str | Path, error: type[AgentRMError] = NotARunError) -> RunManifest:
    """The typed manifest of the run in `root`; `error` (the caller's own kind) when `root`
    holds no run or its config no longer validates."""
    root = Path(root)
    path = root / MANIFEST
    if not path.is_file():
        raise error(f"{str(root)!r} is not a run directory (no {MANIFEST}); pass the output "
                    "directory of `agentrm-ray run`")
    data = read_json(path)
    try:
        config = RootConfig.model_validate(data.get("config") or {})
    except ValidationError as exc:
        raise error(f"{path}: its config does not validate with this version "
                    f"({exc.error_count()} problem(s), first: {exc.errors()[0]['msg']} at "
                    f"{'.'.join(map(str, exc.errors()[0]['loc']))})") from None
    return RunManifest(root, str(data.get("config_hash", "")), config,
                       dict(data.get("versions") or {}), str(data.get("created", "")))


class RunStore:
    def __init__(self, root: Path, config_hash: str) -> None:
        self.root = root
        self.config_hash = config_hash
        self.results_path = root / RESULTS
        # The parsed results and the file state they were read at: a resumed run asks for
        # them several times (done keys, then all results at the end) and a file of a few
        # hundred large records is not re-parsed while only this store has written to it.
        self._memo: tuple[tuple[int, int], dict[str, SearchResult]] | None = None
        self.damaged_lines: list[int] = []  # 1-based numbers of lines that did not parse
        self._lock: Any = None  # the open lock file while this store may write

    @classmethod
    def open(cls, root: str | Path, cfg: RootConfig, force: bool = False) -> RunStore:
        """Create or reopen a run directory for `cfg` (refusing another config's run)."""
        root = Path(root)
        digest = config_hash(cfg)
        manifest_path = root / MANIFEST
        if manifest_path.is_file():
            previous = read_json(manifest_path)
            if not force and not _computes_the_same(previous, digest):
                raise OutputDirError(
                    f"output.dir {str(root)!r} holds a run of another config (hash "
                    f"{previous.get('config_hash')}, this one {digest}); choose another "
                    "--output, or pass --force to add to it anyway"
                )
        root.mkdir(parents=True, exist_ok=True)
        lock = _take_lock(root)
        manifest = {
            "config_hash": digest,
            "config": cfg.to_yaml_dict(),
            "versions": library_versions(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if not manifest_path.is_file() or force:
            atomic_write_text(manifest_path, json.dumps(manifest, indent=2))
        store = cls(root, digest)
        store._lock = lock
        return store

    def manifest(self) -> RunManifest:
        """This run's manifest, typed."""
        return read_manifest(self.root)

    def load_results(self) -> list[SearchResult]:
        """Every complete result line (the last one, if cut short by a kill, is skipped)."""
        state = self._file_state()
        if state is None:
            return []
        if self._memo is not None and self._memo[0] == state:
            return list(self._memo[1].values())
        results: dict[str, SearchResult] = {}
        damaged: list[int] = []
        with self.results_path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.endswith("\n"):
                    break  # a partial line from a killed run
                try:
                    result = SearchResult.model_validate_json(line)
                except ValidationError:
                    damaged.append(number)
                    continue
                results[result.task.key] = result  # the latest record of a task wins
        if damaged and damaged != self.damaged_lines:
            log.warning(
                "%s: %d damaged record(s) skipped (line %s); resuming the run moves them to %s "
                "and searches their tasks again",
                self.results_path,
                len(damaged),
                ", ".join(map(str, damaged[:10])),
                QUARANTINE,
            )
        self.damaged_lines = damaged
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

    def repair(self) -> int:
        """Make the file safe to append to and resume from; returns the records quarantined.

        A trailing partial line is dropped, so new records start on a line of their own, and
        complete lines that do not parse are moved to results.damaged.jsonl, so the tasks
        they held are searched again instead of the run failing on them.
        """
        if not self.results_path.is_file():
            return 0
        with self.results_path.open("r+b") as fh:
            end = fh.seek(0, os.SEEK_END)
            if end:
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    fh.seek(0)
                    fh.truncate(fh.read().rfind(b"\n") + 1)
        self.load_results()
        return self._quarantine(self.damaged_lines)

    def _quarantine(self, numbers: list[int]) -> int:
        if not numbers:
            return 0
        wanted = set(numbers)
        lines = self.results_path.read_bytes().splitlines(keepends=True)
        bad = [line for n, line in enumerate(lines, 1) if n in wanted]
        with (self.root / QUARANTINE).open("ab") as fh:
            fh.writelines(bad)
            fh.flush()
            os.fsync(fh.fileno())
        kept = b"".join(line for n, line in enumerate(lines, 1) if n not in wanted)
        atomic_write_text(self.results_path, kept.decode("utf-8", errors="replace"))
        log.warning(
            "%s: moved %d damaged record(s) to %s; their tasks are searched again",
            self.results_path,
            len(bad),
            QUARANTINE,
        )
        self.damaged_lines, self._memo = [], None
        return len(bad)

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
        atomic_write_text(self.root / "summary.json", json.dumps(summary, indent=2))
        atomic_write_text(self.root / "summary.md", table)


def _take_lock(root: Path) -> Any:
    """Lock `root` for this process's writes; refuse it while another process holds it.

    An flock dies with its process, so a killed run never leaves a stale lock. A store opened
    again by the process that holds the lock (the quickstart reopens its runs) is let through.
    Returns the open lock file (None for such a reopening): the lock lasts as long as it.
    """
    path = root / LOCK
    fh = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.seek(0)
        holder = _holder(fh.read())
        fh.close()
        if holder.get("pid") == os.getpid() and holder.get("host") == socket.gethostname():
            return None
        raise OutputDirError(
            f"output directory {str(root)!r} is in use by another run (pid {holder.get('pid')} "
            f"on {holder.get('host')}, since {holder.get('since')}: {holder.get('command')}); "
            "wait for it to finish, or choose another --output"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(json.dumps({
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join(sys.argv),
    }))
    fh.flush()
    return fh


def _holder(text: str) -> dict[str, Any]:
    try:
        holder = json.loads(text)
    except json.JSONDecodeError:
        return {}
    return holder if isinstance(holder, dict) else {}


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
