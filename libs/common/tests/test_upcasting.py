"""Event versions that mean something: an older event is upcast to the reader's version, a
newer one is refused rather than misread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

import nats
import pytest
from common.envelope import Envelope
from common.events.base import DomainEvent, UnsupportedSchemaVersion, decode, register
from common.eventstore import EventNames, EventStore, ensure_stream
from nats.js import JetStreamContext


@register
class AgendaNoteAdded(DomainEvent):
    """Version 2 of a test event: version 1 had one free-text ``who`` ("agent:a-7"); version 2
    splits it into ``role`` and ``person``."""

    event_type: ClassVar[str] = "TestAgendaNoteAdded"
    schema_version: ClassVar[int] = 2
    owner: ClassVar[str] = "scheduling"

    note_id: str
    role: str
    person: str

    def aggregate_id(self) -> str:
        return self.note_id

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        role, _, person = data.pop("who").partition(":")
        return {**data, "role": role, "person": person}


def v1_envelope() -> Envelope:
    return Envelope(
        type="TestAgendaNoteAdded", source="/old-writer", data={"note_id": "n-1", "who": "agent:a-7"}, schema_version=1
    )


def test_an_older_event_is_upcast_to_the_current_version() -> None:
    event = decode(v1_envelope())
    assert isinstance(event, AgendaNoteAdded)
    assert (event.role, event.person) == ("agent", "a-7")


def test_a_newer_event_is_refused_not_misread() -> None:
    newer = Envelope(type="TestAgendaNoteAdded", source="/new", data={"note_id": "n-1"}, schema_version=3)
    with pytest.raises(UnsupportedSchemaVersion, match="version 3 is newer"):
        decode(newer)


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc = await nats.connect(nats_url)
    js: JetStreamContext = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    yield EventStore(js, names, source="/test")
    await js.delete_stream(names.stream("scheduling"))
    await nc.close()


async def test_a_v1_event_in_the_log_is_read_back_as_v2(store: EventStore) -> None:
    old = v1_envelope()
    subject = store.names.subject("scheduling", "n-1", "TestAgendaNoteAdded")
    await store.js.publish(subject, old.body(), headers=old.headers())
    await store.append([AgendaNoteAdded(note_id="n-1", role="supervisor", person="s-1")], expected_version=None)
    history = await store.load("scheduling", "n-1")
    events = [e.event for e in history.events]
    assert all(isinstance(e, AgendaNoteAdded) for e in events)
    assert [(e.role, e.person) for e in events] == [("agent", "a-7"), ("supervisor", "s-1")]  # type: ignore[attr-defined]
    assert [e.envelope.schema_version for e in history.events] == [1, 2]
