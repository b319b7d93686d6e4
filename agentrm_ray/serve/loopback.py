"""Keep Serve replicas' internal gRPC servers on loopback when the node is loopback-only;
tell a loopback bind address from others.

Why: Ray Serve 2.60 starts an inter-deployment gRPC server in every replica on `[::]:0`
(hard-coded in `ray.serve._private.replica`), i.e. on every interface, even when the node
itself runs on 127.0.0.1 (see `agentrm_ray.runtime`). Peers reach a replica at its node's
address, so on a loopback node binding that server to 127.0.0.1 changes nothing for Serve and
closes the only listener that would otherwise be exposed. Replicas call this from their
constructor, which Serve runs before it starts that server. On a real multi-node cluster (node
address not 127.0.0.1) nothing is changed.
"""

from __future__ import annotations

import ipaddress
from typing import Any

LOOPBACK = "127.0.0.1"
_MARK = "_agentrm_loopback"


def is_loopback_host(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine (127.0.0.0/8, ::1,
    localhost)."""
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a hostname: it may resolve to anything
        return False


def keep_replica_grpc_on_loopback() -> bool:
    """Patch this replica process's gRPC bind address; True if the node is loopback-only."""
    import ray
    from ray.serve._private import replica

    if ray.util.get_node_ip_address() != LOOPBACK:
        return False
    original = replica.add_port_to_grpc_server
    if getattr(original, _MARK, False):
        return True

    def bind_loopback(server: Any, address: str) -> int:
        host, _, port = address.rpartition(":")
        if host in ("[::]", "0.0.0.0", ""):
            address = f"{LOOPBACK}:{port}"
        return original(server, address)

    setattr(bind_loopback, _MARK, True)
    replica.add_port_to_grpc_server = bind_loopback
    return True
