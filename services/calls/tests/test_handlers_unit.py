"""The calls command handlers against the in-memory event store (``common.memory_store``): the
load-decide-append loop of each command, its retry when another writer appends between the load
and the append, and what a repeated command answers. The same handlers on a real nats-server
are exercised through the API in ``test_calls_api.py``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from common.events.calls import (
    CallEnded,
    CallPlaced,
    CallTranscribed,
    RedialRequested,
    SpeechTurn,
    TranscriptTurn,
)
from common.eventstore import ConcurrencyError
from common.memory_store import MemoryEventStore

from calls.domain.campaign import CampaignSettings
from calls.domain.model import finished_call_events
from calls.domain.records import EndCallRequest, FinishedCallRecord
from calls.handlers import (
    VersionConflict,
    record_end,
    record_finished_call,
    record_transcript,
    store_campaign_settings,
)
from calls.queries import StoredSettings

PII_KEY = "test-pii-key"
SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 11, 20, 10, 3, tzinfo=SH)


def record(call_id: str = "c-1", **changes: Any) -> FinishedCallRecord:
    body: dict[str, Any] = {
        "call_id": call_id,
        "direction": "outbound",
        "campaign": {"id": "k-1", "brand": "中国移动", "allowed_caller_carriers": ["China Mobile"]},
        "agent": {"id": "a-1", "team": "t-1", "supervisor": "s-1"},
        "lead": {"id": "l-1", "name": "张伟", "phone": "+8613800138000"},
        "caller_number": "+8613900139000",
        "placed_at": T0.isoformat(),
        "answered_at": (T0 + timedelta(seconds=12)).isoformat(),
        "ended_at": (T0 + timedelta(minutes=3)).isoformat(),
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        **changes,
    }
    return FinishedCallRecord.model_validate(body)


def end_request(**changes: Any) -> EndCallRequest:
    body: dict[str, Any] = {
        "answered_at": (T0 + timedelta(seconds=10)).isoformat(),
        "ended_at": (T0 + timedelta(minutes=4)).isoformat(),
        "ring_count": 2,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        "notes": "wants the brochure",
        **changes,
    }
    return EndCallRequest.model_validate(body)


async def default_settings(_campaign_id: str) -> StoredSettings:
    return StoredSettings(CampaignSettings(), 0, {})


async def placed_call(store: MemoryEventStore, call_id: str = "c-1") -> CallPlaced:
    placed, _ended = finished_call_events(record(call_id), PII_KEY, settings=CampaignSettings())
    await store.append([placed], expected_version=0)
    return placed


def types(store: MemoryEventStore, call_id: str = "c-1") -> list[str]:
    return [e.event_type for e in store.events("calls", call_id)]


# --- a finished call reported in one request --------------------------------------------------


async def test_a_finished_call_is_recorded_once() -> None:
    store = MemoryEventStore()
    first = await record_finished_call(store, record(), pii_key=PII_KEY)
    assert (first.written, first.conflicts) == (2, [])
    assert types(store) == ["CallPlaced", "CallEnded"]

    again = await record_finished_call(store, record(), pii_key=PII_KEY)
    assert (again.written, again.version, again.conflicts) == (0, first.version, [])
    assert types(store) == ["CallPlaced", "CallEnded"]


async def test_a_dropped_outbound_call_requests_a_redial() -> None:
    store = MemoryEventStore()
    dropped = record(hangup_by="network", ended_at=(T0 + timedelta(seconds=40)).isoformat())
    result = await record_finished_call(store, dropped, pii_key=PII_KEY)
    assert result.written == 3
    assert types(store) == ["CallPlaced", "CallEnded", "RedialRequested"]
    ended = store.events("calls", "c-1")[1]
    assert isinstance(ended, CallEnded) and ended.dropped is True


async def test_an_inbound_call_is_judged_dropped_too_without_a_redial_request() -> None:
    # Every call gets the verdict (scheduling reads it for inbound calls as well); a redial
    # request is for outbound dials.
    store = MemoryEventStore()
    dropped = record(direction="inbound", hangup_by="network", ended_at=(T0 + timedelta(seconds=40)).isoformat())
    assert (await record_finished_call(store, dropped, pii_key=PII_KEY)).written == 2
    assert types(store) == ["CallPlaced", "CallEnded"]
    ended = store.events("calls", "c-1")[1]
    assert isinstance(ended, CallEnded) and ended.dropped is True
    kept = MemoryEventStore()
    await record_finished_call(kept, record(direction="inbound"), pii_key=PII_KEY)  # the customer hung up
    assert [e.dropped for e in kept.events("calls", "c-1") if isinstance(e, CallEnded)] == [False]


async def test_the_same_call_id_with_another_body_names_the_differences() -> None:
    store = MemoryEventStore()
    await record_finished_call(store, record(), pii_key=PII_KEY)
    other = await record_finished_call(store, record(disposition="refused"), pii_key=PII_KEY)
    assert other.written == 0 and "disposition" in other.conflicts
    assert types(store) == ["CallPlaced", "CallEnded"]


async def test_a_report_cut_short_after_its_first_event_is_completed() -> None:
    """A crash between the two appends left only CallPlaced: the retried report adds the rest."""
    store = MemoryEventStore()
    await placed_call(store)
    result = await record_finished_call(store, record(), pii_key=PII_KEY)
    assert result.written == 1 and result.conflicts == []
    assert types(store) == ["CallPlaced", "CallEnded"]


# --- ending a placed call ---------------------------------------------------------------------


async def test_ending_a_placed_call_then_the_same_end_again() -> None:
    store = MemoryEventStore()
    await placed_call(store)
    ended = await record_end(store, default_settings, "c-1", end_request())
    assert ended.status == "ended" and isinstance(ended.event, CallEnded)
    assert ended.version == (await store.load("calls", "c-1")).version

    again = await record_end(store, default_settings, "c-1", end_request())
    assert again.status == "duplicate" and again.version == ended.version
    other = await record_end(store, default_settings, "c-1", end_request(disposition="refused"))
    assert other.status == "conflict"
    assert types(store) == ["CallPlaced", "CallEnded"]


async def test_ending_an_unknown_call_or_with_blanks_appends_nothing() -> None:
    store = MemoryEventStore()
    assert (await record_end(store, default_settings, "c-none", end_request())).status == "not_found"
    await placed_call(store)
    invalid = await record_end(store, default_settings, "c-1", end_request(disposition=None))
    assert invalid.status == "invalid" and [p.field for p in invalid.problems] == ["disposition"]
    assert types(store) == ["CallPlaced"]


async def test_an_end_raced_by_a_transcript_is_decided_again_and_appended() -> None:
    """Another writer appends to the call between the handler's load and its append: the append
    is refused (ConcurrencyError), the handler loads again and its end goes in after it."""
    store = MemoryEventStore()
    await placed_call(store)
    turns: list[TranscriptTurn] = [SpeechTurn(speaker="agent", start_s=0.0, end_s=2.0, text="您好")]

    async def transcriber(s: MemoryEventStore) -> None:
        version = (await s.load("calls", "c-1")).version
        await s.append([CallTranscribed(call_id="c-1", turns=turns)], expected_version=version)

    store.interfere(transcriber)
    ended = await record_end(store, default_settings, "c-1", end_request())
    assert ended.status == "ended"
    assert store.conflicts == 1
    assert types(store) == ["CallPlaced", "CallTranscribed", "CallEnded"]
    assert ended.version == (await store.load("calls", "c-1")).version


async def test_a_call_changed_by_every_retry_gives_up_with_a_concurrency_error() -> None:
    store = MemoryEventStore()
    await placed_call(store)
    for n in range(10):
        turns: list[TranscriptTurn] = [SpeechTurn(speaker="agent", start_s=0.0, end_s=1.0, text=f"第{n}句")]

        async def writer(s: MemoryEventStore, turns: list[TranscriptTurn] = turns) -> None:
            version = (await s.load("calls", "c-1")).version
            await s.append([CallTranscribed(call_id="c-1", turns=turns)], expected_version=version)

        store.interfere(writer)
    with pytest.raises(ConcurrencyError, match="call c-1"):
        await record_end(store, default_settings, "c-1", end_request())
    assert "CallEnded" not in types(store)


async def test_a_dropped_end_requests_a_redial() -> None:
    store = MemoryEventStore()
    await placed_call(store)
    ended = await record_end(
        store,
        default_settings,
        "c-1",
        end_request(hangup_by="network", ended_at=(T0 + timedelta(seconds=30)).isoformat()),
    )
    assert ended.status == "ended" and ended.redial_requested
    assert isinstance(store.events("calls", "c-1")[-1], RedialRequested)


# --- transcripts ------------------------------------------------------------------------------


async def test_a_transcript_is_recorded_once_and_only_for_a_placed_call() -> None:
    store = MemoryEventStore()
    turns: list[TranscriptTurn] = [SpeechTurn(speaker="customer", start_s=1.0, end_s=2.0, text="是的。")]
    assert (await record_transcript(store, "c-1", turns, None)).status == "not_found"
    await placed_call(store)
    first = await record_transcript(store, "c-1", turns, "s3://rec/c-1")
    assert first.status == "transcribed"
    again = await record_transcript(store, "c-1", turns, "s3://rec/c-1")
    assert again.status == "duplicate" and again.version == first.version
    assert types(store) == ["CallPlaced", "CallTranscribed"]


# --- campaign settings ------------------------------------------------------------------------


async def test_campaign_settings_are_versioned_and_merged() -> None:
    store = MemoryEventStore()
    first = await store_campaign_settings(store, "k-1", {"dropped_call_seconds": 60})
    assert first.version == 1 and first.settings.dropped_call_seconds == 60
    second = await store_campaign_settings(store, "k-1", {"inbound_max_rings": 5}, merge=True, expected_version=1)
    assert second.version == 2
    assert (second.settings.dropped_call_seconds, second.settings.inbound_max_rings) == (60, 5)
    with pytest.raises(VersionConflict) as stale:
        await store_campaign_settings(store, "k-1", {}, expected_version=1)
    assert stale.value.current == 2


async def test_a_concurrent_settings_change_is_a_version_conflict_only_when_if_match_was_given() -> None:
    store = MemoryEventStore()
    await store_campaign_settings(store, "k-1", {"dropped_call_seconds": 60})

    async def other_supervisor(s: MemoryEventStore) -> None:
        await store_campaign_settings(s, "k-1", {"inbound_max_rings": 6}, merge=True)

    store.interfere(other_supervisor)
    with pytest.raises(VersionConflict) as raced:
        await store_campaign_settings(store, "k-1", {"dropped_call_seconds": 90}, merge=True, expected_version=1)
    assert raced.value.current == 2

    store.interfere(other_supervisor)  # without If-Match the change is decided again on version 3
    merged = await store_campaign_settings(store, "k-1", {"dropped_call_seconds": 90}, merge=True)
    assert merged.version == 4
    assert (merged.settings.dropped_call_seconds, merged.settings.inbound_max_rings) == (90, 6)
