"""The gateway's HTTP/1.1 client to the services: a pool of keep-alive connections per service,
requests written as bytes, answers parsed by httptools (the parser uvicorn serves with).

Why not httpx, which the gateway used before: on the forwarding path it cost more than the rest
of the gateway together (benchmarks/RESULTS.md, "the request path"). httpcore's pool looks over
every connection and every waiting request on each request and each answer (with 32 partners'
connections in flight, hundreds of checks of whether a socket is idle per forwarded call), and
anyio's stream layer adds its own per read. Here a request takes the most recently used idle
connection (a list's last element) or opens one, and gives it back when the answer is complete.

What it keeps from httpx: bounded connect and answer times (an upstream that does not answer in
time is ``UpstreamUnavailable``, the gateway's 503), at most ``max_connections`` requests in
flight to a service, the request body streamed through (an upload may be hundreds of MB),
repeated answer headers kept in order. An idle connection is reused only within
``idle_expiry_s``, well inside uvicorn's keep-alive (5 s), so the service does not close it as it
is being reused; if that happens all the same before any answer byte came, a request whose body
is in memory (every JSON request: the edge guard has read it) is sent again once on a new
connection, which is what a client would do on a connection reset and stores nothing twice
(the write was not answered, and every write of the API is idempotent)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from urllib.parse import urlsplit

import httptools

# What the services' answers may take at most (bytes); an answer beyond is refused, not buffered.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
READ_SIZE = 256 * 1024
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH"})

Headers = list[tuple[bytes, bytes]]


class UpstreamUnavailable(Exception):
    """No answer from the service: not reachable, the connection broke, or not in time."""


class _Answer:
    """httptools' callbacks: the status, headers and body of one answer."""

    __slots__ = ("body", "complete", "headers", "keep_alive", "parser", "size")

    def __init__(self) -> None:
        self.headers: Headers = []
        self.body: list[bytes] = []
        self.size = 0
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has reset and says False.
        self.keep_alive = self.parser.should_keep_alive()

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.size += len(body)
        if self.size > MAX_ANSWER_BYTES:
            raise UpstreamUnavailable(f"the answer is larger than {MAX_ANSWER_BYTES} bytes")
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Stale(Exception):
    """A reused connection closed before any byte of the answer came."""


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class UpstreamPool:
    """Keep-alive HTTP/1.1 connections to one service."""

    def __init__(
        self,
        url: str,
        *,
        timeout_s: float,
        connect_timeout_s: float,
        max_connections: int = 200,
        max_idle: int = 50,
        idle_expiry_s: float = 2.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an upstream is an http:// URL, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.host_header = parts.netloc.encode("latin-1")
        self.prefix = parts.path.rstrip("/").encode("latin-1")
        self.timeout_s = timeout_s
        self.connect_timeout_s = connect_timeout_s
        self.max_idle = max_idle
        self.idle_expiry_s = idle_expiry_s
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self._slots = asyncio.Semaphore(max_connections)

    async def exchange(
        self, method: str, target: bytes, headers: Sequence[tuple[bytes, bytes]], body: AsyncIterator[bytes] | None
    ) -> tuple[int, Headers, bytes]:
        """Send one request (``target``: path and query, as sent) and read its whole answer:
        (status, headers as they came, body). ``body``: the request body's chunks as they
        arrive (None: none); with a ``content-length`` among ``headers`` it is sent as is,
        otherwise chunked."""
        declared = None
        for name, value in headers:
            if name.lower() == b"content-length":
                declared = value
        head = [b"%s %s%s HTTP/1.1\r\nhost: %s\r\n" % (method.encode(), self.prefix, target, self.host_header)]
        head.extend(b"%s: %s\r\n" % (name, value) for name, value in headers)
        first = b""
        whole = body is None
        if body is not None:
            # The first chunk: when it is the whole declared body (every JSON request, read whole
            # by the edge guard) the request can be sent again on another connection.
            first = await _first_chunk(body)
            whole = declared is not None and declared.isdigit() and len(first) == int(declared)
            if declared is None:
                head.append(b"transfer-encoding: chunked\r\n")
        elif method in METHODS_WITH_BODY:
            head.append(b"content-length: 0\r\n")
        head.append(b"\r\n")
        request_head = b"".join(head)
        async with self._slots:
            for attempt in (0, 1):
                connection, reused = await self._connection(fresh=attempt > 0)
                try:
                    async with asyncio.timeout(self.timeout_s):
                        return await self._send_and_read(
                            connection, reused, request_head, first, None if whole else body, chunked=declared is None
                        )
                except _Stale as exc:
                    if not whole or attempt:
                        raise UpstreamUnavailable("the connection closed before the answer") from exc
                except (OSError, TimeoutError, asyncio.IncompleteReadError, httptools.HttpParserError) as exc:
                    _close(connection)
                    raise UpstreamUnavailable(f"{type(exc).__name__}: {exc}") from exc
                except BaseException:
                    _close(connection)  # the client went away, or its body was over the limit
                    raise
        raise AssertionError("unreachable")

    async def _send_and_read(
        self,
        connection: Connection,
        reused: bool,
        head: bytes,
        first: bytes,
        rest: AsyncIterator[bytes] | None,
        *,
        chunked: bool,
    ) -> tuple[int, Headers, bytes]:
        reader, writer = connection
        writer.write(head + (_chunk(first) if chunked and first else first))
        if rest is not None:
            async for piece in rest:
                if piece:
                    writer.write(_chunk(piece) if chunked else piece)
                    await writer.drain()
            if chunked:
                writer.write(b"0\r\n\r\n")
        answer = _Answer()
        parser = answer.parser
        received = False
        try:
            while not answer.complete:
                data = await reader.read(READ_SIZE)
                if not data:
                    if reused and not received:
                        raise _Stale()
                    raise asyncio.IncompleteReadError(b"", None)
                received = True
                parser.feed_data(data)
        except (ConnectionResetError, BrokenPipeError) as exc:
            if reused and not received:
                raise _Stale() from exc
            raise
        finally:
            if not answer.complete:
                _close(connection)
        status = parser.get_status_code()
        if answer.keep_alive and not reader.at_eof() and len(self._idle) < self.max_idle:
            self._idle.append((reader, writer, time.monotonic()))
        else:
            _close(connection)
        return status, answer.headers, b"".join(answer.body)

    async def _connection(self, *, fresh: bool) -> tuple[Connection, bool]:
        """The most recently used idle connection still fresh, else a new one."""
        now = time.monotonic()
        while self._idle and not fresh:
            reader, writer, since = self._idle.pop()
            if now - since < self.idle_expiry_s and not reader.at_eof() and not writer.is_closing():
                return (reader, writer), True
            _close((reader, writer))
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                return await asyncio.open_connection(self.host, self.port, limit=READ_SIZE), False
        except (OSError, TimeoutError) as exc:
            raise UpstreamUnavailable(f"cannot connect to {self.host}:{self.port}: {type(exc).__name__}") from exc

    def close(self) -> None:
        while self._idle:
            reader, writer, _since = self._idle.pop()
            _close((reader, writer))


async def _first_chunk(body: AsyncIterator[bytes]) -> bytes:
    async for piece in body:
        if piece:
            return piece
    return b""


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _close(connection: Connection) -> None:
    writer = connection[1]
    if not writer.is_closing():
        writer.close()
