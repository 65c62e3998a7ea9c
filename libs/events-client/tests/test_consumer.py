"""tm_events.EventConsumer on a real nats-server: typed handlers, ack after success, redelivery,
the dead-letter subject, replay from a sequence or a time, durable naming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import nats
import pytest
from common.events import CallEnded, CallPlaced
from common.eventstore import EventNames, EventStore, ensure_stream
from nats.aio.client import Client
from tm_events import EventConsumer, EventMeta, durable_name
from tm_events.consumer import H_CONSUMER, H_DELIVERIES, H_ORIGINAL_SUBJECT, H_REASON

BASE = {
    "campaign": {"id": "k-1"},
    "agent": {"id": "a-1", "team": "t-1"},
    "customer": {"lead_id": "l-1"},
    "placed_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
}


def ended(call_id: str, disposition: str = "busy") -> CallEnded:
    return CallEnded.model_validate(
        {
            **BASE,
            "call_id": call_id,
            "ended_at": datetime(2026, 11, 20, 2, 3, tzinfo=UTC),
            "hangup_by": "customer",
            "disposition": disposition,
        }
    )


def placed(call_id: str) -> CallPlaced:
    return CallPlaced.model_validate({**BASE, "call_id": call_id})


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc: Client = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "calls")
    yield EventStore(js, names, source=f"/{event_namespace}/calls")
    for stream in (names.stream("calls"), f"{event_namespace}_DLQ_ANALYTICS".upper()):
        try:
            await js.delete_stream(stream)
        except Exception:
            pass
    await nc.close()


def consumer_for(store: EventStore, nats_url: str, **options: object) -> EventConsumer:
    return EventConsumer(
        team="analytics",
        servers=nats_url,
        namespace=store.names.namespace,
        retry_delay=timedelta(milliseconds=100),
        **options,  # type: ignore[arg-type]
    )


async def wait_for(predicate: object, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.05)


def test_durable_names_follow_the_rules() -> None:
    assert durable_name("billing", "calls") == "billing-calls"
    for bad in ("Billing", "b", "calls", "qa", "billing_team", "-billing", "bill--ing", "billing-"):
        with pytest.raises(ValueError):
            durable_name(bad, "calls")


async def test_typed_handlers_see_one_aggregates_events_in_order_across_a_failure(
    store: EventStore, nats_url: str
) -> None:
    seen: list[tuple[str, str, int]] = []
    failed_once: set[str] = set()
    consumer = consumer_for(store, nats_url)

    @consumer.on(CallPlaced)
    async def on_placed(event: CallPlaced, meta: EventMeta) -> None:
        if event.call_id not in failed_once:  # the first attempt fails: redelivered before anything later
            failed_once.add(event.call_id)
            raise RuntimeError("transient")
        seen.append(("placed", event.call_id, meta.deliveries))

    @consumer.on(CallEnded)
    async def on_ended(event: CallEnded, meta: EventMeta) -> None:
        assert isinstance(event, CallEnded)
        seen.append(("ended", event.call_id, meta.deliveries))

    await consumer.start()
    try:
        await store.append([placed("c-1"), ended("c-1")], expected_version=None)
        await wait_for(lambda: len(seen) == 2)
        assert seen == [("placed", "c-1", 2), ("ended", "c-1", 1)]
    finally:
        await consumer.stop()


async def test_what_keeps_failing_goes_to_the_dead_letter_subject_and_the_stream_moves_on(
    store: EventStore, nats_url: str
) -> None:
    attempts: list[str] = []
    consumer = consumer_for(store, nats_url, max_deliveries=3)

    @consumer.on(CallEnded)
    async def on_ended(event: CallEnded, meta: EventMeta) -> None:
        attempts.append(event.call_id)
        if event.disposition == "poison":
            raise ValueError("cannot bill a poison call")

    await consumer.start()
    try:
        await store.append([ended("c-bad", "poison")], expected_version=None)
        await store.append([ended("c-good")], expected_version=None)
        await wait_for(lambda: "c-good" in attempts)
        assert attempts == ["c-bad", "c-bad", "c-bad", "c-good"]
        dead = await store.js.get_last_msg(consumer.dead_letter_stream, consumer.dead_letter_subject("calls", ">"))
        assert dead.subject == f"{store.names.namespace}.dlq.analytics.calls.CallEnded"
        assert dead.headers is not None
        assert "cannot bill a poison call" in dead.headers[H_REASON]
        assert dead.headers[H_CONSUMER] == "analytics-calls" and dead.headers[H_DELIVERIES] == "3"
        assert dead.headers[H_ORIGINAL_SUBJECT].endswith(".c-bad.CallEnded")
        assert dead.headers["ce-type"] == "com.telemarketing.calls.CallEnded.v1"
        info = await store.js.consumer_info(store.names.stream("calls"), "analytics-calls")
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        await consumer.stop()


async def test_a_message_that_cannot_be_read_is_dead_lettered_at_once(store: EventStore, nats_url: str) -> None:
    consumer = consumer_for(store, nats_url)
    got: list[str] = []

    @consumer.on(CallEnded)
    async def on_ended(event: CallEnded, meta: EventMeta) -> None:
        got.append(event.call_id)

    await consumer.start()
    try:
        subject = store.names.subject("calls", "c-x", "CallEnded")
        await store.js.publish(subject, b'{"call_id": "c-x"}', headers={"ce-id": "x", "ce-type": "CallEnded"})
        await store.append([ended("c-after")], expected_version=None)
        await wait_for(lambda: got == ["c-after"])
        dead = await store.js.get_last_msg(consumer.dead_letter_stream, consumer.dead_letter_subject("calls", ">"))
        assert dead.headers is not None and "cannot be read" in dead.headers[H_REASON]
    finally:
        await consumer.stop()


async def test_replay_from_a_stream_sequence_or_a_time(store: EventStore, nats_url: str) -> None:
    for i in range(1, 4):
        await store.append([ended(f"c-{i}")], expected_version=None)
    got: list[str] = []

    def handler_for(consumer: EventConsumer) -> None:
        @consumer.on(CallEnded)
        async def on_ended(event: CallEnded, meta: EventMeta) -> None:
            got.append(event.call_id)

    first = consumer_for(store, nats_url)
    handler_for(first)
    await first.start()
    await wait_for(lambda: len(got) == 3)
    await first.stop()
    assert got == ["c-1", "c-2", "c-3"]

    # The durable consumer resumes where it stood: nothing again.
    got.clear()
    again = consumer_for(store, nats_url)
    handler_for(again)
    await again.start()
    await asyncio.sleep(1.5)
    await again.stop()
    assert got == []

    by_sequence = consumer_for(store, nats_url, replay_from=2)
    handler_for(by_sequence)
    await by_sequence.start()
    await wait_for(lambda: len(got) == 2)
    await by_sequence.stop()
    assert got == ["c-2", "c-3"]

    got.clear()
    third = await store.js.get_msg(store.names.stream("calls"), 3)
    assert third.headers is not None
    by_time = consumer_for(store, nats_url, replay_from=datetime.fromisoformat(third.headers["ce-time"]))
    handler_for(by_time)
    await by_time.start()
    await wait_for(lambda: len(got) >= 1)
    await asyncio.sleep(0.5)
    await by_time.stop()
    # ce-time is when the event was decided; the stream's clock stored it a moment later.
    assert got == ["c-3"]
