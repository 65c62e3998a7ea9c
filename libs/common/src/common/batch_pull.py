"""A JetStream pull consumer read a batch at a time, for a projection's rebuild.

nats-py's ``PullSubscription.fetch`` hands over each message through ``Subscription.next_msg``,
which creates a task and a timer per message: with asyncio's scheduling of them, half the CPU of
a rebuild (benchmarks/rebuild_rates.py, profiled with pyinstrument). ``BatchPull`` sends the
consumer's pull requests itself (``$JS.API.CONSUMER.MSG.NEXT``, the request ``fetch`` sends)
with a callback subscription on its own inbox that appends each message to a list, and a reader
takes whole batches from that list: one wake-up per batch instead of a task per message. The
next batch is requested before the current one is applied, so the server streams it meanwhile.

It only reads: ordering and completeness are the caller's to check, with each message's consumer
sequence (``ProjectionRunner.in_order``) as for any fetch. A status message other than a
heartbeat (a request expired, the consumer deleted) and a silence longer than ``timeout`` fail
the read (``PullFailed``) instead of returning a short batch.
"""

from __future__ import annotations

import asyncio
import json

from nats.aio.msg import Msg
from nats.js import JetStreamContext

# nats-py's key for the status of a control message (``nats.js.api.Header.STATUS``).
_STATUS = "Status"
_DESCRIPTION = "Description"
_HEARTBEAT = "100"


class PullFailed(Exception):
    """The server answered a pull request with an error status, or went silent."""


class BatchPull:
    def __init__(self, js: JetStreamContext, stream: str, consumer: str, *, timeout: float = 30.0) -> None:
        self._nc = js._nc
        self._next = f"{js._prefix}.CONSUMER.MSG.NEXT.{stream}.{consumer}"
        self._inbox = self._nc.new_inbox()
        self.timeout = timeout
        self._received: list[Msg] = []
        self._want = 0
        self._ready: asyncio.Future[None] | None = None
        self._failure: PullFailed | None = None
        self._sub: object | None = None

    async def start(self) -> None:
        # No pending limits: what is buffered is what this reader asked for (``request``).
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_msg, pending_msgs_limit=0, pending_bytes_limit=0)

    async def stop(self) -> None:
        sub, self._sub = self._sub, None
        if sub is not None:
            await sub.unsubscribe()  # type: ignore[attr-defined]

    async def request(self, batch: int) -> None:
        """Ask the consumer for ``batch`` more messages (delivered in consumer order, after
        those of earlier requests). The request expires after ``timeout``: one the server
        cannot fill by then is answered with a status, which fails the read."""
        body = json.dumps({"batch": batch, "expires": int(self.timeout * 1e9)}).encode()
        await self._nc.publish(self._next, body, reply=self._inbox)

    async def take(self, count: int) -> list[Msg]:
        """The next ``count`` messages received, in the order received; waits for them (the
        caller asked for at least that many). ``PullFailed`` on an error status or when no
        message has come for ``timeout`` seconds."""
        while len(self._received) < count:
            if self._failure is not None:
                raise self._failure
            before = len(self._received)
            self._want = count
            self._ready = asyncio.get_running_loop().create_future()
            try:
                await asyncio.wait_for(self._ready, self.timeout)
            except TimeoutError:
                if len(self._received) == before:
                    raise PullFailed(f"no message for {self.timeout} s from {self._next}") from None
            finally:
                self._ready = None
        batch = self._received[:count]
        del self._received[:count]
        return batch

    async def _on_msg(self, msg: Msg) -> None:
        headers = msg.headers
        if not msg.data and headers and _STATUS in headers:
            if headers[_STATUS] == _HEARTBEAT:
                return
            self._failure = PullFailed(f"{self._next}: {headers[_STATUS]} {headers.get(_DESCRIPTION, '')}".strip())
            self._wake()
            return
        self._received.append(msg)
        if len(self._received) >= self._want:
            self._wake()

    def _wake(self) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)
