"""The scheduling projection: calls and leads events in, callbacks booked, moved, fulfilled and
cancelled. Runs inside the projection runner's transaction, so a decision, the checkpoint and
the outbox rows that announce the decision commit together (or not at all)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar

from common.copies import first_applications
from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallPlaced, CallRefused
from common.events.leads import (
    DncEntryAdded,
    DncEntryRemoved,
    LeadAssigned,
    LeadCreated,
    LeadNumber,
    LeadOptedOut,
    LeadOptOutLifted,
    LeadPersonalDataErased,
    LeadTierChanged,
    LeadUpdated,
)
from common.events.qa import ReworkCallbackRequested
from common.outbox import Cause, caused_by, scrub_lead
from common.projection import EventContext
from common.timeutil import as_utc
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling import handlers as h
from scheduling.book import BatchBook
from scheduling.domain.rules import CallOutcome, LeadHistory, Wanted, decide, place, supersedes
from scheduling.domain.windows import next_allowed
from scheduling.firing import Wakeup
from scheduling.policies import PolicyStore
from scheduling.tables import applied_event, callback, dnc_entry, lead_number, lead_state

_COUNTRY = re.compile(r"^[A-Z]{2}$")
# A refused dial whose reason says the lead must not be called cancels its callbacks.
# A voided sale's rework call: after this pause, at the next allowed minute.
REWORK_DELAY_MINUTES = 30
_DNC_REASONS = ("dnc", "do_not_call", "opted_out", "opt_out")


def country_of(numbers: Sequence[LeadNumber]) -> str | None:
    for number in numbers:
        if number.region and _COUNTRY.match(number.region):
            return number.region
    return None


def _appointment_at(event: CallEnded) -> datetime | None:
    return event.appointment_at


class SchedulingProjection:
    name = "scheduling"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {
        "calls": ["CallPlaced", "CallEnded", "CallRefused"],
        "qa": ["ReworkCallbackRequested"],
        "leads": [
            "LeadCreated",
            "LeadUpdated",
            "LeadAssigned",
            "LeadOptedOut",
            "LeadOptOutLifted",
            "LeadTierChanged",
            "DncEntryAdded",
            "DncEntryRemoved",
            "LeadPersonalDataErased",
        ],
    }

    def __init__(self, policies: PolicyStore, wake: Wakeup | None = None, fulfil_early_minutes: float = 10.0) -> None:
        self.policies = policies
        self.wake = wake
        self.fulfil_early = timedelta(minutes=fulfil_early_minutes)

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        """The calls events (``CallEnded``, ``CallPlaced``: nearly all of the traffic) work on a
        ``BatchBook``: the leads' state and open callbacks read once for the batch, changed in
        memory in stream order, written back in a few statements. Any other event is applied in
        its place on the database, after what the book holds is written (and before it is read
        again), so every event sees the effect of the ones before it, as one by one."""
        firsts = await first_applications(session, applied_event, [ctx.envelope.id for _e, ctx in items])
        # A copy of an event applied before is passed (see ``tables.applied_event``).
        todo = [item for item, first in zip(items, firsts, strict=True) if first]
        book = BatchBook(session)
        for index, (event, ctx) in enumerate(todo):
            # Every callback event decided here continues the consumed event's correlation id
            # and trace.
            if isinstance(event, CallEnded | CallPlaced):
                if not book.knows(event.customer.lead_id):  # the rest of the batch's leads, at once
                    await book.load(
                        e.customer.lead_id for e, _c in todo[index:] if isinstance(e, CallEnded | CallPlaced)
                    )
                if isinstance(event, CallEnded):
                    await self._call_ended(session, book, event, Cause.of(ctx.envelope), booking=not ctx.replay)
                elif not ctx.replay:
                    self._call_placed(book, event, Cause.of(ctx.envelope))
            else:
                await book.flush()
                with caused_by(ctx.envelope):  # the handlers enqueue deep inside
                    await self._apply(session, event, ctx)
        await book.flush()

    async def _apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        # On a replay (``rebuild``) only ``lead_state`` is derived again; the callback book is
        # left as it stands (see ``reset``): ``book`` False skips every booking decision.
        book = not ctx.replay
        if isinstance(event, CallRefused):
            if book and any(r in event.reason.lower() for r in _DNC_REASONS):
                for row in await h.open_callbacks(session, event.lead_id):
                    await h.cancel(session, row, "opted_out", event.refused_at)
        elif isinstance(event, DncEntryAdded):
            await session.execute(delete(dnc_entry).where(dnc_entry.c.entry_id == event.entry_id))
            await session.execute(
                dnc_entry.insert().values(
                    entry_id=event.entry_id,
                    number_digest=event.number_digest,
                    until=as_utc(event.until) if event.until else None,
                )
            )
        elif isinstance(event, DncEntryRemoved):
            await session.execute(delete(dnc_entry).where(dnc_entry.c.entry_id == event.entry_id))
        elif isinstance(event, LeadCreated):
            await h.replace_numbers(session, event.lead_id, [(n.number_id, n.number_digest) for n in event.numbers])
            if book and event.owner_agent_id:  # a call seen before its lead: the owner takes its callbacks
                await self._reassign(session, event.lead_id, event.owner_agent_id, event.owner_team_id)
            await h.upsert_lead(
                session,
                event.lead_id,
                timezone=event.profile.timezone,
                country=country_of(event.numbers),
                owner_agent_id=event.owner_agent_id,
                owner_team_id=event.owner_team_id,
                tier=event.tier,
                updated_at=event.created_at,
            )
        elif isinstance(event, LeadUpdated):
            values: dict[str, Any] = {"updated_at": event.updated_at}
            if event.profile is not None:
                values["timezone"] = event.profile.timezone
            if event.numbers is not None:
                values["country"] = country_of(event.numbers)
                await h.replace_numbers(session, event.lead_id, [(n.number_id, n.number_digest) for n in event.numbers])
            await h.upsert_lead(session, event.lead_id, **values)
        elif isinstance(event, LeadAssigned):
            await self._lead_assigned(session, event, book=book)
        elif isinstance(event, LeadOptedOut):
            await self._opted_out(session, event, book=book)
        elif isinstance(event, LeadOptOutLifted):
            if event.number_id is not None:
                await h.set_number_opt_out(session, event.lead_id, event.number_id, opted_out=False)
            else:
                await h.upsert_lead(session, event.lead_id, opted_out=False, dnc_until=None, updated_at=event.lifted_at)
        elif isinstance(event, ReworkCallbackRequested):
            if book:
                await self._rework(session, event)
        elif isinstance(event, LeadPersonalDataErased):
            # The numbers' digests were the lead's personal data; its callbacks stay (the calls
            # guard refuses a dial to a number the lead no longer has).
            await session.execute(delete(lead_number).where(lead_number.c.lead_id == event.lead_id))
            await scrub_lead(session, event.lead_id)
        elif isinstance(event, LeadTierChanged):
            await h.upsert_lead(session, event.lead_id, tier=event.tier, updated_at=event.changed_at)
            if book and event.tier == "success":
                for row in await h.open_callbacks(session, event.lead_id):
                    if row["reason"] != "after_sale":
                        await h.cancel(session, row, "sold", event.changed_at)

    async def _call_ended(
        self, session: AsyncSession, book: BatchBook, event: CallEnded, cause: Cause, *, booking: bool = True
    ) -> None:
        lead_id = event.customer.lead_id
        lead = book.lead(lead_id)
        policy = await self.policies.get(session, event.campaign.id)
        tz_name = (lead["timezone"] if lead else None) or policy.window.default_timezone
        tz = h.tz_of(tz_name, policy.window.default_timezone)
        history = LeadHistory(
            no_answer_attempts=int(lead["no_answer_attempts"]) if lead else 0,
            cycle=int(lead["cycle"]) if lead else 1,
            redials=int(lead["redials"]) if lead else 0,
            quiet_until=as_utc(lead["quiet_until"]) if lead else None,
        )
        outcome = CallOutcome(
            call_id=event.call_id,
            lead_id=lead_id,
            direction=event.direction,
            disposition=event.disposition,
            placed_at=event.placed_at,
            answered_at=event.answered_at,
            ended_at=event.ended_at,
            callback_at=event.callback_at,
            appointment_at=_appointment_at(event),
            dropped=event.was_dropped,
        )
        decision = decide(outcome, history, policy, tz)
        new_id = h.callback_id_for(event.call_id) if decision.wanted and booking else None
        pending = book.open_callbacks(lead_id) if lead is not None and booking else []
        for row in pending:
            if row["callback_id"] != new_id and supersedes(decision.cancel, row["reason"]):
                reason = decision.cancel_reason or "superseded"
                cancelled = h.cancelled(row, reason, event.ended_at, superseded_by=new_id)
                book.close(
                    row, cancelled, cause, status="cancelled", closed_at=as_utc(event.ended_at), close_reason=reason
                )
        if decision.wanted is not None and new_id is not None:
            placed = place(
                decision.wanted, policy.window.window(lead["country"] if lead else None), tz, decision.history
            )
            owner = lead["owner_agent_id"] if lead and lead["owner_agent_id"] else event.agent.id
            team = lead["owner_team_id"] if lead and lead["owner_team_id"] else event.agent.team
            row, scheduled = h.scheduled(
                callback_id=new_id,
                lead_id=lead_id,
                agent_id=owner,
                team_id=team,
                campaign_id=event.campaign.id,
                wanted=decision.wanted,
                placed=placed,
                tz_name=tz_name,
                policy_version=policy.version,
                source_call_id=event.call_id,
                at=event.ended_at,
            )
            book.book(row, scheduled, cause)
            if self.wake is not None:
                self.wake.notify(placed.due_at)
        h_ = decision.history
        book.update_lead(
            lead_id,
            no_answer_attempts=h_.no_answer_attempts,
            cycle=h_.cycle,
            redials=h_.redials,
            quiet_until=h_.quiet_until,
            updated_at=event.ended_at,
        )

    async def _rework(self, session: AsyncSession, event: ReworkCallbackRequested) -> None:
        """QA voided a sale (QA-11 ambiguous consent, QA-12 elderly or minor): the agent who made
        it calls the customer back, at the next allowed minute after a short pause. The
        after-sale follow-up booked for that sale is cancelled: there is no sale to follow up."""
        for row in await h.open_callbacks(session, event.lead_id):
            if row["reason"] == "after_sale" and row["source_call_id"] == event.call_id:
                await h.cancel(session, row, "sale_voided", event.requested_at)
        lead = await h.lead_row(session, event.lead_id)
        policy = await self.policies.get(session, event.campaign_id or "")
        tz_name = (lead["timezone"] if lead else None) or policy.window.default_timezone
        tz = h.tz_of(tz_name, policy.window.default_timezone)
        history = LeadHistory(
            no_answer_attempts=int(lead["no_answer_attempts"]) if lead else 0,
            cycle=int(lead["cycle"]) if lead else 1,
            redials=int(lead["redials"]) if lead else 0,
            quiet_until=None,  # a rework call is owed to the customer, not a sales attempt
        )
        wanted = Wanted(reason="rework", at=event.requested_at + timedelta(minutes=REWORK_DELAY_MINUTES))
        placed = place(wanted, policy.window.window(lead["country"] if lead else None), tz, history)
        callback_id = h.callback_id_for(f"rework-{event.violation_id}")
        if await h.get_callback(session, callback_id) is not None:
            return
        booking = h.scheduled(
            callback_id=callback_id,
            lead_id=event.lead_id,
            agent_id=event.agent_id,
            team_id=event.team_id,
            campaign_id=event.campaign_id,
            wanted=wanted,
            placed=placed,
            tz_name=tz_name,
            policy_version=policy.version,
            source_call_id=event.call_id,
            at=event.requested_at,
        )
        await h.schedule(session, *booking)
        if self.wake is not None:
            self.wake.notify(placed.due_at)

    def _call_placed(self, book: BatchBook, event: CallPlaced, cause: Cause) -> None:
        """A call to the lead fulfils its due callbacks, and scheduled ones it is (nearly) time for."""
        for row in book.open_callbacks(event.customer.lead_id):
            due_at = as_utc(row["due_at"])
            assert due_at is not None
            if row["status"] == "due" or due_at <= event.placed_at + self.fulfil_early:
                done = h.done(row, event.call_id, event.agent.id, event.placed_at)
                book.close(
                    row,
                    done,
                    cause,
                    status="done",
                    closed_at=as_utc(event.placed_at),
                    close_reason="called",
                    done_call_id=event.call_id,
                )

    async def _lead_assigned(self, session: AsyncSession, event: LeadAssigned, *, book: bool = True) -> None:
        await h.upsert_lead(
            session,
            event.lead_id,
            owner_agent_id=event.owner_agent_id,
            owner_team_id=event.owner_team_id,
            updated_at=event.assigned_at,
        )
        if not book:
            return
        if event.owner_agent_id is None:
            for row in await h.open_callbacks(session, event.lead_id):
                await h.release(session, row, "lead_released", event.assigned_at)
        else:
            await self._reassign(session, event.lead_id, event.owner_agent_id, event.owner_team_id)

    async def _reassign(self, session: AsyncSession, lead_id: str, agent_id: str, team_id: str | None) -> None:
        for row in await h.open_callbacks(session, lead_id):
            if not row["released"] and row["agent_id"] != agent_id:
                await session.execute(
                    callback.update()
                    .where(callback.c.callback_id == row["callback_id"])
                    .values(agent_id=agent_id, team_id=team_id or row["team_id"])
                )

    async def _opted_out(self, session: AsyncSession, event: LeadOptedOut, *, book: bool = True) -> None:
        if event.number_id is not None:
            # One number: the guard blocks it at dial time, and the firing re-check cancels a
            # callback when no number of the lead is left to dial.
            await h.set_number_opt_out(session, event.lead_id, event.number_id, opted_out=True, until=event.until)
            return
        if event.until is None:
            await h.upsert_lead(session, event.lead_id, opted_out=True, updated_at=event.opted_out_at)
            for row in await h.open_callbacks(session, event.lead_id) if book else []:
                await h.cancel(session, row, "opted_out", event.opted_out_at)
            return
        await h.upsert_lead(session, event.lead_id, dnc_until=event.until, updated_at=event.opted_out_at)
        if not book:
            return
        lead = await h.lead_row(session, event.lead_id)
        for row in await h.open_callbacks(session, event.lead_id):
            due_at = as_utc(row["due_at"])
            assert due_at is not None
            if due_at < event.until:
                policy = await self.policies.get(session, row["campaign_id"])
                tz = h.tz_of(row["timezone"], policy.window.default_timezone)
                window = policy.window.window(lead["country"] if lead else None)
                placement = next_allowed(window, event.until, tz)
                note = "do not call until " + event.until.isoformat()
                if placement.reason:
                    note += "; " + placement.reason
                await h.reschedule(session, row, placement.at, "do_not_call_until", note, event.opted_out_at)

    async def reset(self, session: AsyncSession) -> None:
        """Only ``lead_state`` (a projection of the leads and calls events) is emptied.

        The callback book is this service's own aggregate, state-stored with an outbox: its
        decisions (fired, moved out of rest time, missed, released) were taken at their time
        and published to TM_SCHEDULING, and no replay of the input events can take them again
        (the clock has moved on); emptying it would also enqueue every callback event again,
        to be re-published after JetStream's duplicate window. A rebuild re-applies the inputs
        to the book as it stands, which finds every callback already in the state it caused.
        The absence list is configuration: it stays too. ``applied_event`` is emptied with
        ``lead_state``: the replay applies every event again, and records it again."""
        for table in (lead_state, lead_number, dnc_entry, applied_event):
            await session.execute(delete(table))
