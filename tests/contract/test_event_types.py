"""Event types are namespaced the CloudEvents way on the wire; bare names written before still read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from common.envelope import Envelope, EnvelopeError
from common.events import CallEnded, UnknownEventType, decode
from common.events.compat import public_events
from common.events.types import TYPE_PREFIX, cloudevents_type, parse_type

CALL_ENDED = {
    "call_id": "c-1",
    "campaign": {"id": "cm"},
    "agent": {"id": "a", "team": "t"},
    "customer": {"lead_id": "l"},
    "placed_at": "2026-11-20T10:00:00+08:00",
    "ended_at": "2026-11-20T10:02:00+08:00",
    "hangup_by": "customer",
    "disposition": "busy",
}


def test_every_public_event_has_a_reverse_dns_type_with_owner_and_version() -> None:
    for cls in public_events():
        ce_type = cls.cloudevents_type()
        assert ce_type == f"{TYPE_PREFIX}.{cls.owner}.{cls.event_type}.v{cls.schema_version}"
        assert parse_type(ce_type) == (cls.event_type, cls.schema_version)
    assert CallEnded.cloudevents_type() == "com.telemarketing.calls.CallEnded.v1"


def test_the_wire_type_is_namespaced_and_reads_back_as_the_short_name() -> None:
    envelope = Envelope(
        type="CallEnded",
        source="/tm/calls",
        data=CALL_ENDED,
        time=datetime(2026, 11, 20, tzinfo=UTC),
        correlation_id="corr",
        causation_id="cause",
    )
    headers = envelope.headers()
    assert headers["ce-type"] == "com.telemarketing.calls.CallEnded.v1"
    back = Envelope.from_message(headers, envelope.body())
    assert back.type == "CallEnded" and back.schema_version == 1 and back == envelope
    assert isinstance(decode(back), CallEnded)


def test_an_event_stored_with_a_bare_type_is_still_read() -> None:
    headers = Envelope(type="CallEnded", source="/tm/calls", data=CALL_ENDED).headers()
    headers["ce-type"] = "CallEnded"  # how every event was typed before the namespacing
    old = Envelope.from_message(headers, Envelope(type="x", source="/s", data=CALL_ENDED).body())
    assert old.type == "CallEnded"
    event = decode(old)
    assert isinstance(event, CallEnded) and event.call_id == "c-1"


def test_the_version_comes_from_the_type_when_the_extension_is_absent() -> None:
    headers = Envelope(type="CallEnded", source="/tm/calls", data=CALL_ENDED).headers()
    del headers["ce-schemaversion"]
    assert Envelope.from_message(headers, b"{}").schema_version == 1
    headers["ce-type"] = cloudevents_type("calls", "CallEnded", 3)
    assert Envelope.from_message(headers, b"{}").schema_version == 3


def test_a_type_and_schema_version_that_disagree_are_refused() -> None:
    headers = Envelope(type="CallEnded", source="/tm/calls", data=CALL_ENDED).headers()
    headers["ce-schemaversion"] = "2"
    with pytest.raises(EnvelopeError, match="says version 1"):
        Envelope.from_message(headers, b"{}")


def test_another_producers_type_is_kept_whole_and_is_unknown() -> None:
    assert parse_type("org.example.calls.CallEnded.v1") == ("org.example.calls.CallEnded.v1", None)
    headers = Envelope(type="CallEnded", source="/x", data={}).headers()
    headers["ce-type"] = "org.example.calls.CallEnded.v1"
    envelope = Envelope.from_message(headers, b"{}")
    assert envelope.type == "org.example.calls.CallEnded.v1"
    with pytest.raises(UnknownEventType, match=r"org\.example"):
        decode(envelope)
