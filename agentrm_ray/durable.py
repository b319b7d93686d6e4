"""Files that survive a crash or a power cut: a reader sees the old file or the new one,
and a file damaged anyway (by hand, by another tool) is named in the error, not a traceback.

A rename is atomic, but only durable once the renamed file's data and the directory entry
are on disk, hence the fsyncs. A model directory is swapped with `renameat2(RENAME_EXCHANGE)`
where the kernel has it, so there is no moment at which `model/` is missing for a replica
that loads it; elsewhere it falls back to two renames (a gap of one system call).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agentrm_ray.errors import AgentRMError

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_CANNOT_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP}


class DamagedFileError(AgentRMError):
    """A file this tool wrote cannot be read back (cut short, edited, or not ours)."""


def read_json(path: Path) -> Any:
    """Parse a JSON file this tool wrote; a damaged one is a DamagedFileError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DamagedFileError(
            f"{path} is damaged ({exc}); restore it, or move it aside to start that part over"
        ) from None


def fsync_directory(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (no-op where dirs cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory; the rename still happened
        pass
    finally:
        os.close(fd)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with `text` so that readers never see a half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)
    fsync_directory(path.parent)


def staging_directory(target: Path) -> Path:
    """Where this process writes a directory before `replace_directory` puts it at `target`:
    its own, so two processes building the same directory at once (two test runs, two Ray
    workers preparing one model) never write into each other's half-made copy."""
    return target.with_name(f"{target.name}.tmp-{os.getpid()}")


def replace_directory(staging: Path, target: Path) -> None:
    """Put the complete directory `staging` at `target`; the old `target` is deleted after.

    `target` exists throughout: the two directories are exchanged in one system call, and
    only then is the old one (now at `staging`) removed.
    """
    if not target.exists():
        staging.rename(target)
    elif _exchange(staging, target):
        shutil.rmtree(staging)
    else:
        aside = target.with_name(target.name + ".old")
        shutil.rmtree(aside, ignore_errors=True)
        target.rename(aside)
        staging.rename(target)
        shutil.rmtree(aside)
    fsync_directory(target.parent)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with Linux's renameat2; False where that is unavailable."""
    renameat2 = _renameat2()
    if renameat2 is None:
        return False
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result != 0:
        code = ctypes.get_errno()
        if code in _CANNOT_EXCHANGE:  # an old kernel or a filesystem without the flag
            return False
        raise OSError(code, os.strerror(code), str(b))
    return True


def _renameat2() -> Callable[..., int] | None:
    with contextlib.suppress(OSError):  # the process's own symbols include libc's
        libc = ctypes.CDLL(None, use_errno=True)
        function = getattr(libc, "renameat2", None)
        if function is not None:
            function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
            function.argtypes += [ctypes.c_uint]
            function.restype = ctypes.c_int
        return function
    return None
