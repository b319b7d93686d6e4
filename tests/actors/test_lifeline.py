"""A process's children die with it when it is SIGKILLed, once it has a lifeline.

Ray's raylet kills a dead worker's children itself, but not when the raylet died too (a
cluster lost under a run): the lifeline is what remains then. Without it, the grandchild in
this test is reparented and keeps running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

PARENT = """
import subprocess, sys, time
if sys.argv[1] == "lifeline":
    from agentrm_ray.actors.lifeline import bind_children_to_this_process
    bind_children_to_this_process()
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def _survives_its_parent(mode: str) -> bool:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, mode], stdout=subprocess.PIPE,
                              text=True, start_new_session=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)  # as the OOM killer or a dying cluster would
    parent.wait()
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.05)
    os.kill(child, signal.SIGKILL)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_children_die_with_a_sigkilled_parent_only_with_the_lifeline() -> None:
    assert _survives_its_parent("plain")  # the premise: an orphan lives on
    assert not _survives_its_parent("lifeline")
