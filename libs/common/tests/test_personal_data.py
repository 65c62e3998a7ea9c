"""Personal data sealed per lead in events, against a real nats-server (common.personal_data)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
from common.envelope import Envelope
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, HoldPeriod, SpeechTurn
from common.events.leads import LeadCreated, LeadNumber, LeadProfile
from common.eventstore import EventNames, EventStore, ensure_stream
from common.personal_data import ERASED, SEALED, LeadKeys, bucket_name, erased_copy, open_with, seal_with
from nats.js import JetStreamContext

NAME_SAID = "我是澹台明澈,电话13912345678"
MASKED = "139****5678"


@pytest.fixture
async def js(nats_url: str, event_namespace: str) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_url)
    context = nc.jetstream()
    names = EventNames(event_namespace)
    for owner in ("calls", "leads"):
        await ensure_stream(context, names, owner)
    yield context
    for owner in ("calls", "leads"):
        await context.delete_stream(names.stream(owner))
    await context.delete_key_value(bucket_name(names))
    await nc.close()


def ended(call_id: str, lead_id: str) -> CallEnded:
    at = datetime(2026, 11, 20, 2, 3, tzinfo=UTC)
    return CallEnded(
        call_id=call_id,
        campaign=CampaignRef(id="broadband"),
        agent=AgentRef(id="a-1", team="t-1"),
        customer=CustomerRef(lead_id=lead_id, phone_masked=MASKED, name_digest="d" * 32, number_digest="e" * 32),
        placed_at=at,
        answered_at=at,
        ended_at=at,
        hangup_by="customer",
        disposition="interested",
        talk_seconds=180.0,
        turns=[
            SpeechTurn(speaker="agent", start_s=0, end_s=2, text="您好,请问是澹台先生吗?"),
            HoldPeriod(hold=True, start_s=3, end_s=5),
            SpeechTurn(speaker="customer", start_s=6, end_s=9, text=NAME_SAID),
        ],
    )


async def keys_for(js: JetStreamContext, namespace: str) -> LeadKeys:
    return await LeadKeys.open(js, EventNames(namespace), "test-master-secret")


async def test_a_sealed_event_keeps_anonymous_fields_and_hides_personal_ones_on_the_wire(
    js: JetStreamContext, event_namespace: str
) -> None:
    names = EventNames(event_namespace)
    keys = await keys_for(js, event_namespace)
    store = EventStore(js, names, "/test", personal=keys)
    await store.append([ended("c-1", "ld-1")], expected_version=0)

    raw = await js.get_last_msg(names.stream("calls"), names.subject("calls", "c-1", "CallEnded"))
    assert raw.data is not None
    body = raw.data.decode()
    for secret in ("澹台", "13912345678", MASKED, "d" * 32, "e" * 32):
        assert secret not in body
    data = Envelope.from_message(raw.headers, raw.data).data
    # Anonymous figures stay in clear for every subscriber.
    assert data["disposition"] == "interested" and data["talk_seconds"] == 180.0
    assert data["customer"]["lead_id"] == "ld-1" and data["agent"]["id"] == "a-1"
    assert data["customer"]["phone_masked"] == ERASED and data["turns"][2]["text"] == ERASED
    assert data["turns"][1] == {"hold": True, "start_s": 3.0, "end_s": 5.0}
    assert data[SEALED]["lead_id"] == "ld-1"

    # A service holding the key grant reads it back whole; one without reads "[erased]".
    loaded = (await store.load("calls", "c-1")).events[0].event
    assert loaded == ended("c-1", "ld-1")
    keyless = (await EventStore(js, names, "/test").load("calls", "c-1")).events[0].event
    assert isinstance(keyless, CallEnded) and keyless.customer.phone_masked == ERASED


async def test_erasing_the_key_leaves_every_event_of_the_lead_unreadable_and_others_readable(
    js: JetStreamContext, event_namespace: str
) -> None:
    names = EventNames(event_namespace)
    keys = await keys_for(js, event_namespace)
    store = EventStore(js, names, "/test", personal=keys)
    await store.append([ended("c-1", "ld-1")], expected_version=0)
    await store.append([ended("c-2", "ld-2")], expected_version=0)
    number = LeadNumber(number_id="n-1", masked=MASKED, number_digest="f" * 32)
    created = LeadCreated(lead_id="ld-1", numbers=[number], profile=LeadProfile(), created_at=datetime.now(UTC))
    await store.append([created], expected_version=0)

    await keys.erase("ld-1")
    # A fresh process (no cache) with the same master key: nothing of ld-1 opens any more.
    fresh = EventStore(js, names, "/test", personal=await keys_for(js, event_namespace))
    gone = (await fresh.load("calls", "c-1")).events[0].event
    assert isinstance(gone, CallEnded)
    assert gone.customer.phone_masked == ERASED and gone.customer.name_digest == ERASED
    assert [getattr(t, "text", None) for t in gone.turns] == [ERASED, None, ERASED]
    assert gone.disposition == "interested" and gone.talk_seconds == 180.0
    lead = (await fresh.load("leads", "ld-1")).events[0].event
    assert isinstance(lead, LeadCreated) and lead.numbers[0].masked == ERASED and lead.numbers[0].number_id == "n-1"
    kept = (await fresh.load("calls", "c-2")).events[0].event
    assert kept == ended("c-2", "ld-2")

    # The purge removed the wrapped key from the bucket's stream, not only hid it.
    info = await js.stream_info(f"KV_{bucket_name(names)}")
    assert info.state.messages == 2  # ld-2's key and ld-1's purge marker (no data)
    marker = await js.get_last_msg(f"KV_{bucket_name(names)}", f"$KV.{bucket_name(names)}.ld-1")
    assert not marker.data and (marker.headers or {}).get("KV-Operation") == "PURGE"


def test_a_ciphertext_does_not_open_under_another_lead_or_type() -> None:
    """The lead id and event type are bound in as associated data."""
    key = bytes(range(32))
    data = ended("c-1", "ld-1").to_data()
    sealed = seal_with(key, "CallEnded", "ld-1", data)
    assert open_with(key, "CallEnded", sealed) == data
    # Namespaced CloudEvents type names open alike.
    assert open_with(key, "com.telemarketing.calls.CallEnded.v1", sealed) == data
    moved = dict(sealed, **{SEALED: dict(sealed[SEALED], lead_id="ld-2")})
    assert open_with(key, "CallEnded", moved) == erased_copy("CallEnded", data)
    assert open_with(bytes(32), "CallEnded", sealed) == erased_copy("CallEnded", data)
    # An event written before sealing existed is read as it is.
    assert open_with(key, "CallEnded", data) == data


async def test_expired_keys_leave_the_cache(js: JetStreamContext, event_namespace: str) -> None:
    """A process sees a new lead every few calls; keys past their ttl must not pile up."""
    keys = await keys_for(js, event_namespace)
    keys.ttl = 0.3
    for n in range(20):
        assert await keys.key(f"l-old-{n}", create=True) is not None
    assert len(keys._cache) == 20
    await asyncio.sleep(0.4)
    await keys.key("l-new", create=True)
    assert list(keys._cache) == ["l-new"]
    assert await keys.key("l-old-3") is not None  # fetched again from the bucket when asked
