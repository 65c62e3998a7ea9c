"""The reporting read model: one row of facts per call and one per callback.

Why per call and not per agent-day: the facts about one call arrive on three streams that are
applied independently (a QA finding or a voided sale may be applied before the call it concerns),
and a per-call row lets every event add its part whatever the order: the call's day, agent,
team and campaign come with the calls events; QA counters are added to the same row. The daily
and weekly tables are sums over a day's (or week's) rows, grouped at query time, so the
effective-talk threshold is a query parameter and changing it needs no rebuild.

Every batch is summed in memory first (one row per call or callback, whatever the number of its
events in the batch) and written with one ``INSERT … ON CONFLICT DO UPDATE`` per kind of event,
through executemany, rows sorted by key so concurrent writers lock rows in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from common.copies import applied_event_table
from common.db import greatest, insert
from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallPlaced, CallRefused
from common.events.qa import (
    ComplaintFiled,
    FineAssessed,
    SaleVoided,
    ViolationConfirmed,
    ViolationDismissed,
    ViolationFound,
)
from common.events.scheduling import (
    CallbackCancelled,
    CallbackDone,
    CallbackDue,
    CallbackMissed,
    CallbackRescheduled,
    CallbackScheduled,
)
from common.projection import EventContext
from sqlalchemy import (
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import classify, fine_column, report_day

metadata = MetaData()

call_facts = Table(
    "call_facts",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("day", Date),  # NULL until the calls events (or a QA event's call_day) tell it
    Column("agent_id", String(128)),
    Column("team_id", String(128)),
    Column("campaign_id", String(128)),
    # from CallPlaced / CallEnded / CallRefused (0 or 1)
    Column("placed", SmallInteger, nullable=False, default=0),
    Column("blocked", SmallInteger, nullable=False, default=0),
    Column("connected", SmallInteger, nullable=False, default=0),
    Column("contact", SmallInteger, nullable=False, default=0),
    Column("interested", SmallInteger, nullable=False, default=0),
    Column("sale", SmallInteger, nullable=False, default=0),
    Column("appointment", SmallInteger, nullable=False, default=0),
    Column("callback", SmallInteger, nullable=False, default=0),
    Column("complaint_call", SmallInteger, nullable=False, default=0),
    Column("talk_seconds", Float, nullable=False, default=0.0),
    # from QA events (counts and yuan)
    Column("violations_found", Integer, nullable=False, default=0),
    Column("violations_confirmed", Integer, nullable=False, default=0),
    Column("violations_dismissed", Integer, nullable=False, default=0),
    Column("fines_agent", Integer, nullable=False, default=0),
    Column("fines_supervisor", Integer, nullable=False, default=0),
    Column("complaint_deductions", Integer, nullable=False, default=0),
    Column("complaints", Integer, nullable=False, default=0),
    Column("voided", SmallInteger, nullable=False, default=0),
    Index("ix_call_facts_day", "day"),
)

callback_facts = Table(
    "callback_facts",
    metadata,
    Column("callback_id", String(128), primary_key=True),
    Column("day", Date),  # the day it is (last) due, in the centre's time zone
    Column("agent_id", String(128)),
    Column("team_id", String(128)),
    Column("campaign_id", String(128)),
    Column("scheduled", SmallInteger, nullable=False, default=0),
    Column("due", SmallInteger, nullable=False, default=0),
    Column("done", SmallInteger, nullable=False, default=0),
    Column("missed", SmallInteger, nullable=False, default=0),
    Column("cancelled", SmallInteger, nullable=False, default=0),
    Index("ix_callback_facts_day", "day"),
)

# The id of every QA event added to ``call_facts``: its counters are sums, and an event may be
# stored twice in the log (published again after JetStream's duplicate window, same ce-id). The
# calls and callback facts need no such table: they set flags and values, which a copy sets again.
counted_event = applied_event_table(metadata, "counted_event")

DIMS = ("agent_id", "team_id", "campaign_id")
OUTCOME = ("connected", "contact", "interested", "sale", "appointment", "callback", "complaint_call")
QA_COUNTERS = (
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
)
CALLBACK_FLAGS = ("scheduled", "due", "done", "missed", "cancelled")

# The events the projection reads, by type: dispatch is by class, on declared fields only.
CALL_EVENTS = (CallPlaced, CallEnded, CallRefused)
CALLBACK_EVENTS = (
    CallbackScheduled,
    CallbackRescheduled,
    CallbackDue,
    CallbackDone,
    CallbackMissed,
    CallbackCancelled,
)
QA_EVENTS = (ViolationFound, ViolationConfirmed, ViolationDismissed, FineAssessed, ComplaintFiled, SaleVoided)
CallbackFact: TypeAlias = (
    CallbackScheduled | CallbackRescheduled | CallbackDue | CallbackDone | CallbackMissed | CallbackCancelled
)
QaFact: TypeAlias = (
    ViolationFound | ViolationConfirmed | ViolationDismissed | FineAssessed | ComplaintFiled | SaleVoided
)


async def _write(session: AsyncSession, table: Table, key: str, rows: dict[str, dict[str, Any]], set_: Any) -> None:
    """One upsert for the whole batch; ``set_(stmt, session)`` gives the ON CONFLICT updates."""
    if not rows:
        return
    stmt = insert(session, table)
    stmt = stmt.on_conflict_do_update(index_elements=[key], set_=set_(stmt, session))
    await session.execute(stmt, [rows[k] for k in sorted(rows)])


def _keep_first(table: Table, stmt: Any, columns: Iterable[str]) -> dict[str, Any]:
    """What is already known wins (the calls events are the authority on a call's day and agent)."""
    return {c: func.coalesce(table.c[c], stmt.excluded[c]) for c in columns}


def _take_new(table: Table, stmt: Any, columns: Iterable[str]) -> dict[str, Any]:
    return {c: func.coalesce(stmt.excluded[c], table.c[c]) for c in columns}


class DailyFigures:
    """Feeds ``call_facts`` (calls and QA events) and ``callback_facts`` (scheduling events).

    - CallPlaced: a dial (拨打) on the day of its placed_at, with its agent, team and campaign.
    - CallEnded: a dial too (should its CallPlaced be missing), and its outcome (connected,
      customer reached, intent, sale, appointment, callback agreed, complaint) from the
      disposition flags, and its talk time. A later CallEnded for the same call replaces it.
    - CallRefused: a blocked dial (the compliance guard refused it), on the day of refused_at.
    - ViolationFound / ViolationConfirmed / ViolationDismissed: counted on the call's row.
    - FineAssessed: yuan added to the agent's fines, the supervisor's, or the team's complaint
      deductions (only confirmed findings are ever fined).
    - ComplaintFiled: a complaint on the call. SaleVoided: the call's sale no longer counts.
    - Callback*: one row per callback: due day, owner, and whether it was scheduled, came due,
      was done, missed (overdue) or cancelled.
    """

    name = "reporting-figures"

    def __init__(self, centre_timezone: str = "Asia/Shanghai") -> None:
        self.centre = ZoneInfo(centre_timezone)
        self.subscriptions: dict[str, Sequence[str]] = {
            "calls": [e.event_type for e in CALL_EVENTS],
            "scheduling": [e.event_type for e in CALLBACK_EVENTS],
            "qa": [e.event_type for e in QA_EVENTS],
        }

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        await self.apply_batch(session, [(event, ctx)])

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        placed: dict[str, dict[str, Any]] = {}
        ended: dict[str, dict[str, Any]] = {}
        refused: dict[str, dict[str, Any]] = {}
        qa: dict[str, dict[str, Any]] = {}
        callbacks: dict[str, dict[str, Any]] = {}
        counted = await self._not_yet_counted(session, items)
        for event, ctx in items:
            if isinstance(event, CallEnded):
                outcome = classify(event.disposition, event.disposition_flags, answered=event.connected)
                row = self._call_row(event)
                row.update({c: int(getattr(outcome, c if c != "complaint_call" else "complaint")) for c in OUTCOME})
                row["talk_seconds"] = float(event.talk_seconds or 0.0)
                ended[event.call_id] = row  # the last CallEnded of a call is its outcome
            elif isinstance(event, CallPlaced):
                placed[event.call_id] = self._call_row(event)
            elif isinstance(event, CallRefused):
                refused[event.call_id] = {
                    "call_id": event.call_id,
                    "day": report_day(event.refused_at, self.centre),
                    "agent_id": event.agent.id,
                    "team_id": event.team_id or event.agent.team,
                    "campaign_id": event.campaign_id,
                    "blocked": 1,
                }
            elif isinstance(event, QA_EVENTS):
                if ctx.envelope.id in counted:
                    counted.discard(ctx.envelope.id)  # a second copy in the same batch counts nothing
                    self._add_qa(qa, event)
            elif isinstance(event, CALLBACK_EVENTS):
                self._add_callback(callbacks, event)

        await _write(
            session,
            call_facts,
            "call_id",
            placed,
            lambda s, _d: {"day": s.excluded.day, **{c: s.excluded[c] for c in DIMS}, "placed": s.excluded.placed},
        )
        await _write(
            session,
            call_facts,
            "call_id",
            ended,
            lambda s, _d: {
                "day": s.excluded.day,
                **{c: s.excluded[c] for c in DIMS},
                "placed": s.excluded.placed,
                **{c: s.excluded[c] for c in (*OUTCOME, "talk_seconds")},
            },
        )
        await _write(
            session,
            call_facts,
            "call_id",
            refused,
            lambda s, _d: {**_keep_first(call_facts, s, ("day", *DIMS)), "blocked": s.excluded.blocked},
        )
        await _write(
            session,
            call_facts,
            "call_id",
            qa,
            lambda s, d: {
                **_keep_first(call_facts, s, ("day", *DIMS)),
                **{c: call_facts.c[c] + s.excluded[c] for c in QA_COUNTERS},
                "voided": greatest(d, call_facts.c.voided, s.excluded.voided),
            },
        )
        await _write(
            session,
            callback_facts,
            "callback_id",
            callbacks,
            lambda s, d: {
                **_take_new(callback_facts, s, ("day", *DIMS)),
                **{c: greatest(d, callback_facts.c[c], s.excluded[c]) for c in CALLBACK_FLAGS},
            },
        )

    async def _not_yet_counted(
        self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]
    ) -> set[str]:
        """The ids of the batch's QA events not counted before, recorded as counted now (in the
        batch's transaction, so they are recorded exactly when they are added)."""
        ids = {ctx.envelope.id for event, ctx in items if isinstance(event, QA_EVENTS)}
        if not ids:
            return set()
        known = (
            await session.execute(select(counted_event.c.event_id).where(counted_event.c.event_id.in_(ids)))
        ).scalars()
        new = ids - set(known)
        if new:
            await session.execute(counted_event.insert(), [{"event_id": i} for i in sorted(new)])
        return new

    def _call_row(self, event: CallPlaced | CallEnded) -> dict[str, Any]:
        return {
            "call_id": event.call_id,
            "day": report_day(event.placed_at, self.centre),
            "agent_id": event.agent.id,
            "team_id": event.agent.team,
            "campaign_id": event.campaign.id,
            "placed": 1,
        }

    def _add_qa(self, rows: dict[str, dict[str, Any]], event: QaFact) -> None:
        row = rows.get(event.call_id)
        if row is None:
            row = rows[event.call_id] = {
                "call_id": event.call_id,
                "day": None,
                "agent_id": None,
                "team_id": None,
                "campaign_id": None,
                "voided": 0,
                **dict.fromkeys(QA_COUNTERS, 0),
            }
        # Until the calls events arrive, the QA event's own view of the call stands in.
        if row["day"] is None and event.call_day is not None:
            row["day"] = event.call_day
        for column, value in (
            ("agent_id", event.agent_id),
            ("team_id", event.team_id),
            ("campaign_id", event.campaign_id),
        ):
            if row[column] is None:
                row[column] = value
        if isinstance(event, ViolationFound):
            row["violations_found"] += 1
        elif isinstance(event, ViolationConfirmed):
            row["violations_confirmed"] += 1
        elif isinstance(event, ViolationDismissed):
            row["violations_dismissed"] += 1
        elif isinstance(event, FineAssessed):
            row[fine_column(event.payee, event.kind)] += event.amount
        elif isinstance(event, ComplaintFiled):
            row["complaints"] += 1
        elif isinstance(event, SaleVoided):
            row["voided"] = 1

    def _add_callback(self, rows: dict[str, dict[str, Any]], event: CallbackFact) -> None:
        row = rows.get(event.callback_id)
        if row is None:
            row = rows[event.callback_id] = {
                "callback_id": event.callback_id,
                "day": None,
                **dict.fromkeys(DIMS),
                **dict.fromkeys(CALLBACK_FLAGS, 0),
            }
        due_at: datetime | None = None
        if isinstance(event, CallbackScheduled):
            row["scheduled"] = 1
            due_at = event.due_at
        elif isinstance(event, CallbackRescheduled):
            due_at = event.due_at
        elif isinstance(event, CallbackDue):
            row["due"] = 1
            due_at = event.due_at
        elif isinstance(event, CallbackDone):
            row["done"] = 1
        elif isinstance(event, CallbackMissed):
            row["missed"] = 1
            due_at = event.due_at
        elif isinstance(event, CallbackCancelled):
            row["cancelled"] = 1
        if due_at is not None:
            row["day"] = report_day(due_at, self.centre)
        # The owner as scheduled (done/missed events name who acted, not whose callback it is).
        if isinstance(event, CallbackScheduled | CallbackDue):
            for column, value in (
                ("agent_id", event.agent_id),
                ("team_id", event.team_id),
                ("campaign_id", event.campaign_id),
            ):
                if value is not None:
                    row[column] = value

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(call_facts))
        await session.execute(delete(callback_facts))
        await session.execute(delete(counted_event))
