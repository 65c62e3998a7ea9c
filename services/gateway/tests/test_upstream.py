"""The gateway's own HTTP/1.1 client to the services (gateway.upstream), against a real uvicorn
server: answers whole with repeated headers, keep-alive reuse, request bodies streamed (declared
length and chunked), a connection the service closed while idle, an unreachable or slow
service (UpstreamUnavailable, the gateway's 503)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from common.testing import free_port, serving
from gateway.upstream import UpstreamPool, UpstreamUnavailable
from starlette.types import Receive, Scope, Send

connections_seen: set[int] = set()


async def echo(scope: Scope, receive: Receive, send: Send) -> None:
    """Answers with the request's method, target, body length and a few of its headers."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"] == "/slow":
        await asyncio.sleep(2)
    client = scope.get("client") or ("", 0)
    connections_seen.add(client[1])
    headers = dict(scope["headers"])
    text = b"%s %s?%s %d %s %s" % (
        scope["method"].encode(),
        scope["raw_path"],
        scope["query_string"],
        len(body),
        headers.get(b"x-custom", b"-"),
        headers.get(b"transfer-encoding", b"-"),
    )
    await send(
        {
            "type": "http.response.start",
            "status": 201 if scope["method"] == "POST" else 200,
            "headers": [(b"content-type", b"text/plain"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")],
        }
    )
    await send({"type": "http.response.body", "body": text[:10], "more_body": True})  # chunked on the wire
    await send({"type": "http.response.body", "body": text[10:]})


@pytest.fixture(scope="module")
def upstream_url() -> Iterator[str]:
    with serving(echo, timeout_keep_alive=1) as url:
        yield url


def pool(url: str, *, timeout_s: float = 5.0, idle_expiry_s: float = 2.0) -> UpstreamPool:
    return UpstreamPool(url, timeout_s=timeout_s, connect_timeout_s=1.0, idle_expiry_s=idle_expiry_s)


async def chunks(*pieces: bytes) -> AsyncIterator[bytes]:
    for piece in pieces:
        await asyncio.sleep(0)
        yield piece
    yield b""  # as Starlette's request.stream() ends


async def test_an_answer_whole_with_its_repeated_headers_and_the_connection_kept(upstream_url: str) -> None:
    upstreams = pool(upstream_url)
    connections_seen.clear()
    try:
        for _ in range(3):
            status, headers, body = await upstreams.exchange("GET", b"/v1/x%20y?a=1&b=2", [(b"x-custom", b"v")], None)
            assert status == 200
            assert body == b"GET /v1/x%20y?a=1&b=2 0 v -"
            assert [v for k, v in headers if k.lower() == b"set-cookie"] == [b"a=1", b"b=2"]
        assert len(connections_seen) == 1  # one keep-alive connection for the three
    finally:
        upstreams.close()


async def test_request_bodies_stream_through_with_their_length_or_chunked(upstream_url: str) -> None:
    upstreams = pool(upstream_url)
    try:
        big = [b"x" * 100_000, b"y" * 50_000, b"z"]
        status, _, body = await upstreams.exchange("POST", b"/up", [(b"content-length", b"150001")], chunks(*big))
        assert (status, body) == (201, b"POST /up? 150001 - -")
        status, _, body = await upstreams.exchange("PUT", b"/up", [], chunks(*big))
        assert (status, body) == (200, b"PUT /up? 150001 - chunked")
        status, _, body = await upstreams.exchange("POST", b"/empty", [], None)
        assert (status, body) == (201, b"POST /empty? 0 - -")
    finally:
        upstreams.close()


async def test_a_connection_the_service_closed_while_idle_is_not_an_error(upstream_url: str) -> None:
    """uvicorn closes an idle keep-alive connection after its timeout (1 s here): a request
    on it is sent again on a new connection (its body is in memory), not answered 503."""
    upstreams = pool(upstream_url, idle_expiry_s=60.0)
    try:
        assert (await upstreams.exchange("POST", b"/a", [(b"content-length", b"2")], chunks(b"{}")))[0] == 201
        await asyncio.sleep(1.5)  # the server has closed it by now
        status, _, body = await upstreams.exchange("POST", b"/b", [(b"content-length", b"2")], chunks(b"{}"))
        assert (status, body) == (201, b"POST /b? 2 - -")
    finally:
        upstreams.close()


async def test_an_unreachable_or_slow_service_is_unavailable(upstream_url: str) -> None:
    with pytest.raises(UpstreamUnavailable):
        await pool(f"http://127.0.0.1:{free_port()}").exchange("GET", b"/", [], None)
    slow = pool(upstream_url, timeout_s=0.3)
    try:
        with pytest.raises(UpstreamUnavailable):
            await slow.exchange("GET", b"/slow", [], None)
        # The pool is not left with the abandoned connection: the next request is answered.
        assert (await slow.exchange("GET", b"/fast", [], None))[0] == 200
    finally:
        slow.close()


async def test_a_body_that_fails_on_its_way_is_not_a_503_and_closes_the_connection(upstream_url: str) -> None:
    """The edge guard stops a body over the limit while it streams (a 413 of its own): that
    error goes on to the gateway's handlers, not into 'service unavailable'."""

    async def over_the_limit() -> AsyncIterator[bytes]:
        yield b"x" * 10
        raise OverflowError("over the limit")

    upstreams = pool(upstream_url)
    try:
        with pytest.raises(OverflowError):
            await upstreams.exchange("POST", b"/up", [(b"content-length", b"1000")], over_the_limit())
        assert not upstreams._idle
    finally:
        upstreams.close()
