"""The call aggregate: a pure function of its events, and the decisions made on it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from common.events.base import DomainEvent
from common.events.calls import (
    CallEnded,
    CallPlaced,
    CallRefused,
    CallTranscribed,
    ContactHistory,
    CustomerRef,
    RedialRequested,
    TranscriptTurn,
    is_dropped_call,
)
from common.phones import to_e164
from common.privacy import mask_phone, name_digest, number_digest

from calls.domain.campaign import CampaignSettings
from calls.domain.records import EndCallRequest, FinishedCallRecord, PlaceCallRequest


@dataclass(frozen=True, slots=True)
class Call:
    call_id: str
    placed: bool = False
    ended: bool = False
    transcribed: bool = False
    placed_event: CallPlaced | None = None
    ended_event: CallEnded | None = None
    refused_event: CallRefused | None = None
    transcript_digests: tuple[str, ...] = ()
    redial_requested: bool = False

    @property
    def refused(self) -> bool:
        return self.refused_event is not None


def replay(call_id: str, events: Iterable[DomainEvent]) -> Call:
    state = Call(call_id)
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: Call, event: DomainEvent) -> Call:
    if isinstance(event, CallPlaced):
        return replace(state, placed=True, placed_event=event)
    if isinstance(event, CallEnded):
        digests = state.transcript_digests + ((transcript_digest(event.turns),) if event.turns else ())
        return replace(
            state,
            ended=True,
            ended_event=event,
            transcribed=state.transcribed or bool(event.turns),
            transcript_digests=digests,
        )
    if isinstance(event, CallTranscribed):
        return replace(
            state,
            transcribed=True,
            transcript_digests=(*state.transcript_digests, transcript_digest(event.turns)),
        )
    if isinstance(event, CallRefused):
        return replace(state, refused_event=event)
    if isinstance(event, RedialRequested):
        return replace(state, redial_requested=True)
    return state


def transcript_digest(turns: Sequence[TranscriptTurn]) -> str:
    body = json.dumps([t.model_dump(mode="json") for t in turns], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()[:24]


def customer_of(record: FinishedCallRecord, pii_key: str) -> CustomerRef:
    return CustomerRef(
        lead_id=record.lead.id,
        phone_masked=mask_phone(record.lead.phone),
        name_digest=name_digest(pii_key, record.lead.name),
        birth_year=record.lead.birth_year,
        number_id=record.number_id,
        number_digest=number_digest(pii_key, to_e164(record.lead.phone)),
    )


def is_dropped(
    hangup_by: str,
    placed_at: datetime,
    answered_at: datetime | None,
    ended_at: datetime,
    settings: CampaignSettings,
) -> bool:
    """The one dropped-call rule (``common.events.calls.is_dropped_call``) with the campaign's
    window; every call is judged, inbound too, and the verdict travels as ``CallEnded.dropped``."""
    return is_dropped_call(hangup_by, placed_at, answered_at, ended_at, settings.dropped_call_seconds)


def is_slow_answer(direction: str, ring_count: int | None, settings: CampaignSettings) -> bool | None:
    """Inbound calls are answered within 3 rings (domain section 2); more is recorded for QA."""
    if direction != "inbound" or ring_count is None:
        return None
    return ring_count > settings.inbound_max_rings


@dataclass(frozen=True, slots=True)
class Classification:
    """What the service adds to a call from its catalogue, settings and the lead's history."""

    flags: list[str]
    catalogue_version: str
    first_contact: bool | None = None
    history: ContactHistory | None = None


def redial_for(ended: CallEnded, settings: CampaignSettings) -> RedialRequested | None:
    if ended.direction != "outbound":
        return None
    if not is_dropped(ended.hangup_by, ended.placed_at, ended.answered_at, ended.ended_at, settings):
        return None
    return RedialRequested(
        call_id=ended.call_id,
        lead_id=ended.customer.lead_id,
        campaign_id=ended.campaign.id,
        agent=ended.agent,
        number_id=ended.customer.number_id,
        number_digest=ended.customer.number_digest,
        reason="dropped",
        not_before=ended.ended_at,
        requested_at=ended.ended_at,
    )


def finished_call_events(
    record: FinishedCallRecord,
    pii_key: str,
    *,
    classification: Classification | None = None,
    settings: CampaignSettings | None = None,
) -> tuple[CallPlaced, CallEnded]:
    settings = settings or CampaignSettings()
    customer = customer_of(record, pii_key)
    c = classification
    placed = CallPlaced(
        call_id=record.call_id,
        direction=record.direction,
        campaign=record.campaign,
        agent=record.agent,
        customer=customer,
        caller_number=record.caller_number,
        placed_at=record.placed_at,
        first_contact=c.first_contact if c else None,
        contact=_contact(c.first_contact) if c else None,
        history=c.history if c else None,
        heard_from=record.heard_from,
        source="partner_report",
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
        appointment_at=record.appointment_at,
        talk_seconds=record.talk_seconds,
        notes=record.notes,
        recording_uri=record.recording_uri,
        turns=record.turns,
        disposition_flags=c.flags if c else None,
        catalogue_version=c.catalogue_version if c else None,
        first_contact=c.first_contact if c else None,
        heard_from=record.heard_from,
        need=record.need,
        slow_answer=is_slow_answer(record.direction, record.ring_count, settings),
        dropped=is_dropped(record.hangup_by, record.placed_at, record.answered_at, record.ended_at, settings),
    )
    return placed, ended


def _contact(first: bool | None) -> str | None:
    return None if first is None else ("first" if first else "repeat")


def decide_record_finished(
    state: Call, placed: CallPlaced, ended: CallEnded, redial: RedialRequested | None = None
) -> list[DomainEvent]:
    """What a finished-call report adds to the call's history: only what it lacks, so the same
    report sent twice (or resumed after a crash between the two appends) records it once."""
    missing: list[DomainEvent] = []
    if not state.placed:
        missing.append(placed)
    if not state.ended:
        missing.append(ended)
    if redial is not None and not state.redial_requested:
        missing.append(redial)
    return missing


def placed_event(
    request: PlaceCallRequest,
    *,
    now: datetime,
    pii_key: str,
    number_digest_: str | None,
    classification: Classification,
    known_masked: str | None = None,
) -> CallPlaced:
    """``known_masked``: the number as the guard's copy of the lead shows it, for a dial by
    number id (the request then carries no number to mask)."""
    masked = mask_phone(request.number) if request.number else known_masked
    return CallPlaced(
        call_id=request.call_id,
        direction=request.direction,
        campaign=request.campaign,
        agent=request.agent,
        customer=CustomerRef(
            lead_id=request.lead_id,
            phone_masked=masked,
            number_id=request.number_id,
            number_digest=number_digest_,
        ),
        caller_number=request.caller_number,
        placed_at=now,
        first_contact=classification.first_contact,
        contact=_contact(classification.first_contact),
        history=classification.history,
        heard_from=request.heard_from,
        source=request.source or ("inbound" if request.direction == "inbound" else "dialer"),
    )


def refused_event(
    request: PlaceCallRequest,
    *,
    now: datetime,
    reasons: list[str],
    detail: str | None,
    number_digest_: str | None,
    known_masked: str | None = None,
) -> CallRefused:
    return CallRefused(
        call_id=request.call_id,
        campaign_id=request.campaign.id,
        agent=request.agent,
        lead_id=request.lead_id,
        reason=reasons[0],
        reasons=reasons,
        detail=detail,
        refused_at=now,
        team_id=request.agent.team,
        number_id=request.number_id,
        number_digest=number_digest_,
        phone_masked=mask_phone(request.number) if request.number else known_masked,
    )


def ended_event(
    placed: CallPlaced, request: EndCallRequest, classification: Classification, settings: CampaignSettings
) -> CallEnded:
    """The end of a placed call; ``request`` has passed ``end_problems``."""
    assert request.ended_at is not None and request.hangup_by is not None and request.disposition is not None
    talk = (request.ended_at - request.answered_at).total_seconds() if request.answered_at else 0.0
    heard_from = request.heard_from or placed.heard_from
    return CallEnded(
        call_id=placed.call_id,
        direction=placed.direction,
        campaign=placed.campaign,
        agent=placed.agent,
        customer=placed.customer,
        caller_number=placed.caller_number,
        placed_at=placed.placed_at,
        answered_at=request.answered_at,
        ended_at=request.ended_at,
        ring_count=request.ring_count,
        hangup_by=request.hangup_by,
        eligibility=request.eligibility or "unknown",
        disposition=request.disposition,
        callback_at=request.callback_at,
        appointment_at=request.appointment_at,
        talk_seconds=talk,
        notes=request.notes,
        recording_uri=request.recording_uri,
        turns=request.turns,
        disposition_flags=classification.flags,
        catalogue_version=classification.catalogue_version,
        first_contact=placed.first_contact,
        heard_from=heard_from,
        need=request.need,
        slow_answer=is_slow_answer(placed.direction, request.ring_count, settings),
        dropped=is_dropped(request.hangup_by, placed.placed_at, request.answered_at, request.ended_at, settings),
    )


# What a partner's finished-call record says, field by field, as the stored events keep it
# (the record's own field names, so a 409 names what the partner changed). Fields the platform
# derives (first contact, flags, talk time) are not the partner's to differ in.
_RECORD_FIELDS_IN_PLACED: dict[str, Callable[[CallPlaced], object]] = {
    "direction": lambda e: e.direction,
    "campaign": lambda e: e.campaign.model_dump(mode="json"),
    "agent": lambda e: e.agent.model_dump(mode="json"),
    "lead.id": lambda e: e.customer.lead_id,
    "lead.phone": lambda e: e.customer.number_digest,
    "lead.name": lambda e: e.customer.name_digest,
    "lead.birth_year": lambda e: e.customer.birth_year,
    "caller_number": lambda e: e.caller_number,
    "placed_at": lambda e: e.placed_at,
}
_RECORD_FIELDS_IN_ENDED: dict[str, Callable[[CallEnded], object]] = {
    name: (lambda n: lambda e: getattr(e, n))(name)
    for name in (
        "answered_at",
        "ended_at",
        "ring_count",
        "hangup_by",
        "eligibility",
        "disposition",
        "callback_at",
        "appointment_at",
        "notes",
        "recording_uri",
        "heard_from",
        "need",
    )
}


def record_differences(state: Call, placed: CallPlaced, ended: CallEnded) -> list[str]:
    """The fields in which a finished-call record differs from the one already recorded under
    its call id (empty: the same record again, an idempotent retry)."""
    differ: list[str] = []
    if state.placed_event is not None:
        differ += [n for n, get in _RECORD_FIELDS_IN_PLACED.items() if get(state.placed_event) != get(placed)]
    if state.ended_event is not None:
        differ += [n for n, get in _RECORD_FIELDS_IN_ENDED.items() if get(state.ended_event) != get(ended)]
        stored_turns = [t.model_dump(mode="json") for t in state.ended_event.turns]
        if stored_turns != [t.model_dump(mode="json") for t in ended.turns]:
            differ.append("turns")
    if state.refused_event is not None:
        differ.append("call_id (a refused dial)")
    return differ


def same_end(existing: CallEnded, candidate: CallEnded) -> bool:
    """Is a repeated end-of-call request the same record (idempotent) or a different one?"""
    keys = ("answered_at", "ended_at", "hangup_by", "disposition", "ring_count", "callback_at", "appointment_at")
    return all(getattr(existing, k) == getattr(candidate, k) for k in keys)
