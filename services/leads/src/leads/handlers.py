"""Command handlers: load the lead, decide, append with optimistic concurrency.

The personal data a decision needs (the raw number to recognise a person, the name) is in the
leads database, written here in the same request: the events carry only masked numbers and
digests. Order of writes for a new lead: the personal-data rows first (their unique
``match_key`` reserves the number, so two concurrent imports of the same person cannot both
create it), then the events. If the append fails the rows are removed again; if the process
dies in between, the rows point at a lead with no events, and the next command that finds them
finishes the creation (``_finish_orphan``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import reduce

from common.commands import Aggregate, EventIds, Executed, execute
from common.db import checkpoint_wal
from common.envelope import deterministic_event_id
from common.events.base import DomainEvent
from common.events.leads import DncEntryAdded, DncEntryRemoved, LeadNumber, LeadProfile
from common.eventstore import ConcurrencyError, EventStore
from common.outbox import Command, CommandHandler
from common.privacy import name_digest, number_digest
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from leads.domain.importing import DraftNumber, LeadDraft
from leads.domain.lead import (
    AssignAction,
    CallOutcome,
    InvalidCommand,
    Lead,
    LeadError,
    LeadNotFound,
    OwnershipConflict,
    decide_assign,
    decide_call_outcome,
    decide_create,
    decide_delete,
    decide_erase_personal_data,
    decide_flag,
    decide_lift_opt_out,
    decide_merge,
    decide_opt_out,
    decide_resolve_flags,
    decide_update,
    evolve,
    replay,
)
from leads.domain.outcomes import OptOutDecision
from leads.domain.phones import NormalisedNumber, masked, normalise
from leads.settings import LeadsSettings
from leads.tables import call_attempt, dnc_entry, import_fingerprint, lead_number_pii, lead_pii
from leads.tables import lead_number as lead_number_view

OWNER = "leads"
RETRIES = 5


def now_utc() -> datetime:
    return datetime.now(UTC)


def new_lead_id() -> str:
    return "ld-" + uuid.uuid4().hex[:20]


def new_number_id() -> str:
    return "n-" + uuid.uuid4().hex[:16]


@dataclass
class LeadsContext:
    """What every handler needs; built from the runtime (or by hand in a test)."""

    store: EventStore
    sessions: async_sessionmaker[AsyncSession]
    settings: LeadsSettings

    @property
    def pii_key(self) -> str:
        return self.settings.pii_key


@dataclass
class Outcome:
    status: str  # created | merged | duplicate | updated | unchanged
    lead_id: str
    state: Lead
    events: list[DomainEvent] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str | None:
        return "; ".join(self.notes) or None


# --- building blocks --------------------------------------------------------------------------


def match_key(number: NormalisedNumber, person_digest: str | None) -> str:
    """A mobile is one person; a landline is shared, so it only identifies with the name."""
    if number.is_mobile:
        return "m:" + number.e164
    return f"l:{person_digest or ''}:{number.e164}"


def lead_number(draft: DraftNumber, pii_key: str, number_id: str | None = None) -> LeadNumber:
    n = draft.number
    return LeadNumber(
        number_id=number_id or new_number_id(),
        kind=draft.kind,
        masked=masked(n),
        number_digest=number_digest(pii_key, n.e164),
        carrier=n.carrier,
        region=n.region,
        timezone=n.timezone,
        area=n.area,
    )


def salted_ids(lead_id: str, salt: str) -> EventIds:
    """Deterministic event ids for a command that may run twice (a reaction to one call, a
    merge): the retried append inside JetStream's duplicate window is dropped."""

    def ids(events: Sequence[DomainEvent]) -> list[str]:
        return [deterministic_event_id(OWNER, lead_id, salt, e.event_type, str(i)) for i, e in enumerate(events)]

    return ids


LEAD = Aggregate(OWNER, "lead", replay)


def after(done: Executed[Lead]) -> Lead:
    """The lead once the command's events are applied."""
    return reduce(evolve, done.events, done.state)


async def load(store: EventStore, lead_id: str) -> tuple[Lead, int]:
    return await LEAD.load(store, lead_id)


async def require_lead(store: EventStore, lead_id: str) -> Lead:
    state, _ = await load(store, lead_id)
    state.require_live()
    return state


async def active_dnc_digests(
    session: AsyncSession, digests: Iterable[str], now: datetime
) -> dict[str, dict[str, object]]:
    """Listed numbers (regulator or company list) among ``digests``: digest -> entry."""
    wanted = list(set(digests))
    if not wanted:
        return {}
    rows = (
        (
            await session.execute(
                select(dnc_entry).where(
                    dnc_entry.c.kind == "number",
                    dnc_entry.c.number_digest.in_(wanted),
                    dnc_entry.c.removed_at.is_(None),
                    or_(dnc_entry.c.until.is_(None), dnc_entry.c.until > now),
                )
            )
        )
        .mappings()
        .all()
    )
    return {str(r["number_digest"]): dict(r) for r in rows}


def dnc_events_for_new_lead(state: Lead, listed: dict[str, dict[str, object]], now: datetime) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    for number in state.numbers:
        entry = listed.get(number.number_digest)
        if entry is None:
            continue
        until = entry["until"]
        decided = decide_opt_out(
            state,
            now=now,
            number_id=number.number_id,
            reason=str(entry["reason"]),
            source=str(entry["source"]),
            until=until if isinstance(until, datetime) and until > now else None,
        )
        for event in decided:
            state = evolve(state, event)
        events.extend(decided)
    return events


# --- create or merge ------------------------------------------------------------------------


async def _matching_leads(session: AsyncSession, keys: Sequence[str]) -> list[str]:
    """Leads holding any of the keys, oldest first (the oldest survives a merge)."""
    rows = (
        await session.execute(
            select(lead_number_pii.c.lead_id, lead_pii.c.created_at)
            .join(lead_pii, lead_pii.c.lead_id == lead_number_pii.c.lead_id, isouter=True)
            .where(lead_number_pii.c.match_key.in_(list(keys)))
        )
    ).all()
    ordered = sorted({(r[1] or now_utc(), r[0]) for r in rows})
    seen: list[str] = []
    for _created, lead_id in ordered:
        if lead_id not in seen:
            seen.append(lead_id)
    return seen


async def _insert_pii(
    session: AsyncSession,
    lead_id: str,
    name: str | None,
    person_digest: str | None,
    numbers: Sequence[tuple[LeadNumber, NormalisedNumber]],
    now: datetime,
) -> None:
    if name is not None:
        await session.execute(
            lead_pii.insert().values(
                lead_id=lead_id, full_name=name, name_digest=person_digest, created_at=now, updated_at=now
            )
        )
    if numbers:
        await session.execute(
            lead_number_pii.insert(),
            [
                {
                    "number_id": n.number_id,
                    "lead_id": lead_id,
                    "e164": raw.e164,
                    "kind": n.kind,
                    "match_key": match_key(raw, person_digest),
                }
                for n, raw in numbers
            ],
        )


async def _remove_pii(
    sessions: async_sessionmaker[AsyncSession], lead_id: str | None, number_ids: Sequence[str]
) -> None:
    async with sessions() as session, session.begin():
        if number_ids:
            await session.execute(delete(lead_number_pii).where(lead_number_pii.c.number_id.in_(list(number_ids))))
        if lead_id is not None:
            await session.execute(delete(lead_pii).where(lead_pii.c.lead_id == lead_id))


async def _referral_owner(ctx: LeadsContext, draft: LeadDraft) -> tuple[str | None, str | None, bool]:
    """(owner agent, owner team, is referral): a referred customer belongs to the referrer's agent."""
    referrer_id = draft.profile.referred_by_lead_id
    if not referrer_id:
        return draft.owner_agent_id, draft.owner_team_id, False
    referrer, _ = await load(ctx.store, referrer_id)
    if not referrer.created:
        raise InvalidCommand("referred_by_lead_id", f"unknown lead {referrer_id}")
    if referrer.merged_into:
        referrer, _ = await load(ctx.store, referrer.merged_into)
    if referrer.owner_agent_id is None:
        return draft.owner_agent_id, draft.owner_team_id or referrer.owner_team_id, False
    if draft.owner_agent_id not in (None, referrer.owner_agent_id):
        raise OwnershipConflict(referrer.lead_id, referrer.owner_agent_id, referrer.owner_team_id)
    return referrer.owner_agent_id, referrer.owner_team_id, True


async def create_or_merge(
    ctx: LeadsContext, draft: LeadDraft, *, strict_owner: bool = False, correlation_id: str | None = None
) -> Outcome:
    """A new lead, or the person already known (same mobile number, or same landline with the
    same name) brought up to date; two leads the draft shows to be one person are merged.

    ``strict_owner``: a draft naming another owner than the existing lead's is refused
    (``OwnershipConflict``, the API's 409) rather than merged with a flag (the import's way)."""
    person_digest = name_digest(ctx.pii_key, draft.name)
    keys = [match_key(d.number, person_digest) for d in draft.numbers]
    for _attempt in range(RETRIES):
        async with ctx.sessions() as session:
            existing = await _matching_leads(session, keys)
        if not existing:
            try:
                return await _create(ctx, draft, person_digest, correlation_id)
            except IntegrityError:
                continue  # someone created this person a moment ago: merge into theirs
        try:
            return await _merge_into_existing(ctx, draft, person_digest, existing, strict_owner, correlation_id)
        except IntegrityError:
            continue
    raise ConcurrencyError("the same person is being imported concurrently; try again")


async def _create(
    ctx: LeadsContext, draft: LeadDraft, person_digest: str | None, correlation_id: str | None
) -> Outcome:
    owner_agent, owner_team, referral = await _referral_owner(ctx, draft)
    lead_id = new_lead_id()
    now = now_utc()
    numbers = [(lead_number(d, ctx.pii_key), d.number) for d in draft.numbers]
    async with ctx.sessions() as session, session.begin():
        await _insert_pii(session, lead_id, draft.name, person_digest, numbers, now)
        listed = await active_dnc_digests(session, (n.number_digest for n, _ in numbers), now)
    try:
        events = decide_create(
            lead_id,
            [n for n, _ in numbers],
            draft.profile,
            now=now,
            owner_agent_id=None if referral else owner_agent,
            owner_team_id=owner_team,
        )
        state = evolve(Lead(lead_id), events[0])
        if referral and owner_agent is not None:
            assigned = decide_assign(state, "assign", now=now, agent_id=owner_agent, team_id=owner_team, referral=True)
            for event in assigned:
                state = evolve(state, event)
            events.extend(assigned)
        dnc = dnc_events_for_new_lead(state, listed, now)
        for event in dnc:
            state = evolve(state, event)
        events.extend(dnc)
        await ctx.store.append(
            events,
            expected_version=0,
            event_ids=salted_ids(lead_id, "create")(events),
            correlation_id=correlation_id,
        )
    except BaseException:
        await _remove_pii(ctx.sessions, lead_id, [n.number_id for n, _ in numbers])
        raise
    notes = [*draft.warnings]
    if dnc:
        notes.append("number on the do-not-call list")
    return Outcome("created", lead_id, state, events, notes)


async def _finish_orphan(ctx: LeadsContext, lead_id: str, correlation_id: str | None) -> Lead:
    """Personal-data rows whose events never got written (the process died in between): write
    the creation now from what the rows hold."""
    async with ctx.sessions() as session:
        rows = (await session.execute(select(lead_number_pii).where(lead_number_pii.c.lead_id == lead_id))).all()
    numbers = []
    for row in rows:
        normalised = normalise(row.e164, ctx.settings.default_region, ctx.settings.default_timezone)
        numbers.append(lead_number(DraftNumber(normalised, row.kind), ctx.pii_key, row.number_id))
    profile = LeadProfile(timezone=numbers[0].timezone or ctx.settings.default_timezone) if numbers else LeadProfile()

    def decide(state: Lead) -> list[DomainEvent]:
        return decide_create(lead_id, numbers, profile, now=now_utc(), state=state)

    done = await execute(
        ctx.store, LEAD, lead_id, decide, event_ids=salted_ids(lead_id, "create"), correlation_id=correlation_id
    )
    return after(done)


async def _merge_into_existing(
    ctx: LeadsContext,
    draft: LeadDraft,
    person_digest: str | None,
    existing: list[str],
    strict_owner: bool,
    correlation_id: str | None,
) -> Outcome:
    survivor_id, absorbed_ids = existing[0], existing[1:]
    notes = [*draft.warnings]
    survivor, _ = await load(ctx.store, survivor_id)
    if not survivor.created:
        survivor = await _finish_orphan(ctx, survivor_id, correlation_id)
    if survivor.merged_into:
        survivor_id = survivor.merged_into
        survivor, _ = await load(ctx.store, survivor_id)
    all_events: list[DomainEvent] = []
    status = "duplicate"
    for absorbed_id in absorbed_ids:
        if absorbed_id == survivor_id:
            continue
        merged = await merge_leads(ctx, survivor_id, absorbed_id, correlation_id=correlation_id)
        if merged.events:
            status = "merged"
            notes.append(f"merged lead {absorbed_id} into {survivor_id}")
            all_events.extend(merged.events)
        survivor = merged.state
    if strict_owner and draft.owner_agent_id and survivor.owner_agent_id not in (None, draft.owner_agent_id):
        raise OwnershipConflict(survivor_id, survivor.owner_agent_id or "", survivor.owner_team_id)
    known = {n.number_digest for n in survivor.numbers}
    new_numbers = [
        (lead_number(d, ctx.pii_key), d.number)
        for d in draft.numbers
        if number_digest(ctx.pii_key, d.number.e164) not in known
    ]
    now = now_utc()
    if new_numbers:
        async with ctx.sessions() as session, session.begin():
            await _insert_pii(session, survivor_id, None, person_digest, new_numbers, now)
    try:
        async with ctx.sessions() as session:
            listed = await active_dnc_digests(session, (n.number_digest for n, _ in new_numbers), now)
            stored_name = (
                await session.execute(select(lead_pii.c.name_digest).where(lead_pii.c.lead_id == survivor_id))
            ).scalar_one_or_none()
        if stored_name is not None and person_digest is not None and stored_name != person_digest:
            notes.append("name differs from the existing lead's; the existing name is kept")

        def decide(state: Lead) -> list[DomainEvent]:
            t = now_utc()
            events = decide_update(
                state, now=t, numbers=[n for n, _ in new_numbers], profile=draft.profile, overwrite=False
            )
            for event in events:
                state = evolve(state, event)
            if draft.owner_agent_id and state.owner_agent_id is None:
                assigned = decide_assign(
                    state, "assign", now=t, agent_id=draft.owner_agent_id, team_id=draft.owner_team_id
                )
                for event in assigned:
                    state = evolve(state, event)
                events.extend(assigned)
            elif draft.owner_agent_id and state.owner_agent_id != draft.owner_agent_id:
                events.extend(
                    decide_flag(
                        state,
                        "ownership_conflict",
                        now=t,
                        reason=f"imported again for agent {draft.owner_agent_id}; "
                        f"owned by agent {state.owner_agent_id}",
                    )
                )
            events.extend(dnc_events_for_new_lead(state, listed, t))
            return events

        done = await execute(ctx.store, LEAD, survivor_id, decide, correlation_id=correlation_id)
        survivor, events = after(done), done.events
    except BaseException:
        if new_numbers:
            await _remove_pii(ctx.sessions, None, [n.number_id for n, _ in new_numbers])
        raise
    if draft.owner_agent_id and survivor.owner_agent_id != draft.owner_agent_id:
        notes.append(f"owned by agent {survivor.owner_agent_id}; not reassigned")
    if events:
        status = "merged"
        all_events.extend(events)
    return Outcome(status, survivor_id, survivor, all_events, notes)


async def merge_leads(
    ctx: LeadsContext, survivor_id: str, absorbed_id: str, *, correlation_id: str | None = None
) -> Outcome:
    """``absorbed_id`` is the same person as ``survivor_id``: append the merge to both leads and
    move the personal-data rows. The absorbed lead's tombstone is written first, so a crash in
    between leaves a lead that refuses commands (and points at the survivor) rather than two
    live copies; the survivor's side is then idempotent to re-run."""
    survivor, _ = await load(ctx.store, survivor_id)
    absorbed, absorbed_version = await load(ctx.store, absorbed_id)
    _, tombstone = decide_merge(survivor, absorbed, now=now_utc())
    if tombstone:
        await ctx.store.append(tombstone, expected_version=absorbed_version, correlation_id=correlation_id)
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            update(lead_number_pii).where(lead_number_pii.c.lead_id == absorbed_id).values(lead_id=survivor_id)
        )

    def decide(state: Lead) -> list[DomainEvent]:
        mine, _ = decide_merge(state, absorbed, now=now_utc())
        return mine

    done = await execute(
        ctx.store,
        LEAD,
        survivor_id,
        decide,
        event_ids=salted_ids(survivor_id, f"merge:{absorbed_id}"),
        correlation_id=correlation_id,
    )
    return Outcome("merged" if done.events else "unchanged", survivor_id, after(done), done.events)


# --- other commands -------------------------------------------------------------------------


async def update_lead(
    ctx: LeadsContext,
    lead_id: str,
    *,
    name: str | None = None,
    numbers: Sequence[DraftNumber] = (),
    remove_number_ids: Sequence[str] = (),
    profile_fields: dict[str, object] | None = None,
    correlation_id: str | None = None,
) -> Outcome:
    """An edit: profile fields replace the current ones, numbers are added or removed, the name
    corrected. Correcting the name or a number resolves the matching clean-up flags."""
    state = await require_lead(ctx.store, lead_id)
    now = now_utc()
    async with ctx.sessions() as session:
        row = (await session.execute(select(lead_pii).where(lead_pii.c.lead_id == lead_id))).mappings().first()
    person_digest = name_digest(ctx.pii_key, name) if name else (row["name_digest"] if row else None)
    known = {n.number_digest for n in state.numbers}
    new_numbers = [
        (lead_number(d, ctx.pii_key), d.number)
        for d in numbers
        if number_digest(ctx.pii_key, d.number.e164) not in known
    ]
    async with ctx.sessions() as session, session.begin():
        if name:
            if row is None:
                await session.execute(
                    lead_pii.insert().values(
                        lead_id=lead_id,
                        full_name=name,
                        name_digest=person_digest,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                await session.execute(
                    update(lead_pii)
                    .where(lead_pii.c.lead_id == lead_id)
                    .values(full_name=name, name_digest=person_digest, updated_at=now)
                )
        if new_numbers:
            await _insert_pii(session, lead_id, None, person_digest, new_numbers, now)
    profile = (
        LeadProfile.model_validate({**state.profile.model_dump(), **(profile_fields or {})}) if profile_fields else None
    )

    def decide(current: Lead) -> list[DomainEvent]:
        t = now_utc()
        events = decide_update(
            current,
            now=t,
            numbers=[n for n, _ in new_numbers],
            profile=profile,
            overwrite=True,
            given=(profile_fields or {}).keys(),
            remove_number_ids=remove_number_ids,
        )
        for event in events:
            current = evolve(current, event)
        resolved: set[str] = set()
        if name:
            resolved.add("wrong_person")
        if new_numbers or remove_number_ids:
            resolved.add("invalid_number")
        if resolved:
            events.extend(decide_resolve_flags(current, now=t, flags=resolved))
        return events

    try:
        done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    except BaseException:
        if new_numbers:
            await _remove_pii(ctx.sessions, None, [n.number_id for n, _ in new_numbers])
        raise
    if remove_number_ids:
        async with ctx.sessions() as session, session.begin():
            await session.execute(
                delete(lead_number_pii).where(
                    and_(
                        lead_number_pii.c.lead_id == lead_id,
                        lead_number_pii.c.number_id.in_(list(remove_number_ids)),
                    )
                )
            )
    changed = bool(done.events) or bool(name and row and row["full_name"] != name)
    return Outcome("updated" if changed else "unchanged", lead_id, after(done), done.events)


async def assign_lead(
    ctx: LeadsContext,
    lead_id: str,
    action: AssignAction,
    *,
    agent_id: str | None,
    team_id: str | None,
    correlation_id: str | None = None,
) -> Outcome:
    def decide(state: Lead) -> list[DomainEvent]:
        return decide_assign(state, action, now=now_utc(), agent_id=agent_id, team_id=team_id)

    done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    return Outcome("updated" if done.events else "unchanged", lead_id, after(done), done.events)


async def opt_out_lead(
    ctx: LeadsContext,
    lead_id: str,
    *,
    reason: str,
    source: str,
    until: datetime | None,
    number_id: str | None = None,
    call_id: str | None = None,
    correlation_id: str | None = None,
) -> Outcome:
    def decide(state: Lead) -> list[DomainEvent]:
        return decide_opt_out(
            state,
            now=now_utc(),
            reason=reason,
            source=source,
            until=until,
            number_id=number_id,
            call_id=call_id,
        )

    done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    return Outcome("updated" if done.events else "unchanged", lead_id, after(done), done.events)


async def lift_opt_out(
    ctx: LeadsContext,
    lead_id: str,
    *,
    reason: str,
    number_id: str | None = None,
    correlation_id: str | None = None,
) -> Outcome:
    def decide(state: Lead) -> list[DomainEvent]:
        return decide_lift_opt_out(state, now=now_utc(), reason=reason, number_id=number_id)

    done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    return Outcome("updated" if done.events else "unchanged", lead_id, after(done), done.events)


async def delete_lead(ctx: LeadsContext, lead_id: str, *, reason: str, correlation_id: str | None = None) -> Outcome:
    """Erase a lead: ``LeadDeleted`` for everyone, and its personal data removed from this
    database (the events never held any)."""

    def decide(state: Lead) -> list[DomainEvent]:
        return decide_delete(state, now=now_utc(), reason=reason)

    done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    async with ctx.sessions() as session, session.begin():
        await session.execute(delete(lead_number_pii).where(lead_number_pii.c.lead_id == lead_id))
        await session.execute(delete(lead_pii).where(lead_pii.c.lead_id == lead_id))
    return Outcome("deleted" if done.events else "unchanged", lead_id, after(done), done.events)


class PersonalDataKeysUnavailable(RuntimeError):
    """The service runs without the key grant (no key store): it cannot destroy a lead's key."""


async def erase_personal_data(
    ctx: LeadsContext, lead_id: str, *, erased_by: str | None = None, correlation_id: str | None = None
) -> Outcome:
    """Crypto-shred a lead (PIPL/GDPR erasure): destroy its data key, and the keys of the leads
    merged into it (the same person), then tell every service (``LeadPersonalDataErased``, ids
    only) so each scrubs what its projections hold; remove the name and numbers from this
    database and fold the SQLite write-ahead log so their bytes are gone from the files too.

    The key goes first: if the process dies after it, a retry finds the lead not yet marked
    erased and completes the rest; the other way round a crash would leave every sealed value
    readable behind an "erased" lead. Raises ``LeadNotFound`` for a lead that never existed."""
    keys = ctx.store.personal
    if keys is None:
        raise PersonalDataKeysUnavailable("the leads service holds no key store")
    state, _version = await load(ctx.store, lead_id)
    if not state.created:
        raise LeadNotFound(lead_id)
    for owner_of_data in sorted({lead_id, *state.merged_from}):
        await keys.erase(owner_of_data)

    def decide(current: Lead) -> list[DomainEvent]:
        return decide_erase_personal_data(current, now=now_utc(), erased_by=erased_by)

    done = await execute(ctx.store, LEAD, lead_id, decide, correlation_id=correlation_id)
    async with ctx.sessions() as session:
        async with session.begin():
            await session.execute(delete(lead_number_pii).where(lead_number_pii.c.lead_id == lead_id))
            await session.execute(delete(lead_pii).where(lead_pii.c.lead_id == lead_id))
            # A digest of the imported row (name and numbers) that led to this lead.
            await session.execute(delete(import_fingerprint).where(import_fingerprint.c.lead_id == lead_id))
        await checkpoint_wal(session)
    return Outcome("erased" if done.events else "unchanged", lead_id, after(done), done.events)


# --- the do-not-call list -------------------------------------------------------------------


def dnc_entry_id(digest: str) -> str:
    return "dnc-" + digest[:24]


@dataclass
class DncAdded:
    entry_id: str
    masked: str
    status: str  # added | unchanged
    leads: list[str]


async def add_dnc_number(
    ctx: LeadsContext,
    number: NormalisedNumber,
    *,
    source: str,
    reason: str,
    until: datetime | None,
    correlation_id: str | None = None,
) -> DncAdded:
    """Put a number on the list (one entry per number: adding it again replaces the entry), and
    opt out that number on every lead that has it."""
    digest = number_digest(ctx.pii_key, number.e164)
    entry_id = dnc_entry_id(digest)
    shown = masked(number)
    now = now_utc()
    history = await ctx.store.load(OWNER, entry_id)
    current: DncEntryAdded | None = None
    for stored in history.events:
        if isinstance(stored.event, DncEntryAdded):
            current = stored.event
        elif isinstance(stored.event, DncEntryRemoved):
            current = None
    same = current is not None and current.source == source and current.until == until
    if not same:
        await ctx.store.append(
            [
                DncEntryAdded(
                    entry_id=entry_id,
                    number_digest=digest,
                    masked=shown,
                    source=source,
                    reason=reason,
                    until=until,
                    added_at=now,
                )
            ],
            expected_version=history.version,
            correlation_id=correlation_id,
        )
    async with ctx.sessions() as session:
        holders = (
            await session.execute(
                select(lead_number_pii.c.lead_id, lead_number_pii.c.number_id).where(
                    lead_number_pii.c.e164 == number.e164
                )
            )
        ).all()
    affected: list[str] = []
    for lead_id, number_id in holders:
        try:
            outcome = await opt_out_lead(
                ctx,
                lead_id,
                reason=reason,
                source=source,
                until=until,
                number_id=number_id,
                correlation_id=correlation_id,
            )
        except LeadError:
            continue  # a lead merged away or never finished: its survivor holds the number
        if outcome.events:
            affected.append(lead_id)
    return DncAdded(entry_id, shown, "unchanged" if same else "added", affected)


async def remove_dnc_entry(ctx: LeadsContext, entry_id: str, *, reason: str, correlation_id: str | None = None) -> bool:
    """Take a listed number off the list; the opt-outs it caused on leads are lifted too."""
    history = await ctx.store.load(OWNER, entry_id)
    current: DncEntryAdded | None = None
    for stored in history.events:
        if isinstance(stored.event, DncEntryAdded):
            current = stored.event
        elif isinstance(stored.event, DncEntryRemoved):
            current = None
    if current is None:
        return False
    await ctx.store.append(
        [DncEntryRemoved(entry_id=entry_id, reason=reason, removed_at=now_utc())],
        expected_version=history.version,
        correlation_id=correlation_id,
    )
    async with ctx.sessions() as session:
        holders = (
            await session.execute(
                select(lead_number_view.c.lead_id, lead_number_view.c.number_id).where(
                    lead_number_view.c.number_digest == current.number_digest
                )
            )
        ).all()
    for lead_id, number_id in holders:
        try:
            await lift_opt_out(ctx, lead_id, reason=reason, number_id=number_id, correlation_id=correlation_id)
        except LeadError:
            continue
    return True


def rest_until(settings: LeadsSettings, start: datetime) -> datetime:
    return start + timedelta(days=settings.rest_days)


# --- commands the call-outcome reactor queues (``leads.projection.CallOutcomes``) ---------------
# The reactor decides *that* a finished call (or a QA refusal finding) acts on a lead inside its
# projection transaction, and queues the command in the outbox (``common.outbox``); the drainer
# runs it here after the commit, through the same load-decide-append loop as every command, so
# the lead's expected version is checked against its real history. Event ids are salted with
# the call (or finding), so a re-run after a crash appends nothing new.

RECORD_CALL_OUTCOME = "leads.record_call_outcome"
OPT_OUT_AFTER_REFUSALS = "leads.opt_out_after_refusals"


def dialled_number(state: Lead, digest: str | None, phone_masked: str | None) -> str | None:
    """Which of the lead's numbers a call dialled, from what the call event shows of it."""
    for number in state.numbers:
        if digest and number.number_digest == digest:
            return number.number_id
    masked_numbers = [n for n in state.numbers if n.masked == phone_masked]
    return masked_numbers[0].number_id if len(masked_numbers) == 1 else None


def outbox_commands(context: LeadsContext) -> dict[str, CommandHandler]:
    async def record_call_outcome(command: Command) -> None:
        d = command.data
        opt_out = d.get("opt_out")
        outcome = CallOutcome(
            call_id=d["call_id"],
            disposition=d["disposition"],
            ended_at=datetime.fromisoformat(d["ended_at"]),
            number_id=d.get("number_id"),
            opt_out=OptOutDecision(**opt_out) if opt_out else None,
            rest_until=datetime.fromisoformat(d["rest_until"]) if d.get("rest_until") else None,
        )

        dialled: list[str | None] = [outcome.number_id]

        def decide(state: Lead) -> list[DomainEvent]:
            if dialled[0] is None:
                dialled[0] = dialled_number(state, d.get("number_digest"), d.get("phone_masked"))
            return decide_call_outcome(state, replace(outcome, number_id=dialled[0]))

        await execute(
            context.store,
            LEAD,
            d["lead_id"],
            decide,
            event_ids=salted_ids(d["lead_id"], f"call:{outcome.call_id}"),
            correlation_id=command.correlation_id,
        )
        if outcome.number_id is None and dialled[0] is not None:
            # The reaction ran before the read model knew the lead's numbers (two projections,
            # two streams); the lead itself knew which one was dialled: complete the attempt.
            async with context.sessions() as session, session.begin():
                await session.execute(
                    update(call_attempt)
                    .where(call_attempt.c.call_id == outcome.call_id, call_attempt.c.number_id.is_(None))
                    .values(number_id=dialled[0])
                )

    async def opt_out_after_refusals(command: Command) -> None:
        d = command.data
        await execute(
            context.store,
            LEAD,
            d["lead_id"],
            lambda state: (
                decide_opt_out(
                    state,
                    now=datetime.now(UTC),
                    reason=d["reason"],
                    source="refusals",
                    until=None,
                    call_id=d["call_id"],
                )
                if state.created and state.merged_into is None
                else []
            ),
            event_ids=salted_ids(d["lead_id"], f"qa:{d['violation_id']}"),
            correlation_id=command.correlation_id,
        )

    return {RECORD_CALL_OUTCOME: record_call_outcome, OPT_OUT_AFTER_REFUSALS: opt_out_after_refusals}
