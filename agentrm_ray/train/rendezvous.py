"""The training workers' rendezvous store, listening on the node's address and nowhere else.

Ray Train sets up torch.distributed with `init_method="env://"`, and rank 0's TCPStore then
binds every interface (`:::port`) whatever MASTER_ADDR says: an unauthenticated key-value
server reachable from the network for the whole fit. `LoopbackStoreTorchConfig` hosts the
store itself in rank 0 on a socket bound to the node's address (127.0.0.1 on a local
cluster), handed to TCPStore as `master_listen_fd`, and makes every rank (rank 0 included) a
client of it (`TORCHELASTIC_USE_AGENT_STORE`, torch's switch for "someone else hosts the
store"). Everything else is Ray Train's own process-group setup.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ray.train.torch import TorchConfig
from ray.train.torch import config as ray_torch_config

# (socket, store) pairs hosted by this worker process: the store serves as long as they live,
# which is the worker's lifetime (Ray Train ends its workers after the fit).
_HOSTED: list[tuple[socket.socket, Any]] = []


def host_store(timeout_s: float) -> tuple[str, int]:
    """Run in rank 0: serve a TCPStore on this node's address only; returns (address, port)."""
    import ray
    import torch.distributed as dist

    address = ray.util.get_node_ip_address()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((address, 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    store = dist.TCPStore(
        address, port, is_master=True, wait_for_workers=False,
        master_listen_fd=listener.fileno(), timeout=timedelta(seconds=timeout_s),
    )
    _HOSTED.append((listener, store))
    return address, port


def use_hosted_store() -> None:
    """Run in every rank: connect to the store rank 0 hosts instead of starting one."""
    os.environ["TORCHELASTIC_USE_AGENT_STORE"] = "True"


def _answering(address: str, port: int) -> Callable[[], tuple[str, int]]:
    def get_address_and_port() -> tuple[str, int]:  # named: Ray Train logs the function name
        return address, port

    return get_address_and_port


class _LoopbackStoreBackend(ray_torch_config._TorchBackend):
    def on_start(self, worker_group: Any, backend_config: TorchConfig) -> None:
        address, port = worker_group.execute_single(0, host_store, backend_config.timeout_s)
        worker_group.execute(use_hosted_store)
        # Ray Train asks rank 0 for "an address and a free port" and points every rank there;
        # for this call the answer is the store already listening.
        asked = ray_torch_config.get_address_and_port
        ray_torch_config.get_address_and_port = _answering(address, port)
        try:
            super().on_start(worker_group, backend_config)
        finally:
            ray_torch_config.get_address_and_port = asked


@dataclass
class LoopbackStoreTorchConfig(TorchConfig):
    """TorchConfig whose rendezvous store listens on the node's address only."""

    @property
    def backend_cls(self) -> type:
        return _LoopbackStoreBackend
