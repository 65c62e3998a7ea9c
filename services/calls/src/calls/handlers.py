"""Command handlers: gather the facts, decide (pure, in ``domain``), append with optimistic
concurrency. No HTTP here; reads of the service's own tables go through ``queries``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any

from common.commands import Aggregate, Loader, execute, side_by_side
from common.db import READ_ONLY, read_only
from common.envelope import deterministic_event_id
from common.events.base import DomainEvent
from common.events.calls import (
    CallEnded,
    CallPlaced,
    CallRefused,
    CallTranscribed,
    CampaignSettingsChanged,
    TranscriptTurn,
    campaign_aggregate_id,
)
from common.eventstore import ConcurrencyError, EventStore
from common.phones import carrier_of, to_e164
from common.privacy import number_digest
from common.projection import checkpoint_key, read_checkpoint

from calls.context import CallsRuntime
from calls.domain.campaign import CampaignSettings, Catalogue, default_catalogue
from calls.domain.guard import evaluate
from calls.domain.history import PastCall, classify
from calls.domain.model import (
    Call,
    Classification,
    decide_record_finished,
    ended_event,
    finished_call_events,
    placed_event,
    record_differences,
    redial_for,
    refused_event,
    replay,
    same_end,
    transcript_digest,
)
from calls.domain.records import (
    EndCallRequest,
    FinishedCallRecord,
    PlaceCallRequest,
    Problem,
    end_problems,
    record_problems,
)
from calls.queries import (
    StoredSettings,
    calls_of_leads,
    campaign_settings,
    guard_inputs,
    past_calls,
    resolve_lead,
    resolve_leads,
)

OWNER = "calls"
READ_MODEL = "calls-read"
CALL = Aggregate(OWNER, "call", replay)


@dataclass(frozen=True, slots=True)
class Recorded:
    call_id: str
    written: int  # events newly appended; 0 means the call was already recorded
    version: int
    problems: list[Problem] = field(default_factory=list)  # the record was refused (422)
    # The call id was recorded before with a different body: these fields differ (409).
    conflicts: list[str] = field(default_factory=list)


def _event_ids(call_id: str, events: Sequence[DomainEvent]) -> list[str]:
    # Deterministic: a retried request carries the same ids and JetStream drops the copies.
    return [deterministic_event_id(OWNER, call_id, e.event_type) for e in events]


# --- helpers ----------------------------------------------------------------------------------


def catalogue_of(stored: StoredSettings, campaign_id: str) -> Catalogue:
    base = default_catalogue()
    catalogue = stored.settings.catalogue(base)
    if catalogue is base:
        return base
    return Catalogue(version=f"{base.version}+{campaign_id}.v{stored.version}", dispositions=catalogue.dispositions)


def classification(
    catalogue: Catalogue, disposition: str | None, *, first_contact: bool | None = None, history: Any = None
) -> Classification:
    flags = catalogue.flags_of(disposition) if disposition else []
    return Classification(flags, catalogue.version, first_contact, history)


async def wait_for_read_model(runtime: CallsRuntime, version: int) -> bool:
    """Read your own writes: wait until the calls read model has applied stream sequence
    ``version`` (so the next dial counts this one, and GET finds it). Bounded; False on timeout."""
    timeout = runtime.settings.read_your_writes_timeout
    key = checkpoint_key(READ_MODEL, runtime.names.stream(OWNER))
    deadline = time.monotonic() + timeout
    while True:
        async with runtime.session_factory() as session:
            await read_only(session)
            if await read_checkpoint(session, key) >= version:
                return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.005)


def _lead_lock(runtime: CallsRuntime, lead_id: str) -> asyncio.Lock:
    """Dials of one lead are decided one at a time in this process, so the attempt caps see
    each other (across replicas the window is the read model's lag; see docs)."""
    locks = runtime.context.lead_locks
    lock = locks.get(lead_id)
    if lock is None:
        lock = asyncio.Lock()
        locks[lead_id] = lock
    return lock


# --- a finished call in one request ---------------------------------------------------------


async def record_finished_call(
    store: EventStore,
    record: FinishedCallRecord,
    *,
    pii_key: str,
    correlation_id: str | None = None,
    settings: CampaignSettings | None = None,
    classification_: Classification | None = None,
) -> Recorded:
    settings = settings or CampaignSettings()
    placed, ended = finished_call_events(record, pii_key, classification=classification_, settings=settings)
    redial = redial_for(ended, settings)
    events: list[DomainEvent] = [placed, ended, *([redial] if redial else [])]
    try:
        # Fast path: a new call has no history, so no need to read it first.
        result = await store.append(
            events,
            expected_version=0,
            event_ids=_event_ids(record.call_id, events),
            correlation_id=correlation_id,
        )
        if result.written == len(events):
            return Recorded(record.call_id, result.written, result.version)
        # Some were in JetStream's duplicate window already (their ids come from the call id
        # alone): a retry, or the same call id with another body. The history tells which.
    except ConcurrencyError:
        pass

    def decide(state: Call) -> list[DomainEvent]:
        if record_differences(state, placed, ended):
            return []  # another body under this call id: refused below, nothing appended
        return decide_record_finished(state, placed, ended, redial)

    done = await execute(
        store,
        CALL,
        record.call_id,
        decide,
        event_ids=partial(_event_ids, record.call_id),
        correlation_id=correlation_id,
    )
    conflicts = [] if done.events else record_differences(done.state, placed, ended)
    return Recorded(record.call_id, done.written, done.new_version, conflicts=conflicts)


async def report_finished_call(
    runtime: CallsRuntime, record: FinishedCallRecord, correlation_id: str | None = None
) -> Recorded:
    """``POST /v1/calls``: validate against the campaign's catalogue, classify first or repeat
    from the lead's history, then record."""
    # Lookups only, on a Core connection (an ORM session's bookkeeping is not needed to read
    # three tables), in a read-only transaction: beside the read model's writer, not behind it.
    assert runtime.engine is not None
    async with runtime.engine.connect() as connection:
        await connection.execution_options(**{READ_ONLY: True})
        stored = await campaign_settings(connection, record.campaign.id)
        catalogue = catalogue_of(stored, record.campaign.id)
        problems = record_problems(record, catalogue)
        if problems:
            return Recorded(record.call_id, 0, 0, problems)
        _survivor, lead_ids, row = await resolve_lead(connection, record.lead.id)
        past = await past_calls(connection, lead_ids, before=record.placed_at, exclude_call=record.call_id)
    first, history = classify(past, tags=(row or {}).get("tags") or ())
    c = classification(catalogue, record.disposition, first_contact=first, history=history)
    return await record_finished_call(
        runtime.event_store,
        record,
        pii_key=runtime.settings.pii_key,
        correlation_id=correlation_id,
        settings=stored.settings,
        classification_=c,
    )


async def report_finished_calls(
    runtime: CallsRuntime, records: Sequence[FinishedCallRecord], correlation_id: str | None = None
) -> list[Recorded]:
    """``POST /v1/calls/batch``: ``report_finished_call`` for each record (distinct call ids; the
    route refuses a repeated one), answered in order. The lookups are made once for the batch
    (each campaign's settings, every lead's survivor and aliases, all their calls: a few queries
    instead of four per record) and the records are recorded side by side, each with its own
    appends and duplicate checks, so a batch sent again records nothing twice.

    A record's past calls are the read model's and the batch's own earlier calls of the same lead
    (by ``placed_at``; a call the read model holds already is taken from there), so a lead called
    twice in one batch is classified as if the two had been posted one after the other."""
    async with runtime.session_factory() as session:
        await read_only(session)  # lookups only, as report_finished_call's
        stored = {c: await campaign_settings(session, c) for c in dict.fromkeys(r.campaign.id for r in records)}
        catalogues = {c: catalogue_of(s, c) for c, s in stored.items()}
        problems = [record_problems(r, catalogues[r.campaign.id]) for r in records]
        valid = [r for r, p in zip(records, problems, strict=True) if not p]
        leads = await resolve_leads(session, {r.lead.id for r in valid})
        recorded = await calls_of_leads(session, {i for _survivor, ids, _row in leads.values() for i in ids})
    in_read_model = {call_id for calls in recorded.values() for call_id in calls}
    in_batch: dict[str, dict[str, PastCall]] = {}
    for r in valid:
        if r.call_id not in in_read_model:
            flags = catalogues[r.campaign.id].flags_of(r.disposition)
            past = PastCall(r.placed_at, r.answered_at is not None, flags, r.disposition)
            in_batch.setdefault(r.lead.id, {})[r.call_id] = past

    def classified(record: FinishedCallRecord) -> Classification:
        _survivor, lead_ids, row = leads[record.lead.id]
        past = [
            call
            for lead_id in lead_ids
            for source in (recorded, in_batch)
            for call_id, call in source.get(lead_id, {}).items()
            if call_id != record.call_id and call.placed_at < record.placed_at
        ]
        first, history = classify(past, tags=(row or {}).get("tags") or ())
        catalogue = catalogues[record.campaign.id]
        return classification(catalogue, record.disposition, first_contact=first, history=history)

    def command(record: FinishedCallRecord) -> Callable[[], Awaitable[Recorded]]:
        return partial(
            record_finished_call,
            runtime.event_store,
            record,
            pii_key=runtime.settings.pii_key,
            correlation_id=correlation_id,
            settings=stored[record.campaign.id].settings,
            classification_=classified(record),
        )

    done = iter(await side_by_side([command(r) for r in valid], concurrency=runtime.settings.batch_append_concurrency))
    return [Recorded(r.call_id, 0, 0, p) if p else next(done) for r, p in zip(records, problems, strict=True)]


# --- placing a call ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlaceOutcome:
    call_id: str
    status: str  # placed | duplicate | refused
    event: CallPlaced | CallRefused | None
    version: int = 0

    @property
    def reasons(self) -> list[str]:
        if isinstance(self.event, CallRefused):
            return self.event.reasons or [self.event.reason]
        return []


def _outcome_of(state: Call, version: int) -> PlaceOutcome:
    if state.refused_event is not None:
        return PlaceOutcome(state.call_id, "refused", state.refused_event, version)
    return PlaceOutcome(state.call_id, "duplicate", state.placed_event, version)


async def place_call(
    runtime: CallsRuntime,
    request: PlaceCallRequest,
    *,
    now: datetime | None = None,
    correlation_id: str | None = None,
) -> PlaceOutcome:
    """Dial (or register an inbound call): the guard decides, then ``CallPlaced`` or
    ``CallRefused`` is appended. The same call id again answers as the first time did."""
    now = now or datetime.now(UTC)
    pii_key = runtime.settings.pii_key
    region = runtime.settings.default_region
    digest = number_digest(pii_key, to_e164(request.number, region)) if request.number else None
    async with _lead_lock(runtime, request.lead_id):
        async with runtime.session_factory() as session:
            stored = await campaign_settings(session, request.campaign.id)
            inputs = await guard_inputs(
                session,
                lead_id=request.lead_id,
                number_id=request.number_id,
                digest=digest,
                now=now,
                agent_id=request.agent.id,
                team_id=request.agent.team,
                caller_carrier=carrier_of(request.caller_number, region),
                campaign_allowed_carriers=request.campaign.allowed_caller_carriers,
            )
            past = await past_calls(session, inputs.lead_ids, exclude_call=request.call_id)
        digest = inputs.number.digest if inputs.number and inputs.number.digest else digest
        known_masked = inputs.number.masked if inputs.number else None
        if request.number_id is None and inputs.number is not None and inputs.number.number_id:
            request = request.model_copy(update={"number_id": inputs.number.number_id})
        event: CallPlaced | CallRefused
        if request.direction == "outbound":
            verdict = evaluate(inputs.facts, stored.settings)
            if not verdict.allowed:
                event = refused_event(
                    request,
                    now=now,
                    reasons=verdict.reasons,
                    detail=verdict.detail,
                    number_digest_=digest,
                    known_masked=known_masked,
                )
                return await _append_first(runtime, event, "refused", correlation_id, wait=True)
        first, history = classify(
            past, tags=inputs.tags, visited=request.visited, attended_seminar=request.attended_seminar
        )
        catalogue = catalogue_of(stored, request.campaign.id)
        event = placed_event(
            request,
            now=now,
            pii_key=pii_key,
            number_digest_=digest,
            classification=classification(catalogue, None, first_contact=first, history=history),
            known_masked=known_masked,
        )
        return await _append_first(runtime, event, "placed", correlation_id, wait=True)


async def _append_first(
    runtime: CallsRuntime, event: CallPlaced | CallRefused, status: str, correlation_id: str | None, *, wait: bool
) -> PlaceOutcome:
    store = runtime.event_store
    try:
        result = await store.append(
            [event],
            expected_version=0,
            event_ids=_event_ids(event.call_id, [event]),
            correlation_id=correlation_id,
        )
    except ConcurrencyError:
        state, version = await CALL.load(store, event.call_id)
        return _outcome_of(state, version)
    if result.written == 0:  # the very same event inside the duplicate window
        state, version = await CALL.load(store, event.call_id)
        return _outcome_of(state, version)
    if wait:
        await wait_for_read_model(runtime, result.version)
    return PlaceOutcome(event.call_id, status, event, result.version)


# --- ending a call --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EndOutcome:
    call_id: str
    status: str  # ended | duplicate | not_found | refused_call | conflict | invalid
    problems: list[Problem] = field(default_factory=list)
    event: CallEnded | None = None
    redial_requested: bool = False
    version: int = 0


@dataclass(frozen=True, slots=True)
class Ending:
    """What ending a call is decided on: the call's history and its campaign's settings."""

    call: Call
    stored: StoredSettings | None  # None while the call was never placed


# A campaign's stored settings by campaign id (the service's table; a dict in unit tests).
SettingsOf = Callable[[str], Awaitable[StoredSettings]]


def stored_settings_of(runtime: CallsRuntime) -> SettingsOf:
    async def settings_of(campaign_id: str) -> StoredSettings:
        async with runtime.session_factory() as session:
            return await campaign_settings(session, campaign_id)

    return settings_of


def ending_loader(settings_of: SettingsOf) -> Loader[Ending]:
    async def load(store: EventStore, call_id: str) -> tuple[Ending, int]:
        state, version = await CALL.load(store, call_id)
        if state.placed_event is None:
            return Ending(state, None), version
        return Ending(state, await settings_of(state.placed_event.campaign.id)), version

    return load


def decide_end(ending: Ending, request: EndCallRequest) -> tuple[EndOutcome, list[DomainEvent]]:
    """The answer to an end request and the events it appends (none: refused, invalid, or the
    call has ended already). The versions are the caller's to fill in."""
    state, call_id = ending.call, ending.call.call_id
    if state.refused_event is not None and state.placed_event is None:
        return EndOutcome(call_id, "refused_call"), []
    placed = state.placed_event
    if placed is None or ending.stored is None:
        return EndOutcome(call_id, "not_found"), []
    stored = ending.stored
    catalogue = catalogue_of(stored, placed.campaign.id)
    problems = end_problems(
        request,
        direction=placed.direction,
        placed_at=placed.placed_at,
        heard_from=placed.heard_from,
        catalogue=catalogue,
        settings=stored.settings,
    )
    if problems:
        return EndOutcome(call_id, "invalid", problems), []
    ended = ended_event(placed, request, classification(catalogue, request.disposition), stored.settings)
    if state.ended_event is not None:
        status = "duplicate" if same_end(state.ended_event, ended) else "conflict"
        return EndOutcome(call_id, status, event=state.ended_event, redial_requested=state.redial_requested), []
    redial = redial_for(ended, stored.settings)
    return EndOutcome(call_id, "ended", event=ended, redial_requested=redial is not None), [
        ended,
        *([redial] if redial else []),
    ]


async def record_end(
    store: EventStore,
    settings_of: SettingsOf,
    call_id: str,
    request: EndCallRequest,
    correlation_id: str | None = None,
) -> EndOutcome:
    """End a placed call: ``CallEnded`` (and ``RedialRequested`` for a dropped outbound call)."""
    done = await execute(
        store,
        ending_loader(settings_of),
        call_id,
        lambda ending: decide_end(ending, request)[1],
        event_ids=partial(_event_ids, call_id),
        correlation_id=correlation_id,
        name="call",
    )
    outcome, _ = decide_end(done.state, request)
    return replace(outcome, version=done.new_version)


async def end_call(
    runtime: CallsRuntime, call_id: str, request: EndCallRequest, correlation_id: str | None = None
) -> EndOutcome:
    outcome = await record_end(runtime.event_store, stored_settings_of(runtime), call_id, request, correlation_id)
    if outcome.status == "ended":
        await wait_for_read_model(runtime, outcome.version)
    return outcome


# --- transcripts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TranscriptOutcome:
    call_id: str
    status: str  # transcribed | duplicate | not_found
    version: int = 0


async def record_transcript(
    store: EventStore,
    call_id: str,
    turns: list[TranscriptTurn],
    recording_uri: str | None,
    correlation_id: str | None = None,
) -> TranscriptOutcome:
    """ASR is slower than the call: the transcript arrives later as ``CallTranscribed``. The
    same transcript again changes nothing; a new one (a re-run of the ASR) is recorded too."""
    digest = transcript_digest(turns)

    def decide(state: Call) -> list[DomainEvent]:
        if state.placed_event is None or digest in state.transcript_digests:
            return []
        # The lead's id lets the event store seal the text with that lead's key.
        lead_id = state.placed_event.customer.lead_id
        return [CallTranscribed(call_id=call_id, turns=turns, recording_uri=recording_uri, lead_id=lead_id)]

    done = await execute(
        store,
        CALL,
        call_id,
        decide,
        event_ids=lambda _events: [deterministic_event_id(OWNER, call_id, "CallTranscribed", digest)],
        correlation_id=correlation_id,
    )
    if done.events:
        return TranscriptOutcome(call_id, "transcribed", done.new_version)
    return TranscriptOutcome(call_id, "not_found" if done.state.placed_event is None else "duplicate", done.version)


async def add_transcript(
    runtime: CallsRuntime,
    call_id: str,
    turns: list[TranscriptTurn],
    recording_uri: str | None,
    correlation_id: str | None = None,
) -> TranscriptOutcome:
    outcome = await record_transcript(runtime.event_store, call_id, turns, recording_uri, correlation_id)
    if outcome.status == "transcribed":
        await wait_for_read_model(runtime, outcome.version)
    return outcome


# --- campaign settings ------------------------------------------------------------------------


class VersionConflict(Exception):
    def __init__(self, current: int) -> None:
        super().__init__(f"the campaign settings are at version {current}")
        self.current = current


@dataclass(frozen=True, slots=True)
class CampaignState:
    version: int  # the settings' own version (0: never configured)
    document: dict[str, Any]


def campaign_state(_aggregate_id: str, events: Iterable[DomainEvent]) -> CampaignState:
    changes = [e for e in events if isinstance(e, CampaignSettingsChanged)]
    if not changes:
        return CampaignState(0, {})
    return CampaignState(changes[-1].version, dict(changes[-1].settings))


CAMPAIGN = Aggregate(OWNER, "campaign", campaign_state)


@dataclass(frozen=True, slots=True)
class CampaignStored:
    version: int  # the settings' own version
    settings: CampaignSettings
    stream_version: int  # where the change stands in the stream (read your writes)


async def store_campaign_settings(
    store: EventStore,
    campaign_id: str,
    document: dict[str, Any],
    *,
    expected_version: int | None = None,
    changed_by: str | None = None,
    merge: bool = False,
) -> CampaignStored:
    """Store a campaign's settings (the whole document, or merged into the current one).
    Raises pydantic's ``ValidationError`` for a bad document, ``VersionConflict`` when
    ``expected_version`` is not the current one (also when another writer got there first:
    the retry sees its version)."""

    def settings_after(current: CampaignState) -> CampaignSettings:
        return CampaignSettings.model_validate(_merged(current.document, document) if merge else document)

    def decide(current: CampaignState) -> list[DomainEvent]:
        if expected_version is not None and expected_version != current.version:
            raise VersionConflict(current.version)
        settings = settings_after(current)
        return [
            CampaignSettingsChanged(
                campaign_id=campaign_id,
                version=current.version + 1,
                settings=settings.model_dump(mode="json", exclude_unset=False),
                changed_by=changed_by,
                changed_at=datetime.now(UTC),
            )
        ]

    done = await execute(store, CAMPAIGN, campaign_aggregate_id(campaign_id), decide)
    return CampaignStored(done.state.version + 1, settings_after(done.state), done.new_version)


async def configure_campaign(
    runtime: CallsRuntime,
    campaign_id: str,
    document: dict[str, Any],
    *,
    expected_version: int | None = None,
    changed_by: str | None = None,
    merge: bool = False,
) -> tuple[int, CampaignSettings]:
    stored = await store_campaign_settings(
        runtime.event_store,
        campaign_id,
        document,
        expected_version=expected_version,
        changed_by=changed_by,
        merge=merge,
    )
    await wait_for_read_model(runtime, stored.stream_version)
    return stored.version, stored.settings


def _merged(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = value
    return out
