"""Engine processes that die with the actor that started them, even when it is SIGKILLed.

A vLLM engine runs in child processes of its replica actor. When the actor exits cleanly it
shuts the engine down; when it is killed (SIGKILL, the OOM killer, a Ray cluster dying under
it) nobody does, and the engine's processes (gigabytes each) outlive it with no parent.

`bind_children_to_this_process` makes the actor the leader of a process group of its own, so
the engine processes it then starts are in that group, and starts a watchdog in the same group
whose kernel-delivered parent-death signal (`PR_SET_PDEATHSIG`) makes it kill the whole group.
The signal follows the thread that started the watchdog, so it is started from the actor's
event-loop thread, which lives as long as the actor.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

log = logging.getLogger(__name__)

# Arms the parent-death signal itself (no preexec_fn in a threaded actor), then waits for it
# and kills the group (itself last, with the rest).
_WATCHDOG = """
import ctypes, os, signal, sys
group, parent = int(sys.argv[1]), int(sys.argv[2])
def die(*_):
    os.killpg(group, signal.SIGKILL)
signal.signal(signal.SIGTERM, die)
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
if os.getppid() != parent:  # the parent died before the signal was armed
    die()
while True:
    signal.pause()
"""


def bind_children_to_this_process() -> subprocess.Popen[bytes] | None:
    """Make the processes this one starts from now on die with it. Linux only; elsewhere (or
    where the process group cannot be changed) it logs why and returns None."""
    if not sys.platform.startswith("linux"):
        return None
    me = os.getpid()
    try:
        if os.getpgid(0) != me:
            os.setpgid(0, 0)
    except OSError as exc:  # e.g. a session leader: keep going without the lifeline
        log.warning("engine processes will not die with this actor: setpgid: %s", exc)
        return None
    return subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, str(me), str(me)],
        stdin=subprocess.DEVNULL,
        close_fds=True,
    )
