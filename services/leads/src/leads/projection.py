"""The leads read model, fed from the leads stream; and what calls and QA findings do to leads.

``LeadsView`` is a plain projection (tables only). ``CallOutcomes`` is a projection and a
reactor: it records every call attempt in the read model, and, once per call, queues in the
outbox (``common.outbox``, same transaction as its checkpoint) the command that applies the call
to the lead (tier, clean-up flag, do-not-call). Nothing is appended to JetStream from inside the
transaction: the outbox drainer runs the command after the commit through the lead's
load-decide-append loop (``leads.handlers.outbox_commands``), so a rolled-back reaction appends
nothing and a committed one is applied once (the decision is idempotent on the lead's own state,
a call already in its history changes nothing, and the event ids are salted with the call).
``call_reaction`` remembers which calls were reacted to, so a rebuild replays the attempts
without reacting again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any, ClassVar

from common.copies import first_application
from common.db import greatest, insert, is_postgresql, upsert
from common.envelope import deterministic_event_id
from common.events.base import DomainEvent
from common.events.calls import CallEnded, SpeechTurn
from common.events.leads import (
    DncEntryAdded,
    DncEntryRemoved,
    LeadAssigned,
    LeadCreated,
    LeadDeleted,
    LeadFlagged,
    LeadFlagResolved,
    LeadMerged,
    LeadMergedInto,
    LeadNumber,
    LeadOptedOut,
    LeadOptOutLifted,
    LeadPersonalDataErased,
    LeadProfile,
    LeadTierChanged,
    LeadUpdated,
)
from common.events.qa import ViolationFound
from common.outbox import Cause, OutgoingCommand, caused_by, enqueue_command, enqueue_many, scrub_lead
from common.personal_data import ERASED
from common.projection import EventByEvent, EventContext
from common.timeutil import as_utc
from sqlalchemy import ARRAY, String, bindparam, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from leads.domain.outcomes import OptOutDecision, opt_out_for_call
from leads.handlers import OPT_OUT_AFTER_REFUSALS, OWNER, RECORD_CALL_OUTCOME, LeadsContext, rest_until
from leads.tables import (
    applied_event,
    call_attempt,
    call_reaction,
    dnc_entry,
    lead,
    lead_assignment,
    lead_contact,
    lead_flag,
    lead_number,
    lead_tag,
    lead_tier_history,
    qa_refusal,
)

LEAD_EVENTS = [
    "LeadCreated",
    "LeadUpdated",
    "LeadMerged",
    "LeadMergedInto",
    "LeadAssigned",
    "LeadTierChanged",
    "LeadOptedOut",
    "LeadOptOutLifted",
    "LeadFlagged",
    "LeadFlagResolved",
    "LeadDeleted",
    "LeadPersonalDataErased",
    "DncEntryAdded",
    "DncEntryRemoved",
]
REFUSAL_RULE = "QA-04"  # keeps pushing after the customer refused clearly three times


def _profile_columns(profile: LeadProfile) -> dict[str, Any]:
    return {
        "industry": profile.industry,
        "region": profile.region,
        "size": profile.size,
        "source": profile.source,
        "timezone": profile.timezone,
        "birth_year": profile.birth_year,
        "referred_by_lead_id": profile.referred_by_lead_id,
        "tags": list(profile.tags),
    }


def _opt_out_entry_id(lead_id: str, number_id: str | None) -> str:
    return f"{lead_id}:{number_id or '*'}"


class LeadsView(EventByEvent):
    """Leads, their numbers, tags, tier history, assignments, flags and the do-not-call list."""

    name = "leads-view"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {"leads": LEAD_EVENTS}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        if not await first_application(session, applied_event, ctx.envelope.id):
            return  # a copy of an event applied before (see ``tables.applied_event``)
        seq = ctx.stream_seq
        if isinstance(event, LeadCreated):
            await session.execute(
                insert(session, lead)
                .values(
                    lead_id=event.lead_id,
                    status="active",
                    owner_agent_id=event.owner_agent_id,
                    owner_team_id=event.owner_team_id,
                    tier=event.tier,
                    dnc=False,
                    flagged=False,
                    created_at=as_utc(event.created_at),
                    updated_at=as_utc(event.created_at),
                    version=seq,
                    **_profile_columns(event.profile),
                )
                .on_conflict_do_nothing()
            )
            await self._set_numbers(session, event.lead_id, event.numbers, fresh=True)
            await self._set_tags(session, event.lead_id, event.profile.tags, fresh=True)
            if event.tier is not None:
                await session.execute(
                    lead_tier_history.insert().values(
                        lead_id=event.lead_id,
                        tier=event.tier,
                        changed_at=as_utc(event.created_at),
                        disposition="created",
                    )
                )
            if event.owner_agent_id is not None:
                await session.execute(
                    lead_assignment.insert().values(
                        lead_id=event.lead_id,
                        owner_agent_id=event.owner_agent_id,
                        owner_team_id=event.owner_team_id,
                        reason="created",
                        assigned_at=as_utc(event.created_at),
                    )
                )
        elif isinstance(event, LeadUpdated):
            values: dict[str, Any] = {"updated_at": as_utc(event.updated_at), "version": seq}
            if event.profile is not None:
                values.update(_profile_columns(event.profile))
                await self._set_tags(session, event.lead_id, event.profile.tags)
            await self._touch(session, event.lead_id, **values)
            if event.numbers is not None:
                await self._set_numbers(session, event.lead_id, event.numbers)
        elif isinstance(event, LeadMerged):
            await self._touch(session, event.lead_id, updated_at=as_utc(event.merged_at), version=seq)
            await self._set_numbers(session, event.lead_id, event.numbers)
        elif isinstance(event, LeadMergedInto):
            await self._touch(
                session,
                event.lead_id,
                status="merged",
                merged_into=event.into_lead_id,
                updated_at=as_utc(event.merged_at),
                version=seq,
            )
            await session.execute(delete(dnc_entry).where(dnc_entry.c.lead_id == event.lead_id))
        elif isinstance(event, LeadAssigned):
            await self._touch(
                session,
                event.lead_id,
                owner_agent_id=event.owner_agent_id,
                owner_team_id=event.owner_team_id,
                updated_at=as_utc(event.assigned_at),
                version=seq,
            )
            await session.execute(
                lead_assignment.insert().values(
                    lead_id=event.lead_id,
                    owner_agent_id=event.owner_agent_id,
                    owner_team_id=event.owner_team_id,
                    previous_agent_id=event.previous_agent_id,
                    reason=event.reason,
                    assigned_at=as_utc(event.assigned_at),
                )
            )
        elif isinstance(event, LeadTierChanged):
            await self._touch(session, event.lead_id, tier=event.tier, updated_at=as_utc(event.changed_at), version=seq)
            await session.execute(
                lead_tier_history.insert().values(
                    lead_id=event.lead_id,
                    tier=event.tier,
                    previous_tier=event.previous_tier,
                    call_id=event.call_id,
                    disposition=event.disposition,
                    changed_at=as_utc(event.changed_at),
                )
            )
        elif isinstance(event, LeadOptedOut):
            await self._opt_out(session, event, seq)
        elif isinstance(event, LeadOptOutLifted):
            if event.number_id is None:
                await self._touch(
                    session,
                    event.lead_id,
                    dnc=False,
                    dnc_until=None,
                    dnc_reason=None,
                    dnc_source=None,
                    updated_at=as_utc(event.lifted_at),
                    version=seq,
                )
            else:
                await session.execute(
                    update(lead_number)
                    .where(lead_number.c.number_id == event.number_id)
                    .values(dnc=False, dnc_until=None, dnc_reason=None)
                )
                await self._touch(session, event.lead_id, updated_at=as_utc(event.lifted_at), version=seq)
            await session.execute(
                update(dnc_entry)
                .where(dnc_entry.c.entry_id == _opt_out_entry_id(event.lead_id, event.number_id))
                .values(removed_at=as_utc(event.lifted_at))
            )
        elif isinstance(event, LeadFlagged):
            key = {"lead_id": event.lead_id, "flag": event.flag, "number_id": event.number_id or ""}
            row = {
                **key,
                "call_id": event.call_id,
                "reason": event.reason,
                "flagged_at": as_utc(event.flagged_at),
            }
            stmt = insert(session, lead_flag).values(**row, resolved_at=None)
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=list(key),
                    set_={
                        "call_id": event.call_id,
                        "reason": event.reason,
                        "flagged_at": as_utc(event.flagged_at),
                        "resolved_at": None,
                    },
                )
            )
            await self._touch(session, event.lead_id, flagged=True, updated_at=as_utc(event.flagged_at), version=seq)
        elif isinstance(event, LeadFlagResolved):
            await session.execute(
                update(lead_flag)
                .where(
                    lead_flag.c.lead_id == event.lead_id,
                    lead_flag.c.flag == event.flag,
                    lead_flag.c.number_id == (event.number_id or ""),
                )
                .values(resolved_at=as_utc(event.resolved_at))
            )
            still_open = (
                await session.execute(
                    select(func.count())
                    .select_from(lead_flag)
                    .where(lead_flag.c.lead_id == event.lead_id, lead_flag.c.resolved_at.is_(None))
                )
            ).scalar_one()
            await self._touch(session, event.lead_id, flagged=bool(still_open), version=seq)
        elif isinstance(event, LeadDeleted):
            await self._touch(
                session, event.lead_id, status="deleted", updated_at=as_utc(event.deleted_at), version=seq
            )
            await session.execute(delete(lead_tag).where(lead_tag.c.lead_id == event.lead_id))
        elif isinstance(event, LeadPersonalDataErased):
            # The name and raw numbers were removed by the erasing command (lead_pii); here the
            # masked numbers and digests this read model holds. A rebuild reads them "[erased]"
            # from the sealed events anyway (the key is gone).
            await session.execute(
                update(lead_number)
                .where(lead_number.c.lead_id == event.lead_id)
                .values(masked=ERASED, number_digest=ERASED)
            )
            await session.execute(
                update(dnc_entry).where(dnc_entry.c.lead_id == event.lead_id).values(masked=None, number_digest=None)
            )
            await scrub_lead(session, event.lead_id)
            await self._touch(session, event.lead_id, updated_at=as_utc(event.erased_at), version=seq)
        elif isinstance(event, DncEntryAdded):
            row = {
                "kind": "number",
                "number_digest": event.number_digest,
                "masked": event.masked,
                "source": event.source,
                "reason": event.reason,
                "until": as_utc(event.until),
                "created_at": as_utc(event.added_at),
                "removed_at": None,
            }
            stmt = insert(session, dnc_entry).values(entry_id=event.entry_id, **row)
            await session.execute(stmt.on_conflict_do_update(index_elements=["entry_id"], set_=row))
        elif isinstance(event, DncEntryRemoved):
            await session.execute(
                update(dnc_entry)
                .where(dnc_entry.c.entry_id == event.entry_id)
                .values(removed_at=as_utc(event.removed_at))
            )

    async def _touch(self, session: AsyncSession, lead_id: str, **values: Any) -> None:
        await session.execute(update(lead).where(lead.c.lead_id == lead_id).values(**values))

    async def _set_numbers(
        self, session: AsyncSession, lead_id: str, numbers: Sequence[LeadNumber], *, fresh: bool = False
    ) -> None:
        """The lead's numbers as the event lists them; a number's do-not-call state is kept.
        ``fresh`` (a new lead): nothing to keep or move, just insert (the import's hot path)."""
        existing: dict[str, Any] = {}
        moved: dict[str, Any] = {}
        if not fresh:
            existing = {
                r.number_id: r
                for r in (await session.execute(select(lead_number).where(lead_number.c.lead_id == lead_id))).all()
            }
            ids = [n.number_id for n in numbers]
            if ids:
                moved = {
                    r.number_id: r
                    for r in (
                        await session.execute(
                            select(lead_number).where(
                                lead_number.c.number_id.in_(ids), lead_number.c.lead_id != lead_id
                            )
                        )
                    ).all()
                }
            await session.execute(delete(lead_number).where(lead_number.c.lead_id == lead_id))
            if moved:
                await session.execute(delete(lead_number).where(lead_number.c.number_id.in_(list(moved))))
        rows = []
        for position, n in enumerate(numbers):
            old = existing.get(n.number_id) or moved.get(n.number_id)
            rows.append(
                {
                    "number_id": n.number_id,
                    "lead_id": lead_id,
                    "position": position,
                    "kind": n.kind,
                    "masked": n.masked,
                    "number_digest": n.number_digest,
                    "carrier": n.carrier,
                    "region": n.region,
                    "area": getattr(n, "area", None),
                    "timezone": n.timezone,
                    "dnc": bool(old.dnc) if old is not None else False,
                    "dnc_until": old.dnc_until if old is not None else None,
                    "dnc_reason": old.dnc_reason if old is not None else None,
                }
            )
        if rows:
            await session.execute(insert(session, lead_number).on_conflict_do_nothing(), rows)

    async def _set_tags(self, session: AsyncSession, lead_id: str, tags: Sequence[str], *, fresh: bool = False) -> None:
        if not fresh:
            await session.execute(delete(lead_tag).where(lead_tag.c.lead_id == lead_id))
        unique = list(dict.fromkeys(t for t in tags if t))
        if unique:
            await session.execute(
                insert(session, lead_tag).on_conflict_do_nothing(), [{"lead_id": lead_id, "tag": t} for t in unique]
            )

    async def _opt_out(self, session: AsyncSession, event: LeadOptedOut, seq: int) -> None:
        dnc = {"dnc": True, "dnc_until": as_utc(event.until), "dnc_reason": event.reason}
        if event.number_id is None:
            await self._touch(
                session,
                event.lead_id,
                **dnc,
                dnc_source=event.source,
                updated_at=as_utc(event.opted_out_at),
                version=seq,
            )
        else:
            await session.execute(update(lead_number).where(lead_number.c.number_id == event.number_id).values(**dnc))
            await self._touch(session, event.lead_id, updated_at=as_utc(event.opted_out_at), version=seq)
        row = {
            "kind": "lead",
            "lead_id": event.lead_id,
            "number_id": event.number_id,
            "number_digest": event.number_digest,
            "masked": event.masked,
            "source": event.source,
            "reason": event.reason,
            "until": as_utc(event.until),
            "created_at": as_utc(event.opted_out_at),
            "removed_at": None,
        }
        stmt = insert(session, dnc_entry).values(entry_id=_opt_out_entry_id(event.lead_id, event.number_id), **row)
        await session.execute(stmt.on_conflict_do_update(index_elements=["entry_id"], set_=row))

    async def reset(self, session: AsyncSession) -> None:
        tables = (lead, lead_number, lead_tag, lead_tier_history, lead_assignment, lead_flag, dnc_entry, applied_event)
        for table in tables:
            await session.execute(delete(table))


def _customer_turns(event: CallEnded) -> list[str]:
    return [t.text for t in event.turns if isinstance(t, SpeechTurn) and t.speaker == "customer"]


class CallOutcomes:
    """Call attempts into the read model, and each finished call's effect on its lead.

    A batch's finished calls are applied set-based (``_calls_ended``): what they need is read
    once for the whole run (the calls' locks, merged leads, the leads' numbers, which calls were
    reacted to or attempted already, QA's refusals: one query each), the calls are applied in
    stream order in memory (a call delivered twice is reacted to and counted once), and the run
    is written once per table: the calls' commands in one ``enqueue_many`` (stream order, the
    same deterministic ids and causes as one by one), reactions, attempts and the leads'
    contact counts in one statement each. A QA finding is applied in its place, after the calls
    before it are written. The runner's one-by-one retry of a failing batch is a run of one, so
    dead-lettering stays per event."""

    name = "leads-calls"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {"calls": ["CallEnded"], "qa": ["ViolationFound"]}

    def __init__(self, context: LeadsContext) -> None:
        self.context = context

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        run: list[tuple[CallEnded, EventContext]] = []
        for event, ctx in items:
            if isinstance(event, CallEnded):
                run.append((event, ctx))
                continue
            if run:
                await self._calls_ended(session, run)
                run = []
            if isinstance(event, ViolationFound):
                await self._violation(session, event, ctx)
        if run:
            await self._calls_ended(session, run)

    async def _calls_ended(self, session: AsyncSession, run: Sequence[tuple[CallEnded, EventContext]]) -> None:
        call_ids = sorted({event.call_id for event, _ in run})
        await _lock_calls(session, call_ids)
        lead_ids = {event.customer.lead_id for event, _ in run}
        # A call to a lead merged away since counts for the lead it lives on as.
        merged_into = {
            row.lead_id: str(row.merged_into)
            for row in await session.execute(
                select(lead.c.lead_id, lead.c.merged_into).where(lead.c.lead_id.in_(lead_ids))
            )
            if row.merged_into
        }
        numbers = await _numbers_of(
            session, {event.customer.lead_id for event, _ in run if not getattr(event.customer, "number_id", None)}
        )
        reacted = set(
            (
                await session.execute(select(call_reaction.c.call_id).where(call_reaction.c.call_id.in_(call_ids)))
            ).scalars()
        )
        attempted = set(
            (
                await session.execute(select(call_attempt.c.call_id).where(call_attempt.c.call_id.in_(call_ids)))
            ).scalars()
        )
        refusals = {
            row["call_id"]: row
            for row in (await session.execute(select(qa_refusal).where(qa_refusal.c.call_id.in_(call_ids)))).mappings()
        }
        commands: list[OutgoingCommand] = []
        reactions: list[dict[str, Any]] = []
        refusals_applied: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        contacts: dict[str, dict[str, Any]] = {}
        for event, ctx in run:
            lead_id = merged_into.get(event.customer.lead_id, event.customer.lead_id)
            number_id = _number_id(event, numbers)
            if event.call_id not in reacted:
                reacted.add(event.call_id)
                refusal = refusals.get(event.call_id)
                commands.append(self._reaction(event, ctx, lead_id, number_id, refused=refusal is not None))
                reactions.append(
                    # ``events`` counts what the reaction queued: one command (the lead's history
                    # holds the events it appended).
                    {"call_id": event.call_id, "lead_id": lead_id, "events": 1, "reacted_at": datetime.now(UTC)}
                )
                if refusal is not None:
                    refusals_applied.append({"b_call_id": event.call_id, "b_lead_id": lead_id})
            if event.call_id not in attempted:
                attempted.add(event.call_id)
                attempts.append(
                    {
                        "call_id": event.call_id,
                        "lead_id": lead_id,
                        "number_id": number_id,
                        "agent_id": event.agent.id,
                        "disposition": event.disposition,
                        "connected": event.connected,
                        "ended_at": as_utc(event.ended_at),
                    }
                )
                _count_contact(contacts, lead_id, event)
        # What the calls do to their leads is decided on each lead's own history, after this
        # transaction commits: the commands go through the outbox (see common.outbox).
        await enqueue_many(session, commands)
        if reactions:
            await session.execute(call_reaction.insert(), reactions)
        if refusals_applied:
            await session.execute(
                update(qa_refusal)
                .where(qa_refusal.c.call_id == bindparam("b_call_id"))
                .values(applied=True, lead_id=bindparam("b_lead_id")),
                refusals_applied,
            )
        await upsert(session, call_attempt, attempts, ["call_id"], update_columns=())
        await _add_contacts(session, list(contacts.values()))

    def _reaction(
        self, event: CallEnded, ctx: EventContext, lead_id: str, number_id: str | None, *, refused: bool
    ) -> OutgoingCommand:
        """Once per call: the command that applies the call to its lead (tier, flags, do-not-call).
        ``refused``: QA found the customer refused clearly three times (QA-04) before the call
        arrived here. The number dialled is found on the lead itself when the read model does
        not know it yet."""
        settings = self.context.settings
        flags = getattr(event, "disposition_flags", None) or []
        disposition = "do_not_call" if "do_not_call" in flags else event.disposition
        decision = opt_out_for_call(
            disposition,
            _customer_turns(event),
            refusal_limit=settings.refusal_limit,
            rest_on_refusal=settings.rest_on_refusal,
        )
        if refused and (decision is None or decision.rest):
            decision = OptOutDecision(
                f"QA {REFUSAL_RULE}: customer refused clearly three times", "refusals", rest=False
            )
        rest = rest_until(settings, event.ended_at.astimezone(UTC))
        return OutgoingCommand(
            RECORD_CALL_OUTCOME,
            {
                "lead_id": lead_id,
                "call_id": event.call_id,
                "disposition": event.disposition,
                "ended_at": event.ended_at.astimezone(UTC).isoformat(),
                "number_id": number_id,
                "number_digest": getattr(event.customer, "number_digest", None),  # not declared: extra
                "phone_masked": event.customer.phone_masked,
                "opt_out": asdict(decision) if decision is not None else None,
                "rest_until": rest.isoformat(),
            },
            deterministic_event_id(OWNER, RECORD_CALL_OUTCOME, event.call_id),
            lead_id,
            Cause.of(ctx.envelope),
        )

    async def _violation(self, session: AsyncSession, event: ViolationFound, ctx: EventContext) -> None:
        """QA-04 (kept pushing after three clear refusals): the customer said no three times, so
        the lead goes on the do-not-call list. QA names the call; the lead comes from the call
        (or from the finding itself, when QA adds ``lead_id``)."""
        if not event.rule.upper().startswith(REFUSAL_RULE):
            return
        await _lock_call(session, event.call_id)
        lead_id = (event.model_extra or {}).get("lead_id")
        if not lead_id:
            lead_id = (
                await session.execute(select(call_attempt.c.lead_id).where(call_attempt.c.call_id == event.call_id))
            ).scalar()
        now = datetime.now(UTC)
        stmt = (
            insert(session, qa_refusal)
            .values(
                call_id=event.call_id,
                violation_id=event.violation_id,
                lead_id=lead_id,
                applied=False,
                found_at=now,
            )
            .on_conflict_do_nothing()
        )
        await session.execute(stmt)
        if not lead_id:
            return  # the call is not known here yet: its CallEnded will apply the refusal
        with caused_by(ctx.envelope):
            await enqueue_command(
                session,
                OPT_OUT_AFTER_REFUSALS,
                {
                    "lead_id": str(lead_id),
                    "call_id": event.call_id,
                    "violation_id": event.violation_id,
                    "reason": f"QA {REFUSAL_RULE}: customer refused clearly three times (call {event.call_id})",
                },
                command_id=deterministic_event_id(OWNER, OPT_OUT_AFTER_REFUSALS, event.violation_id),
                aggregate_id=str(lead_id),
            )
        await session.execute(
            update(qa_refusal).where(qa_refusal.c.call_id == event.call_id).values(applied=True, lead_id=lead_id)
        )

    async def reset(self, session: AsyncSession) -> None:
        for table in (call_attempt, lead_contact):
            await session.execute(delete(table))


async def _lock_call(session: AsyncSession, call_id: str) -> None:
    """The call's CallEnded and its QA finding come from two streams through two runners. On
    PostgreSQL their transactions may run at once and neither would see the other's row; a
    transaction-scoped advisory lock per call makes the second wait for the first's commit.
    (SQLite runs one writing transaction at a time already.)"""
    if is_postgresql(session):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext("leads-call:" + call_id))))


async def _lock_calls(session: AsyncSession, call_ids: Sequence[str]) -> None:
    """``_lock_call`` for a run of calls in one statement, before anything of theirs is read;
    taken in the order given (sorted), so two runs locking common calls cannot deadlock."""
    if is_postgresql(session) and call_ids:
        await session.execute(
            text(
                "SELECT pg_advisory_xact_lock(hashtext('leads-call:' || c)) FROM unnest(CAST(:call_ids AS TEXT[])) AS c"
            ).bindparams(bindparam("call_ids", type_=ARRAY(String))),
            {"call_ids": list(call_ids)},
        )


async def _numbers_of(session: AsyncSession, lead_ids: set[str]) -> dict[str, list[Any]]:
    """The numbers of ``lead_ids`` (one query), each lead's in its own order."""
    numbers: dict[str, list[Any]] = {}
    if lead_ids:
        query = (
            select(lead_number.c.lead_id, lead_number.c.number_id, lead_number.c.number_digest, lead_number.c.masked)
            .where(lead_number.c.lead_id.in_(lead_ids))
            .order_by(lead_number.c.lead_id, lead_number.c.position)
        )
        for row in await session.execute(query):
            numbers.setdefault(row.lead_id, []).append(row)
    return numbers


def _number_id(event: CallEnded, numbers: dict[str, list[Any]]) -> str | None:
    """The number dialled: as the call names it, else the lead's number with the call's digest,
    else with its masked number (``numbers``: ``_numbers_of`` the call's lead)."""
    customer = event.customer
    number_id = getattr(customer, "number_id", None)
    if number_id:
        return str(number_id)
    on_lead = numbers.get(customer.lead_id, [])
    digest = getattr(customer, "number_digest", None)
    if digest:
        for row in on_lead:
            if row.number_digest == digest:
                return str(row.number_id)
    if customer.phone_masked:
        for row in on_lead:
            if row.masked == customer.phone_masked:
                return str(row.number_id)
    return None


def _count_contact(contacts: dict[str, dict[str, Any]], lead_id: str, event: CallEnded) -> None:
    """One more attempt (and contact, if connected) of ``lead_id`` in the run's sums."""
    ended = as_utc(event.ended_at)
    row = contacts.setdefault(
        lead_id,
        {"lead_id": lead_id, "attempts": 0, "connected": 0, "last_attempt_at": ended, "last_contact_at": None},
    )
    row["attempts"] += 1
    row["last_attempt_at"] = max(row["last_attempt_at"], ended)
    if event.connected:
        row["connected"] += 1
        row["last_contact_at"] = ended if row["last_contact_at"] is None else max(row["last_contact_at"], ended)


async def _add_contacts(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    """Add the run's sums to each lead's contact counts (one statement): attempts and contacts
    added, the latest attempt and contact kept."""
    if not rows:
        return
    stmt = insert(session, lead_contact)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["lead_id"],
        set_={
            "attempts": lead_contact.c.attempts + excluded.attempts,
            "connected": lead_contact.c.connected + excluded.connected,
            "last_attempt_at": func.coalesce(
                greatest(session, lead_contact.c.last_attempt_at, excluded.last_attempt_at),
                excluded.last_attempt_at,
            ),
            "last_contact_at": func.coalesce(
                greatest(session, lead_contact.c.last_contact_at, excluded.last_contact_at),
                lead_contact.c.last_contact_at,
                excluded.last_contact_at,
            ),
        },
    )
    await session.execute(stmt, [dict(row) for row in rows])
