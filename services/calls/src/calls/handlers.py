"""Command handlers: load the aggregate, decide, append. No HTTP, no SQL."""

from __future__ import annotations

from dataclasses import dataclass

from common.envelope import deterministic_event_id
from common.events.base import DomainEvent
from common.eventstore import ConcurrencyError, EventStore

from calls.domain.model import decide_record_finished, finished_call_events, replay
from calls.domain.records import FinishedCallRecord

OWNER = "calls"


@dataclass(frozen=True, slots=True)
class Recorded:
    call_id: str
    written: int  # events newly appended; 0 means the call was already recorded
    version: int


def _event_ids(call_id: str, events: list[DomainEvent]) -> list[str]:
    # Deterministic: a retried request carries the same ids and JetStream drops the copies.
    return [deterministic_event_id(OWNER, call_id, e.event_type) for e in events]


async def record_finished_call(
    store: EventStore, record: FinishedCallRecord, *, pii_key: str, correlation_id: str | None = None
) -> Recorded:
    placed, ended = finished_call_events(record, pii_key)
    events: list[DomainEvent] = [placed, ended]
    try:
        # Fast path: a new call has no history, so no need to read it first.
        result = await store.append(events, expected_version=0, event_ids=_event_ids(record.call_id, events),
                                    correlation_id=correlation_id)
        return Recorded(record.call_id, result.written, result.version)
    except ConcurrencyError:
        pass
    for _attempt in range(3):
        history = await store.load(OWNER, record.call_id)
        state = replay(record.call_id, (e.event for e in history.events))
        missing = decide_record_finished(state, placed, ended)
        if not missing:
            return Recorded(record.call_id, 0, history.version)
        try:
            result = await store.append(missing, expected_version=history.version,
                                        event_ids=_event_ids(record.call_id, missing),
                                        correlation_id=correlation_id)
            return Recorded(record.call_id, result.written, result.version)
        except ConcurrencyError:
            continue
    raise ConcurrencyError(f"call {record.call_id} is being written concurrently")
