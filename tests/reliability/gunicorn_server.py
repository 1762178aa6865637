"""Start a real gunicorn on a free loopback port against a given store (the reliability tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from omnialloc.api.serving import gunicorn_argv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, db_url: str, *, workers: int = 2, timeout: int = 30, env: dict | None = None,
                 log: Path | None = None):
        self.port, self.workers = free_port(), workers
        self.url = f"http://127.0.0.1:{self.port}"
        # The command line `make run` and `omnialloc serve` use, with shorter timeouts.
        cmd = gunicorn_argv(host="127.0.0.1", port=self.port, workers=workers,
                            extra=["--timeout", str(timeout), "--graceful-timeout", "5"])
        self.log = open(log, "wb") if log else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, env={**os.environ, "OMNIALLOC_DATABASE_URL": db_url, **(env or {})},
                                     stdout=self.log, stderr=self.log, start_new_session=True)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                # Ready when every worker listens (a socket each: see omnialloc.api.serving) and answers.
                if (self._listening() == self.workers
                        and httpx.get(self.url + "/health", timeout=2).status_code == 200):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError("gunicorn did not become ready")

    def _listening(self) -> int:
        """Listening sockets on this port (state 0A in /proc/net/tcp)."""
        return sum(1 for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                   if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == self.port)

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.log is not subprocess.DEVNULL:
            self.log.close()

    def __enter__(self):
        self.wait_ready()
        return self

    def __exit__(self, *exc):
        self.stop()
