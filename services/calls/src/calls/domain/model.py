"""The call aggregate: a pure function of its events, and the decisions made on it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallPlaced, CallTranscribed, CustomerRef
from common.privacy import mask_phone, name_digest

from calls.domain.records import FinishedCallRecord


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    placed: bool = False
    ended: bool = False
    transcribed: bool = False


def replay(call_id: str, events: Iterable[DomainEvent]) -> Call:
    state = Call(call_id)
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: Call, event: DomainEvent) -> Call:
    if isinstance(event, CallPlaced):
        return Call(state.call_id, True, state.ended, state.transcribed)
    if isinstance(event, CallEnded):
        return Call(state.call_id, state.placed, True, state.transcribed or bool(event.turns))
    if isinstance(event, CallTranscribed):
        return Call(state.call_id, state.placed, state.ended, True)
    return state


def customer_of(record: FinishedCallRecord, pii_key: str) -> CustomerRef:
    return CustomerRef(
        lead_id=record.lead.id,
        phone_masked=mask_phone(record.lead.phone),
        name_digest=name_digest(pii_key, record.lead.name),
        birth_year=record.lead.birth_year,
    )


def finished_call_events(record: FinishedCallRecord, pii_key: str) -> tuple[CallPlaced, CallEnded]:
    customer = customer_of(record, pii_key)
    placed = CallPlaced(
        call_id=record.call_id,
        direction=record.direction,
        campaign=record.campaign,
        agent=record.agent,
        customer=customer,
        caller_number=record.caller_number,
        placed_at=record.placed_at,
    )
    ended = CallEnded(
        call_id=record.call_id,
        direction=record.direction,
        campaign=record.campaign,
        agent=record.agent,
        customer=customer,
        caller_number=record.caller_number,
        placed_at=record.placed_at,
        answered_at=record.answered_at,
        ended_at=record.ended_at,
        ring_count=record.ring_count,
        hangup_by=record.hangup_by,
        eligibility=record.eligibility,
        disposition=record.disposition,
        callback_at=record.callback_at,
        talk_seconds=record.talk_seconds,
        notes=record.notes,
        recording_uri=record.recording_uri,
        turns=record.turns,
    )
    return placed, ended


def decide_record_finished(state: Call, placed: CallPlaced, ended: CallEnded) -> list[DomainEvent]:
    """What a finished-call report adds to the call's history: only what it lacks, so the same
    report sent twice (or resumed after a crash between the two appends) records it once."""
    missing: list[DomainEvent] = []
    if not state.placed:
        missing.append(placed)
    if not state.ended:
        missing.append(ended)
    return missing
