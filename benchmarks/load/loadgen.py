"""Load generator (run as its own process): POST /orders at a fixed arrival rate, or closed-loop, and time each.

    python benchmarks/load/loadgen.py --url http://127.0.0.1:8000 --token oa_... --rate 100 --seconds 10
    python benchmarks/load/loadgen.py ... --closed 16 --seconds 10     # saturation: 16 clients back to back

Open loop (``--rate``): requests start on a fixed schedule whether or not earlier
ones finished (so queueing shows up as latency), bounded by ``--max-inflight``.
Each request is one demo order from data/orders.json with a fresh external_id;
the server captures and allocates it in the request. Prints one JSON line, with
this process's CPU seconds over the load phase (``loadgen_cpu_s``).

The client is a small HTTP/1.1 client on asyncio streams, not httpx: it runs on
the same box as the server under test and must not eat the CPU the server needs
(httpx cost ~3.8 ms of CPU per order, as much as a third of the worker's). The
request bytes are built once per demo order with the external_id spliced in;
connections are kept alive when the server allows it (HTTP/1.1 without
``Connection: close``) and reopened when it closes them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from urllib.parse import urlsplit

from omnialloc.network_files import load_sample_orders

TIMEOUT_S = 30.0


class HttpError(Exception):
    """A response this client cannot read (malformed status line, headers or framing)."""


class Response:
    __slots__ = ("status", "headers", "body", "keep_alive")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, keep_alive: bool):
        self.status, self.headers, self.body, self.keep_alive = status, headers, body, keep_alive


async def read_response(reader: asyncio.StreamReader) -> Response:
    """One HTTP/1.x response off ``reader``: Content-Length, chunked or read-to-close framing.

    ``keep_alive`` says whether the connection may carry another request: HTTP/1.1 unless the
    server sent ``Connection: close``, HTTP/1.0 only with ``Connection: keep-alive``, never when
    the body ran to the end of the stream.
    """
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise HttpError(f"bad status line {lines[0]!r}")
    version, status = parts[0], int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise HttpError(f"bad header line {line!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    tokens = {t.strip().lower() for t in headers.get("connection", "").split(",")}
    keep_alive = "close" not in tokens if version == "HTTP/1.1" else "keep-alive" in tokens
    if status in (204, 304) or 100 <= status < 200:
        body = b""
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        chunks = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise HttpError(f"bad chunk size {size_line!r}") from None
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                break
            chunks.append(await reader.readexactly(size))
            if await reader.readexactly(2) != b"\r\n":
                raise HttpError("chunk not followed by CRLF")
        body = b"".join(chunks)
    elif "content-length" in headers:
        try:
            length = int(headers["content-length"])
        except ValueError:
            raise HttpError(f"bad Content-Length {headers['content-length']!r}") from None
        body = await reader.readexactly(length)
    else:
        body, keep_alive = await reader.read(), False
    return Response(status, headers, body, keep_alive)


class Connection:
    """One keep-alive connection; reopened on demand after the server closed it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.opened = 0  # connections opened, for the report

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, raw: bytes) -> Response:
        """Send one pre-encoded request and read its answer. A reused connection that turns out closed
        before any byte of the answer arrived (the server's keep-alive timeout) is reopened once and the
        request sent again; a fresh connection's failure is the caller's."""
        while True:
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
                self.opened += 1
            try:
                self.writer.write(raw)
                response = await read_response(self.reader)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                self.close()
                if fresh or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    raise
                continue
            except BaseException:
                self.close()
                raise
            if not response.keep_alive:
                self.close()
            return response


class Pool:
    """Idle connections to one server; a request takes one (or opens one) and gives it back."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.idle: list[Connection] = []
        self.all: list[Connection] = []

    async def request(self, raw: bytes) -> Response:
        if self.idle:
            conn = self.idle.pop()
        else:
            conn = Connection(self.host, self.port)
            self.all.append(conn)
        try:
            return await conn.request(raw)
        finally:
            self.idle.append(conn)

    def close(self) -> None:
        for conn in self.all:
            conn.close()

    @property
    def opened(self) -> int:
        return sum(c.opened for c in self.all)


def request_factory(host: str, port: int, token: str, tag: str, path: str = "/orders"):
    """An endless iterator of ready-to-send POST requests, one per demo order with a fresh external_id.

    Each demo order is encoded once with a placeholder id; a request splices the id in."""
    marker = "\x00EXTERNAL_ID\x00"
    templates = []
    for body in load_sample_orders():
        before, after = json.dumps({**body, "external_id": marker}, separators=(",", ":")).encode().split(
            json.dumps(marker).encode())
        templates.append((before + b'"', b'"' + after))
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: ").encode()
    prefix = f"load-{tag}-".encode()
    n = 0
    while True:
        for before, after in templates:
            n += 1
            body = b"".join((before, prefix, str(n).encode(), after))
            yield b"".join((head, str(len(body)).encode(), b"\r\n\r\n", body))


async def main(args) -> dict:
    u = urlsplit(args.url)
    host, port = u.hostname or "127.0.0.1", u.port or 80
    requests = request_factory(host, port, args.token, args.tag)
    pool = Pool(host, port)
    lat: list[float] = []
    codes: dict[str, int] = {}

    async def one():
        raw = next(requests)
        t = time.perf_counter()
        try:
            async with asyncio.timeout(TIMEOUT_S):
                r = await pool.request(raw)
            key = str(r.status)
            if r.status in (200, 201):
                key = f"{r.status}:{json.loads(r.body).get('status')}"
        except (OSError, asyncio.IncompleteReadError, HttpError, TimeoutError) as exc:
            key = type(exc).__name__
        lat.append((time.perf_counter() - t) * 1000)
        codes[key] = codes.get(key, 0) + 1

    t0, c0 = time.perf_counter(), time.process_time()
    end = t0 + args.seconds
    try:
        if args.closed:
            async def loop():
                while time.perf_counter() < end:
                    await one()
            await asyncio.gather(*(loop() for _ in range(args.closed)))
        else:
            sem = asyncio.Semaphore(args.max_inflight)
            tasks, i, dropped = [], 0, 0

            async def guarded():
                try:
                    await one()
                finally:
                    sem.release()

            while True:
                due = t0 + i / args.rate
                if due >= end:
                    break
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if sem.locked():
                    dropped += 1  # client-side shed: more than max-inflight outstanding
                else:
                    await sem.acquire()
                    tasks.append(asyncio.create_task(guarded()))
                i += 1
            await asyncio.gather(*tasks)
            codes["shed_by_client"] = dropped
    finally:
        pool.close()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ok = sum(v for k, v in codes.items() if k.startswith("20"))
    q = statistics.quantiles(lat, n=100) if len(lat) >= 2 else [float("nan")] * 99
    return {"mode": f"closed x{args.closed}" if args.closed else f"open {args.rate}/s", "requests": len(lat),
            "ok": ok, "throughput": round(ok / wall, 1), "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1),
            "wall_s": round(wall, 2), "loadgen_cpu_s": round(cpu, 3), "connections": pool.opened, "codes": codes}


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--rate", type=float, default=50)
    p.add_argument("--closed", type=int, default=0)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--max-inflight", type=int, default=64)
    p.add_argument("--tag", default=str(random.randrange(10**9)))
    print(json.dumps(asyncio.run(main(p.parse_args()))))
