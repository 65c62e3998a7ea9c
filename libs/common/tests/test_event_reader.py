"""common.event_reader decodes an event from its message's bytes into what ``decode`` makes of
the parsed envelope, and refuses (for ``decode`` to decide) whatever it cannot read the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from common.envelope import Envelope
from common.event_reader import EventReader, NotReadHere
from common.events.base import DomainEvent, decode
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.scheduling import CallbackScheduled
from pydantic import ValidationError

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
TURNS = [
    {"speaker": "agent" if t % 2 == 0 else "customer", "start_s": t * 6.0, "end_s": t * 6.0 + 5, "text": "您好"}
    for t in range(20)
]


def events() -> list[DomainEvent]:
    ids: dict[str, Any] = {
        "call_id": "c-1",
        "campaign": CampaignRef(id="cm-1", authorized_brands=["b"]),
        "agent": AgentRef(id="a-1", team="t-1"),
        "customer": CustomerRef(lead_id="l-1", phone_masked="138****8000"),
        "placed_at": AT,
    }
    return [
        CallPlaced(**ids, first_contact=True),
        CallEnded(
            **ids,
            answered_at=AT + timedelta(seconds=9),
            ended_at=AT + timedelta(seconds=200),
            hangup_by="customer",
            disposition="success",
            disposition_flags=["human_answered", "sale"],
            talk_seconds=180.5,
            turns=TURNS,
        ),
        CallbackScheduled(
            callback_id="cb-1",
            lead_id="l-1",
            reason="callback",
            due_at=AT,
            requested_at=AT,
            scheduled_at=AT,
            agent_id="a-1",
        ),
    ]


def message(event: DomainEvent, data: dict[str, Any] | None = None) -> tuple[dict[str, str], bytes]:
    envelope = Envelope(
        type=event.event_type, source="/test", data=event.to_data() if data is None else data, subject="c-1"
    )
    return envelope.headers(), envelope.body()


def same(read: DomainEvent, decoded: DomainEvent) -> None:
    assert type(read) is type(decoded)
    assert read.__dict__ == decoded.__dict__
    assert read.model_fields_set == decoded.model_fields_set
    assert read.model_dump(mode="json") == decoded.model_dump(mode="json")
    assert read == decoded


@pytest.mark.parametrize("unread", [{}, {"CallEnded": {"turns"}}, {"CallEnded": {"turns", "notes"}}])
def test_the_event_is_the_one_decode_makes(unread: dict[str, set[str]]) -> None:
    reader = EventReader(unread)
    for event in events():
        headers, body = message(event)
        read = reader.read(Envelope.from_headers(headers), body)
        envelope = Envelope.from_message(headers, body)
        same(read, decode(envelope, unread=frozenset(unread.get(event.event_type, ()))))


def test_an_unread_field_is_absent_and_not_validated() -> None:
    reader = EventReader({"CallEnded": {"turns"}})
    event = events()[1]
    headers, body = message(event, {**event.to_data(), "turns": [{"speaker": "robot", "text": 7}]})
    read = reader.read(Envelope.from_headers(headers), body)
    assert isinstance(read, CallEnded) and read.disposition == "success"
    with pytest.raises(AttributeError):
        _ = read.turns
    with pytest.raises(ValidationError):  # read by a projection that reads it: refused
        EventReader({}).read(Envelope.from_headers(headers), body)


def test_a_read_field_is_validated() -> None:
    event = events()[1]
    headers, body = message(event, {**event.to_data(), "placed_at": "not a time"})
    with pytest.raises(ValidationError):
        EventReader({"CallEnded": {"turns"}}).read(Envelope.from_headers(headers), body)


def test_what_a_newer_producer_added_is_kept_when_every_field_is_read() -> None:
    event = events()[0]
    headers, body = message(event, {**event.to_data(), "added_later": {"x": 1}})
    read = EventReader({}).read(Envelope.from_headers(headers), body)
    same(read, decode(Envelope.from_message(headers, body)))
    assert read.model_extra == {"added_later": {"x": 1}}


def test_an_older_schema_version_or_an_empty_body_is_left_to_decode() -> None:
    event = events()[0]
    headers, body = message(event)
    older = Envelope.from_headers(headers)
    object.__setattr__(older, "schema_version", 0)
    with pytest.raises(NotReadHere):
        EventReader({}).read(older, body)
    with pytest.raises(NotReadHere):
        EventReader({}).read(Envelope.from_headers(headers), b"")


def test_not_json_is_a_validation_error() -> None:
    headers, _body = message(events()[0])
    with pytest.raises(ValidationError):
        EventReader({}).read(Envelope.from_headers(headers), b"{not json")
