"""Serving: a client that opens its keep-alive pool at once is served by every worker, and a taken port is refused."""

from __future__ import annotations

import socket
from pathlib import Path

from click.testing import CliRunner

from omnialloc.cli import main


def _server_side_inodes(port: int) -> dict[int, int]:
    """{client's local port: inode of the server's end} for the established loopback connections to ``port``."""
    found = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        f = line.split()
        local, remote, state, inode = f[1], f[2], f[3], int(f[9])
        if state == "01" and int(local.split(":")[1], 16) == port:  # 01: ESTABLISHED
            found[int(remote.split(":")[1], 16)] = inode
    return found


def _socket_inodes(pid: int) -> set[int]:
    out = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(int(target[8:-1]))
    return out


def test_a_pool_of_connections_opened_at_once_reaches_both_workers(gunicorn):
    # 16 connections opened back to back, as a client's pool or a proxy's upstream pool does at start.
    # On one shared listening socket the first worker to wake accepted them all and kept them for
    # their life (kept alive); with a socket per worker the kernel spreads them (all 16 on one of two
    # workers: 2 in 65,536).
    conns = [socket.create_connection(("127.0.0.1", gunicorn.port)) for _ in range(16)]
    try:
        request = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{gunicorn.port}\r\n\r\n".encode()
        for c in conns:
            c.sendall(request)
        for c in conns:
            assert c.recv(4096).startswith(b"HTTP/1.1 200")  # served, and kept open (HTTP/1.1 keep-alive)
        server_end = _server_side_inodes(gunicorn.port)
        owners = {pid: _socket_inodes(pid) for pid in gunicorn.worker_pids()}
        per_worker = {pid: sum(server_end[c.getsockname()[1]] in inodes for c in conns)
                      for pid, inodes in owners.items()}
        assert len(per_worker) == 2 and sum(per_worker.values()) == 16, per_worker
        assert all(n > 0 for n in per_worker.values()), per_worker
    finally:
        for c in conns:
            c.close()


def _listening_inodes(port: int) -> set[int]:
    return {int(line.split()[9]) for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port}  # 0A: LISTEN


def test_each_worker_listens_on_its_own_socket(gunicorn):
    # What spreads the connections: one SO_REUSEPORT socket per worker (the kernel picks one per new
    # connection), not one socket shared by all (the first worker to wake takes what is pending).
    listening = _listening_inodes(gunicorn.port)
    held = [_socket_inodes(pid) & listening for pid in gunicorn.worker_pids()]
    assert len(held) == 2 and all(len(h) == 1 for h in held) and held[0] != held[1], held


def test_serve_refuses_a_port_already_served():
    # With a socket per worker (SO_REUSEPORT) a second server would share the port rather than fail.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        res = CliRunner().invoke(main, ["serve", "--port", str(port)])
    assert res.exit_code == 1 and f"127.0.0.1:{port} is already served" in res.output
