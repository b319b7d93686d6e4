"""Network helpers shared by tests: loopback checks of listening sockets, free ports.

Importable from every test directory: tests/conftest.py puts tests/ on sys.path."""

from __future__ import annotations

import ipaddress

import psutil


def is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def listening_sockets_of_process_tree(root_pid: int) -> list[tuple[str, int, str]]:
    """(address, port, process name) of every listening inet socket of root_pid and children."""
    root = psutil.Process(root_pid)
    found = []
    for proc in [root, *root.children(recursive=True)]:
        try:
            conns = proc.net_connections(kind="inet")
            name = proc.name()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found += [(c.laddr.ip, c.laddr.port, name) for c in conns if c.status == psutil.CONN_LISTEN]
    return found


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports (held open together while picked, so none repeats)."""
    import socket

    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port() -> int:
    return free_ports(1)[0]
