"""common.batch_pull reads a consumer a batch at a time, in consumer order, and fails loudly
rather than returning short when the server cannot fill what was asked."""

from __future__ import annotations

from collections.abc import AsyncIterator

import nats
import pytest
from common.batch_pull import BatchPull, PullFailed
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy


@pytest.fixture
async def js(nats_url: str, event_namespace: str) -> AsyncIterator[tuple[JetStreamContext, str]]:
    nc: NATS = await nats.connect(nats_url)
    js = nc.jetstream()
    stream = f"PULL_{event_namespace}".replace("-", "_").replace(".", "_")
    await js.add_stream(name=stream, subjects=[f"{stream}.>"])
    for n in range(50):
        await js.publish(f"{stream}.e", str(n).encode())
    await js.add_consumer(
        stream,
        ConsumerConfig(durable_name="reader", ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL),
    )
    try:
        yield js, stream
    finally:
        await js.delete_stream(stream)
        await nc.close()


async def test_batches_arrive_whole_and_in_consumer_order(js: tuple[JetStreamContext, str]) -> None:
    context, stream = js
    pull = BatchPull(context, stream, "reader", timeout=5)
    await pull.start()
    try:
        for size in (20, 20, 10):
            await pull.request(size)
        batches = [await pull.take(size) for size in (20, 20, 10)]
    finally:
        await pull.stop()
    assert [len(b) for b in batches] == [20, 20, 10]
    msgs = [m for b in batches for m in b]
    assert [m.metadata.sequence.consumer for m in msgs] == list(range(1, 51))
    assert [m.data for m in msgs] == [str(n).encode() for n in range(50)]
    assert msgs[-1].metadata.num_pending == 0


async def test_a_request_the_server_cannot_fill_fails_the_read(js: tuple[JetStreamContext, str]) -> None:
    context, stream = js
    pull = BatchPull(context, stream, "reader", timeout=1)
    await pull.start()
    try:
        await pull.request(60)  # 50 pending: the request expires with 10 missing
        with pytest.raises(PullFailed, match="408"):
            await pull.take(60)
    finally:
        await pull.stop()


async def test_silence_fails_the_read(js: tuple[JetStreamContext, str]) -> None:
    context, stream = js
    pull = BatchPull(context, stream, "reader", timeout=0.5)
    await pull.start()
    try:
        with pytest.raises(PullFailed, match="no message"):
            await pull.take(1)  # nothing asked for, nothing comes
    finally:
        await pull.stop()
