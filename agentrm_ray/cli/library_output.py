"""Keep the terminal for the person: library output goes to a log file under the run directory.

A long command (the quickstart loop) starts Ray, Ray Train, DeepSpeed and vLLM engines, each
of which prints: worker logs forwarded to the driver, engine INFO lines, Ray Train's
controller warnings, tqdm bars. Hundreds of such lines buried the few lines of progress a
person runs the command for. Inside `library_output_to(path)` the process's stdout and stderr
(file descriptors 1 and 2, so child processes and C code too, and Python's sys.stdout and
sys.stderr) write to `path`; the console
it yields, and rich's global console that the library's progress bars use, write to the
terminal the command was started on.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import rich
from rich.console import Console


@contextmanager
def library_output_to(log_path: str | Path) -> Iterator[Console]:
    """Send fds 1 and 2 to `log_path` (appended); yield a console on the original terminal.

    Both are restored on exit, also when the body raises, so an error message printed after
    it reaches the person.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved_out, saved_err = os.dup(1), os.dup(2)
    terminal = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8", errors="replace")
    console = Console(file=terminal, soft_wrap=True)
    python_streams = sys.stdout, sys.stderr
    with log_path.open("a", encoding="utf-8", buffering=1) as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        sys.stdout = sys.stderr = log  # Python-level writers, whatever sys.stdout was before
        rich.reconfigure(file=terminal)
        try:
            yield console
        finally:
            log.flush()
            sys.stdout, sys.stderr = python_streams
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
            os.close(saved_out)
            os.close(saved_err)
            rich.reconfigure()
            terminal.close()
