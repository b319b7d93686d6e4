"""Which member of an actor group takes the next call: the routing rule every group shares.

Policy and RM replicas (`replicas.ReplicaSet`) and env workers (`env/fleet.WorkerFleet`) pick
the least-loaded member that is up and not already tried for this call, falling back to
members that are down, then to any member (a restarted actor may answer by now). A call with an
affinity key prefers the member that served that key before, while it is at most `slack` calls
busier than the least-loaded one, so a backend's prefix cache is reused without starving the
others. Pure bookkeeping: no Ray here, so the rule is unit-tested on its own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

AFFINITY_SLACK = 2  # a sticky member may have this many more calls in flight
AFFINITY_MEMORY = 4096  # keys remembered, least recently used dropped first


class Router:
    def __init__(self, slack: int = AFFINITY_SLACK, memory: int = AFFINITY_MEMORY) -> None:
        self.slack = slack
        self.memory = memory
        self._affinity: OrderedDict[str, int] = OrderedDict()

    def choose(self, loads: Sequence[int], avoid: set[int], key: str | None = None,
               down: Sequence[bool] | None = None) -> int:
        """The member for the next call, given each member's load (calls or sessions in
        flight), the members already tried (`avoid`) and which are known to be down."""
        if not loads:
            raise ValueError("an actor group with no members cannot take a call")
        members = range(len(loads))
        is_down = down or [False] * len(loads)
        candidates = ([i for i in members if i not in avoid and not is_down[i]]
                      or [i for i in members if i not in avoid] or list(members))
        least = min(candidates, key=lambda i: (loads[i], i))
        if key is not None and key in self._affinity:
            sticky = self._affinity[key]
            if sticky in candidates and loads[sticky] <= loads[least] + self.slack:
                return sticky
        return least

    def remember(self, key: str, index: int) -> None:
        """`key`'s calls go to `index` from now on (while it is not much busier)."""
        self._affinity[key] = index
        self._affinity.move_to_end(key)
        while len(self._affinity) > self.memory:
            self._affinity.popitem(last=False)

    def forget(self, index: int) -> None:
        """A member failed: its keys go wherever the load says."""
        for key in [k for k, v in self._affinity.items() if v == index]:
            del self._affinity[key]
