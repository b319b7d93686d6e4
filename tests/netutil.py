"""Network helpers shared by tests: loopback checks of listening sockets, free ports.

Importable from every test directory: tests/conftest.py puts tests/ on sys.path."""

from __future__ import annotations

import contextlib
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


class ListenerWatch:
    """Polls the listening sockets of a process tree in a thread while work runs: what a
    short-lived process (a training worker) opened is seen even after it has exited."""

    def __init__(self, root_pid: int, every_s: float = 0.2) -> None:
        import threading

        self.root_pid = root_pid
        self.every_s = every_s
        self.seen: set[tuple[str, int, str]] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.seen.update(listening_sockets_of_process_tree(self.root_pid))
            self._stop.wait(self.every_s)

    def __enter__(self) -> ListenerWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def exposed(self) -> list[tuple[str, int, str]]:
        return sorted(s for s in self.seen if not is_loopback(s[0]))
