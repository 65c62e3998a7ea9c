"""The reporting read model: one row of facts per call and per callback, and their rollup.

Why facts per call: the facts about one call arrive on three streams that are applied
independently (a QA finding or a voided sale may be applied before the call it concerns), and a
per-call row lets every event add its part whatever the order: the call's day, agent, team and
campaign come with the calls events; QA counters are added to the same row.

Why a rollup: the tables are read from ``daily_figures``, one row per day, agent, team and
campaign, so a day's table costs the same at 1,000 calls or 1,000,000. Each batch reads the
facts of the calls and callbacks it touches (one ``SELECT … IN``), applies its events to them in
memory in stream order, writes the changed rows back whole (one ``INSERT … ON CONFLICT DO
UPDATE`` through executemany) and adds each one's change of figures, after minus before, to the
rollup (one more upsert, ``figure = figure + change``). Rows are sorted by key so concurrent
writers lock them in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, TypeAlias
from zoneinfo import ZoneInfo

from common.copies import applied_event_table
from common.db import is_postgresql, upsert
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
    BigInteger,
    Column,
    Date,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import (
    DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
    classify,
    dialling_seconds,
    fine_column,
    report_day,
)
from reporting.domain.rollup import (
    EFFECTIVE_FIGURES,
    FIGURES,
    KEY_COLUMNS,
    Changes,
    Figures,
    RollupKey,
    call_figures,
    callback_figures,
    rollup_key,
)

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
    Column("dialling_seconds", Float, nullable=False, default=0.0),  # placed to ended
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
CALL_FACT_EVENTS = (*CALL_EVENTS, *QA_EVENTS)  # the events a call's facts are made of
CallbackFact: TypeAlias = (
    CallbackScheduled | CallbackRescheduled | CallbackDue | CallbackDone | CallbackMissed | CallbackCancelled
)
QaFact: TypeAlias = (
    ViolationFound | ViolationConfirmed | ViolationDismissed | FineAssessed | ComplaintFiled | SaleVoided
)


# The per-day figures (the rollup): one row per day, agent, team and campaign, kept equal to the
# sum of the figures of the call and callback facts of that key (reporting.domain.rollup). The
# tables are read from here; ``call_facts`` and ``callback_facts`` are what the rollup is kept
# from (and the reference the tests compare it with).
daily_figures = Table(
    "daily_figures",
    metadata,
    Column("day", Date, primary_key=True),
    Column("agent_id", String(128), primary_key=True),
    Column("team_id", String(128), primary_key=True),
    Column("campaign_id", String(128), primary_key=True),
    *[Column(f, BigInteger, nullable=False, default=0) for f in FIGURES],
)

# Settings the rollup was computed with: the effective-talk threshold (its effective_calls and
# effective_talk_ms depend on it). When the service's setting changes, the first batch after
# recomputes those two figures from the call facts; until then the tables are read from the facts.
figures_setting = Table(
    "figures_setting",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Float, nullable=False),
)
EFFECTIVE_THRESHOLD = "effective_talk_min_seconds"

# The projection's batches are read-modify-write (a call's facts before and after, for the
# rollup's change), and its three runners (calls, scheduling, QA) apply batches concurrently:
# on PostgreSQL they take turns on this transaction-scoped advisory lock. (SQLite's BEGIN
# IMMEDIATE already makes every writer wait for the one before.)
_BATCH_LOCK = 0x7265_706F_7274  # "report"


def _new_call(call_id: str) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "day": None,
        **dict.fromkeys(DIMS),
        "placed": 0,
        "blocked": 0,
        **dict.fromkeys(OUTCOME, 0),
        "talk_seconds": 0.0,
        "dialling_seconds": 0.0,
        **dict.fromkeys(QA_COUNTERS, 0),
        "voided": 0,
    }


def _new_callback(callback_id: str) -> dict[str, Any]:
    return {"callback_id": callback_id, "day": None, **dict.fromkeys(DIMS), **dict.fromkeys(CALLBACK_FLAGS, 0)}


async def _load(session: AsyncSession, table: Table, key: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The current rows of ``ids`` (those that exist), by id."""
    rows: dict[str, dict[str, Any]] = {}
    for i in range(0, len(ids), 500):
        query = select(table).where(table.c[key].in_(ids[i : i + 500]))
        for row in (await session.execute(query)).mappings():
            rows[row[key]] = dict(row)
    return rows


async def _upsert_many(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: list[dict[str, Any]], *, add: bool = False
) -> None:
    """Insert ``rows``, or on a conflict over ``keys`` replace the other columns (``add=False``)
    or add to them (``add=True``: ``figure = figure + change``); one statement for the batch.

    The statement is written once per table and the rows go to the driver as they are: the ORM's
    per-row parameter processing cost more than the database's work (measured). On PostgreSQL
    the rows travel as one array per column, unnested server-side (a single round trip); on
    SQLite, in process, as the driver's executemany of positional rows."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        arrays = {c.name: [row[c.name] for row in rows] for c in table.columns}
        await session.execute(text(_upsert_sql(table, tuple(keys), add, dialect)), arrays)
        return
    names = [c.name for c in table.columns]
    dates = [c.name for c in table.columns if isinstance(c.type, Date)]  # stored as ISO text on SQLite
    values = []
    for row in rows:
        for name in dates:
            if row[name] is not None:
                row = {**row, name: row[name].isoformat()}
        values.append(tuple(row[name] for name in names))
    connection = await session.connection()
    await connection.exec_driver_sql(_upsert_sql(table, tuple(keys), add, dialect), values)


@cache
def _upsert_sql(table: Table, keys: tuple[str, ...], add: bool, dialect: Dialect) -> str:
    columns = [c.name for c in table.columns]
    if dialect.name == "postgresql":
        arrays = ", ".join(f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])" for c in table.columns)
        source = f"SELECT * FROM unnest({arrays})"
    else:
        source = f"VALUES ({', '.join('?' for _ in columns)})"
    updates = ", ".join(
        f"{c} = {table.name}.{c} + excluded.{c}" if add else f"{c} = excluded.{c}" for c in columns if c not in keys
    )
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) {source} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )


async def _store(session: AsyncSession, table: Table, key: str, rows: list[dict[str, Any]]) -> None:
    """Write whole rows: insert, or replace every column of the existing one (sorted by key, so
    concurrent writers lock rows in the same order)."""
    await _upsert_many(session, table, [key], sorted(rows, key=lambda r: r[key]))


async def _add_to_rollup(session: AsyncSession, changes: Changes) -> None:
    """Add the batch's changes to the rollup in one statement, then remove the rows a change
    left at zero."""
    await _upsert_many(session, daily_figures, KEY_COLUMNS, changes.rows(), add=True)
    emptied = changes.emptied()
    if emptied:
        t = daily_figures.c
        await session.execute(
            delete(daily_figures).where(
                *[t[k] == bindparam(f"k_{k}") for k in KEY_COLUMNS], *[t[f] == 0 for f in FIGURES]
            ),
            [{f"k_{k}": row[k] for k in KEY_COLUMNS} for row in emptied],
        )


class DailyFigures:
    """Feeds ``call_facts`` (calls and QA events), ``callback_facts`` (scheduling events) and the
    rollup ``daily_figures`` (both).

    - CallPlaced: a dial (拨打) on the day of its placed_at, with its agent, team and campaign.
    - CallEnded: a dial too (should its CallPlaced be missing), and its outcome (connected,
      customer reached, intent, sale, appointment, callback agreed, complaint) from the
      disposition flags, its talk time and its dialling time (placed to ended). A later
      CallEnded for the same call replaces it.
    - CallRefused: a blocked dial (the compliance guard refused it), on the day of refused_at.
    - ViolationFound / ViolationConfirmed / ViolationDismissed: counted on the call's row.
    - FineAssessed: yuan added to the agent's fines, the supervisor's, or the team's complaint
      deductions (only confirmed findings are ever fined).
    - ComplaintFiled: a complaint on the call. SaleVoided: the call's sale no longer counts.
    - Callback*: one row per callback: due day, owner, and whether it was scheduled, came due,
      was done, missed (overdue) or cancelled.

    A batch reads the current facts of the calls and callbacks it touches, applies its events to
    them in stream order, writes them back whole, and adds each one's change of figures (after
    minus before) to the rollup: a correction, a voided sale, a finding's review, a call whose
    day or agent a QA event had guessed, a rescheduled callback all move the figures they should.
    """

    name = "reporting-figures"
    # Figures never read a transcript, and a 20-turn one is most of a CallEnded's decoding: the
    # runner leaves it unvalidated (common.projection.ReadsPart).
    unread_fields: ClassVar[dict[str, frozenset[str]]] = {"CallEnded": frozenset({"turns"})}

    def __init__(
        self,
        centre_timezone: str = "Asia/Shanghai",
        effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
    ) -> None:
        self.centre = ZoneInfo(centre_timezone)
        self.min_effective = float(effective_talk_min_seconds)
        self.subscriptions: dict[str, Sequence[str]] = {
            "calls": [e.event_type for e in CALL_EVENTS],
            "scheduling": [e.event_type for e in CALLBACK_EVENTS],
            "qa": [e.event_type for e in QA_EVENTS],
        }

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        await self.apply_batch(session, [(event, ctx)])

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        if not items:
            return
        if is_postgresql(session):
            await session.execute(select(func.pg_advisory_xact_lock(_BATCH_LOCK)))
        await self._use_own_threshold(session)
        counted = await self._not_yet_counted(session, items)
        call_ids: dict[str, None] = {}
        callback_ids: dict[str, None] = {}
        for event, _ctx in items:
            if isinstance(event, CALL_FACT_EVENTS):
                call_ids[event.call_id] = None
            elif isinstance(event, CALLBACK_EVENTS):
                callback_ids[event.callback_id] = None
        calls_before = await _load(session, call_facts, "call_id", list(call_ids))
        callbacks_before = await _load(session, callback_facts, "callback_id", list(callback_ids))
        calls = {i: dict(calls_before[i]) if i in calls_before else _new_call(i) for i in call_ids}
        callbacks = {i: dict(callbacks_before[i]) if i in callbacks_before else _new_callback(i) for i in callback_ids}

        for event, ctx in items:
            if isinstance(event, CallEnded):
                self._end_call(calls[event.call_id], event)
            elif isinstance(event, CallPlaced):
                calls[event.call_id].update(self._call_identity(event), placed=1)
            elif isinstance(event, CallRefused):
                row = calls[event.call_id]
                _fill(row, day=report_day(event.refused_at, self.centre))
                _fill(row, agent_id=event.agent.id, team_id=event.team_id or event.agent.team)
                _fill(row, campaign_id=event.campaign_id)
                row["blocked"] = 1
            elif isinstance(event, QA_EVENTS):
                if ctx.envelope.id in counted:
                    counted.discard(ctx.envelope.id)  # a second copy in the same batch counts nothing
                    self._add_qa(calls[event.call_id], event)
            elif isinstance(event, CALLBACK_EVENTS):
                self._add_callback(callbacks[event.callback_id], event)

        changes = Changes()
        changed_calls = []
        for call_id, after in calls.items():
            before = calls_before.get(call_id)
            if after == before:
                continue
            changed_calls.append(after)
            changes.replace(self._call_share(before), self._call_share(after))
        changed_callbacks = []
        for callback_id, after in callbacks.items():
            before = callbacks_before.get(callback_id)
            if after == before:
                continue
            changed_callbacks.append(after)
            changes.replace(_callback_share(before), _callback_share(after))
        await _store(session, call_facts, "call_id", changed_calls)
        await _store(session, callback_facts, "callback_id", changed_callbacks)
        await _add_to_rollup(session, changes)

    def _call_share(self, facts: dict[str, Any] | None) -> tuple[RollupKey | None, Figures]:
        if facts is None:
            return None, {}
        return rollup_key(facts), call_figures(facts, self.min_effective)

    async def _use_own_threshold(self, session: AsyncSession) -> None:
        """Make the rollup's effective figures those of this projection's threshold: the first
        batch after the setting changed recomputes them from the call facts (in its own
        transaction, so a crash leaves the old figures and the old recorded threshold)."""
        recorded = (
            await session.execute(select(figures_setting.c.value).where(figures_setting.c.name == EFFECTIVE_THRESHOLD))
        ).scalar_one_or_none()
        if recorded == self.min_effective:
            return
        if recorded is not None:
            await recompute_effective(session, self.min_effective)
        await upsert(session, figures_setting, {"name": EFFECTIVE_THRESHOLD, "value": self.min_effective}, ["name"])

    def _call_identity(self, event: CallPlaced | CallEnded) -> dict[str, Any]:
        return {
            "day": report_day(event.placed_at, self.centre),
            "agent_id": event.agent.id,
            "team_id": event.agent.team,
            "campaign_id": event.campaign.id,
        }

    def _end_call(self, row: dict[str, Any], event: CallEnded) -> None:
        outcome = classify(event.disposition, event.disposition_flags, answered=event.connected)
        row.update(self._call_identity(event), placed=1)
        row.update({c: int(getattr(outcome, c if c != "complaint_call" else "complaint")) for c in OUTCOME})
        row["talk_seconds"] = float(event.talk_seconds or 0.0)
        row["dialling_seconds"] = dialling_seconds(event.placed_at, event.ended_at)

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

    def _add_qa(self, row: dict[str, Any], event: QaFact) -> None:
        # Until the calls events arrive, the QA event's own view of the call stands in.
        _fill(row, day=event.call_day)
        _fill(row, agent_id=event.agent_id, team_id=event.team_id, campaign_id=event.campaign_id)
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

    def _add_callback(self, row: dict[str, Any], event: CallbackFact) -> None:
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
        for table in (call_facts, callback_facts, counted_event, daily_figures, figures_setting):
            await session.execute(delete(table))


def _fill(row: dict[str, Any], **values: Any) -> None:
    """Set what is not known yet (the calls events are the authority on a call's day and agent;
    a refusal or a QA event only fills in what they have not told)."""
    for column, value in values.items():
        if row[column] is None and value is not None:
            row[column] = value


def _callback_share(facts: dict[str, Any] | None) -> tuple[RollupKey | None, Figures]:
    if facts is None:
        return None, {}
    return rollup_key(facts), callback_figures(facts)


async def recompute_effective(session: AsyncSession, min_effective_seconds: float) -> None:
    """The rollup's effective calls and effective talk time again from the call facts, for a new
    threshold (rare: a changed EFFECTIVE_TALK_MIN_SECONDS; one pass over the calls that reached
    the customer)."""
    await session.execute(update(daily_figures).values(effective_calls=0, effective_talk_ms=0))
    changes = Changes()
    query = select(call_facts).where(call_facts.c.contact == 1, call_facts.c.day.is_not(None))
    async for row in (await session.stream(query.execution_options(yield_per=5000))).mappings():
        facts = dict(row)
        figures = call_figures(facts, min_effective_seconds)
        changes.add(rollup_key(facts), {f: figures[f] for f in EFFECTIVE_FIGURES})
    t = daily_figures.c
    params = [
        {**{f"k_{k}": row[k] for k in KEY_COLUMNS}, **{f"v_{f}": row[f] for f in EFFECTIVE_FIGURES}}
        for row in changes.rows()
    ]
    if params:
        await session.execute(
            update(daily_figures)
            .where(*[t[k] == bindparam(f"k_{k}") for k in KEY_COLUMNS])
            .values({f: bindparam(f"v_{f}") for f in EFFECTIVE_FIGURES}),
            params,
        )
