"""The load generator's HTTP/1.1 client: framing, keep-alive and reconnects, against a tiny scripted server."""

import asyncio
import concurrent.futures
import json

import pytest

from benchmarks.load.loadgen import Connection, HttpError, Pool, read_response, request_factory

REQUEST = b"POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


async def _serve(answers, *, close_idle_after: int | None = None):
    """A server that answers each request (read by its Content-Length) with the next of ``answers``;
    a callable answer closes the connection instead. ``close_idle_after``: close every connection after
    that many answers, as a server's keep-alive timeout would. Returns (server, port, connections seen)."""
    seen = []
    queue = list(answers)

    async def handle(reader, writer):
        seen.append(writer)
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length"))
                await reader.readexactly(length)
                writer.write(queue.pop(0))
                await writer.drain()
                served += 1
                if close_idle_after is not None and served >= close_idle_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], seen


def _run(coro):
    # On a thread of its own: in the full suite an earlier test (the browser tests' Playwright sync API)
    # leaves an event loop running on the main thread, where asyncio.run() refuses to start.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_content_length_keep_alive_reuses_one_connection():
    async def go():
        ok = b"HTTP/1.1 201 CREATED\r\nContent-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"status\":\"A\"}"
        server, port, seen = await _serve([ok, ok])
        async with server:
            conn = Connection("127.0.0.1", port)
            a, b = await conn.request(REQUEST), await conn.request(REQUEST)
            conn.close()
        return a, b, conn.opened, len(seen)

    a, b, opened, seen = _run(go())
    assert (a.status, json.loads(a.body), a.keep_alive) == (201, {"status": "A"}, True)
    assert b.body == a.body and opened == 1 and seen == 1


def test_connection_close_makes_the_next_request_open_a_new_connection():
    async def go():
        close = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi"
        server, port, seen = await _serve([close, close], close_idle_after=1)
        async with server:
            conn = Connection("127.0.0.1", port)
            a, b = await conn.request(REQUEST), await conn.request(REQUEST)
        return a, b, conn.opened

    a, b, opened = _run(go())
    assert (a.body, a.keep_alive, b.body, opened) == (b"hi", False, b"hi", 2)


def test_a_keep_alive_connection_closed_by_the_server_is_reopened_and_the_request_resent():
    async def go():
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
        server, port, seen = await _serve([ok, ok], close_idle_after=1)  # closes without saying so
        async with server:
            conn = Connection("127.0.0.1", port)
            a = await conn.request(REQUEST)
            await asyncio.sleep(0.05)  # let the close arrive
            b = await conn.request(REQUEST)
        return a, b, conn.opened

    a, b, opened = _run(go())
    assert (a.body, b.body, opened) == (b"ok", b"ok", 2)


def test_a_fresh_connection_that_fails_is_reported_not_retried():
    async def go():
        server, port, seen = await _serve([b"HTTP/1.1 200 OK\r\nContent-Le"], close_idle_after=1)  # cut mid-header
        async with server:
            with pytest.raises(asyncio.IncompleteReadError):
                await Connection("127.0.0.1", port).request(REQUEST)
        return len(seen)

    assert _run(go()) == 1


def _parse(raw: bytes):
    async def go():
        reader = asyncio.StreamReader()
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_response(reader)

    return _run(go())


def test_chunked_body_is_joined_and_its_trailers_skipped():
    r = _parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n6;x=y\r\npedia \r\n0\r\nT: 1\r\n\r\n")
    assert (r.body, r.keep_alive) == (b"Wikipedia ", True)


def test_body_without_length_runs_to_close_and_ends_the_connection():
    r = _parse(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
    assert (r.body, r.keep_alive) == (b"until the end", False)


@pytest.mark.parametrize("connection, keep_alive", [("", False), ("Connection: keep-alive\r\n", True)])
def test_http_1_0_keeps_the_connection_only_when_asked(connection, keep_alive):
    r = _parse(f"HTTP/1.0 200 OK\r\n{connection}Content-Length: 0\r\n\r\n".encode())
    assert (r.status, r.body, r.keep_alive) == (200, b"", keep_alive)


def test_connection_header_is_case_insensitive_and_may_list_tokens():
    r = _parse(b"HTTP/1.1 503 Service Unavailable\r\nconnection: Upgrade, CLOSE\r\ncontent-length: 1\r\n\r\nx")
    assert (r.status, r.body, r.keep_alive) == (503, b"x", False)


@pytest.mark.parametrize("raw", [b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"])
def test_malformed_responses_raise_http_error(raw):
    with pytest.raises(HttpError):
        _parse(raw)


def test_requests_carry_a_fresh_external_id_and_their_exact_content_length():
    gen = request_factory("127.0.0.1", 8000, "oa_tok", "t1")
    bodies = []
    for _ in range(3):
        head, body = next(gen).split(b"\r\n\r\n", 1)
        assert head.startswith(b"POST /orders HTTP/1.1\r\n") and b"Authorization: Bearer oa_tok" in head
        assert int(head.split(b"Content-Length: ")[1]) == len(body)
        bodies.append(json.loads(body))
    assert [b["external_id"] for b in bodies] == ["load-t1-1", "load-t1-2", "load-t1-3"]
    assert bodies[0]["lines"]


def test_pool_gives_connections_back_for_reuse():
    async def go():
        ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        server, port, seen = await _serve([ok] * 4)
        async with server:
            pool = Pool("127.0.0.1", port)
            for _ in range(2):
                await asyncio.gather(pool.request(REQUEST), pool.request(REQUEST))
            pool.close()
        return pool.opened

    assert _run(go()) == 2
