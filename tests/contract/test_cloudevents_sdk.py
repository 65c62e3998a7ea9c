"""The official CloudEvents Python SDK reads our binary-mode headers from a real NATS message,
with none of our code on the reading side; and our reader takes structured mode too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import nats
import pytest
from cloudevents.core.bindings.http import HTTPMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from common.events import CallEnded, decode
from common.eventstore import EventNames, EventStore, ensure_stream
from nats.aio.client import Client
from tm_events.cloudevents import STRUCTURED_CONTENT_TYPE, read_event, to_structured

CALL = CallEnded.model_validate(
    {
        "call_id": "c-sdk-1",
        "campaign": {"id": "cm"},
        "agent": {"id": "a-1", "team": "t-1"},
        "customer": {"lead_id": "l-1", "phone_masked": "138****8000"},
        "placed_at": "2026-11-20T10:00:00+08:00",
        "ended_at": "2026-11-20T10:02:00+08:00",
        "hangup_by": "customer",
        "disposition": "busy",
    }
)


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc: Client = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "calls")
    yield EventStore(js, names, source=f"/{event_namespace}/calls")
    await js.delete_stream(names.stream("calls"))
    await nc.close()


async def test_the_cloudevents_sdk_reads_a_stored_event_from_its_nats_headers(store: EventStore) -> None:
    await store.append([CALL], expected_version=None, correlation_id="corr-1")
    stored = await store.js.get_last_msg(store.names.stream("calls"), store.names.type_filter("calls", "CallEnded"))
    assert stored.headers is not None and stored.data is not None

    # The NATS binding's binary mode maps attributes to ce- headers exactly as the HTTP binding
    # does (the Python SDK has no NATS module): the SDK's HTTP binary reader, given the NATS
    # message's headers and body unchanged, is an independent CloudEvents reader.
    event = from_binary(HTTPMessage(headers=dict(stored.headers), body=stored.data), JSONFormat())

    assert event.get_specversion() == "1.0"
    assert event.get_type() == "com.telemarketing.calls.CallEnded.v1"
    assert event.get_source() == store.source
    assert event.get_id() == stored.headers["ce-id"] == stored.headers["Nats-Msg-Id"]
    assert event.get_subject() == "c-sdk-1"
    assert isinstance(event.get_time(), datetime)
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("correlationid") == "corr-1"
    assert event.get_extension("schemaversion") == "1"
    assert event.get_extension("causationid")
    data = event.get_data()
    assert isinstance(data, dict) and data["call_id"] == "c-sdk-1" and data["disposition"] == "busy"
    assert CallEnded.model_validate(data) == CALL


async def test_structured_mode_is_offered_and_read_back(store: EventStore) -> None:
    envelope = store.envelope_for(CALL, correlation_id="corr-2")
    headers, body = to_structured(envelope)
    assert headers["content-type"] == STRUCTURED_CONTENT_TYPE
    # Through a real NATS subject (core NATS: a bridge's view), then read by the same reader
    # that reads binary mode.
    nc = store.js._nc
    sub = await nc.subscribe(f"{store.names.namespace}.bridge.structured")
    await nc.publish(f"{store.names.namespace}.bridge.structured", body, headers=headers)
    msg = await sub.next_msg(timeout=5)
    back = read_event(msg.headers, msg.data)
    assert back.type == "CallEnded" and back.id == envelope.id and back.correlation_id == "corr-2"
    assert back.time == envelope.time
    assert decode(back) == CALL
    binary = read_event(envelope.headers(), envelope.body())
    assert decode(binary) == CALL
