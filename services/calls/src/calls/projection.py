"""The calls service's read models, each a projection of events:

- ``calls`` and ``campaign_settings``: the calls stream (this service's own events), for the
  queries, the attempt caps and the first-or-repeat history;
- ``guard_leads``, ``guard_numbers``, ``guard_dnc``: the guard's own copy of the lead data it
  needs (ownership, time zone, numbers, do-not-call), fed by the leads service's events. The
  calls service never reads the leads database.

Times are stored in UTC (SQLite keeps no offset; ``aware`` puts it back on read)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import ConfigDict, with_config
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    case,
    delete,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from typing_extensions import TypedDict  # pydantic validates typing's TypedDict only from 3.12

from common.db import insert, upsert
from common.events.base import DomainEvent
from common.events.calls import (
    CallEnded,
    CallPlaced,
    CallRefused,
    CallTranscribed,
    CampaignSettingsChanged,
    RedialRequested,
)
from common.events.leads import (
    DncEntryAdded,
    DncEntryRemoved,
    LeadAssigned,
    LeadCreated,
    LeadFlagged,
    LeadFlagResolved,
    LeadMerged,
    LeadMergedInto,
    LeadNumber,
    LeadOptedOut,
    LeadOptOutLifted,
    LeadPersonalDataErased,
    LeadProfile,
    LeadUpdated,
)
from common.personal_data import ERASED
from common.projection import EventByEvent, EventContext
from common.timeutil import as_utc

metadata = MetaData()

calls_table = Table(
    "calls",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False),  # placed | ended | refused
    Column("direction", String(16), nullable=False),
    Column("campaign_id", String(128), nullable=False),
    Column("agent_id", String(128), nullable=False),
    Column("team_id", String(128), nullable=False),
    Column("supervisor_id", String(128)),
    Column("lead_id", String(128), nullable=False),
    Column("number_id", String(128)),
    Column("number_digest", String(64)),
    Column("phone_masked", String(32)),
    Column("caller_number", String(32)),
    Column("placed_at", DateTime(timezone=True), nullable=False),
    Column("day", Date, nullable=False),
    Column("answered_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("ring_count", Integer),
    Column("hangup_by", String(16)),
    Column("eligibility", String(16)),
    Column("disposition", String(64)),
    Column("disposition_flags", JSON),
    Column("catalogue_version", String(64)),
    Column("contacted", Boolean),
    Column("callback_at", DateTime(timezone=True)),
    Column("talk_seconds", Float),
    Column("notes", Text),
    Column("recording_uri", Text),
    Column("first_contact", Boolean),
    Column("history", JSON),
    Column("heard_from", String(500)),
    Column("need", Text),
    Column("slow_answer", Boolean),
    Column("dropped", Boolean),
    Column("redial_requested", Boolean, nullable=False, default=False),
    Column("refusal_reason", String(64)),
    Column("refusal_reasons", JSON),
    Column("refusal_detail", Text),
    Column("transcript", JSON),
    Column("transcribed_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_calls_lead", "lead_id", "placed_at"),
    Index("ix_calls_agent", "agent_id", "placed_at"),
    Index("ix_calls_team", "team_id", "placed_at"),
    Index("ix_calls_campaign", "campaign_id", "placed_at"),
    Index("ix_calls_day", "day", "placed_at"),
    Index("ix_calls_disposition", "disposition", "placed_at"),
    Index("ix_calls_number", "number_digest", "placed_at"),
    Index("ix_calls_placed", "placed_at", "call_id"),
)

campaign_settings_table = Table(
    "campaign_settings",
    metadata,
    Column("campaign_id", String(128), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("changed_by", String(128)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

guard_leads = Table(
    "guard_leads",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("known", Boolean, nullable=False, default=True),  # False: only heard of through an alias
    Column("owner_agent_id", String(128)),
    Column("owner_team_id", String(128)),
    Column("timezone", String(64)),
    Column("country", String(8)),
    Column("tags", JSON),
    Column("merged_into", String(128), index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

guard_numbers = Table(
    "guard_numbers",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("number_id", String(128), primary_key=True),
    Column("number_digest", String(64), nullable=False, index=True),
    Column("kind", String(16)),
    Column("carrier", String(64)),
    Column("region", String(64)),
    Column("timezone", String(64)),
    Column("flagged_invalid", Boolean, nullable=False, default=False),
    Column("masked", String(32)),  # 138****8000: what a dial by number id shows of the number
)

guard_dnc = Table(
    "guard_dnc",
    metadata,
    # lead:<lead id> | lead:<lead id>:number:<number id> | entry:<DNC list entry id>
    Column("entry_key", String(300), primary_key=True),
    Column("scope", String(8), nullable=False),  # lead | number
    Column("lead_id", String(128), index=True),
    Column("number_id", String(128)),
    Column("number_digest", String(64), index=True),
    Column("until", DateTime(timezone=True)),
    Column("reason", Text),
    Column("source", String(64)),
    Column("since", DateTime(timezone=True), nullable=False),
)


# --- the calls read model -----------------------------------------------------------------


# A transcript's turns as the table stores them (JSON): the checks of the events' SpeechTurn and
# HoldPeriod (common.events.calls), validated by pydantic from the message's bytes into dicts
# rather than into models dumped back to dicts for the row (a fifth of a rebuild's CPU).
@with_config(ConfigDict(extra="allow"))
class SpeechTurnData(TypedDict):
    speaker: Literal["agent", "customer"]
    start_s: float
    end_s: float
    text: str


@with_config(ConfigDict(extra="allow"))
class HoldPeriodData(TypedDict):
    hold: Literal[True]
    start_s: float
    end_s: float


TRANSCRIPT_AS_DATA = list[SpeechTurnData | HoldPeriodData]


def transcript_row(turns: Sequence[Any]) -> list[Any]:
    """The transcript column's value: turns read as data (``fields_read_as``) as they are, turns
    decoded as the event's models (a sealed event opened, a dead letter replayed) dumped."""
    return [turn if isinstance(turn, dict) else turn.model_dump(mode="json") for turn in turns]


class CallsReadModel(EventByEvent):
    """Calls as the queries, the attempt caps and the history classification read them."""

    name = "calls-read"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {
        "calls": [
            "CallPlaced",
            "CallEnded",
            "CallTranscribed",
            "CallRefused",
            "RedialRequested",
            "CampaignSettingsChanged",
        ],
        # A lead's personal data erased: its calls keep every figure, lose the sealed values.
        "leads": ["LeadPersonalDataErased"],
    }
    # common.projection.ReadsAs: the transcript is stored, never read as models.
    fields_read_as: ClassVar[dict[str, dict[str, Any]]] = {
        "CallEnded": {"turns": TRANSCRIPT_AS_DATA},
        "CallTranscribed": {"turns": TRANSCRIPT_AS_DATA},
    }

    def __init__(self, centre_timezone: str = "Asia/Shanghai") -> None:
        self.centre = ZoneInfo(centre_timezone)

    def day_of(self, placed_at: datetime) -> date:
        return placed_at.astimezone(self.centre).date()

    def _common(self, e: CallPlaced | CallEnded) -> dict[str, Any]:
        return {
            "call_id": e.call_id,
            "direction": e.direction,
            "campaign_id": e.campaign.id,
            "agent_id": e.agent.id,
            "team_id": e.agent.team,
            "supervisor_id": e.agent.supervisor,
            "lead_id": e.customer.lead_id,
            "number_id": e.customer.number_id,
            "number_digest": e.customer.number_digest,
            "phone_masked": e.customer.phone_masked,
            "caller_number": e.caller_number,
            "placed_at": as_utc(e.placed_at),
            "day": self.day_of(e.placed_at),
            "updated_at": datetime.now(UTC),
        }

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        """The batch's CallPlaced and CallEnded rows written as two statements per run of them
        (a finished call is one of each), every other event applied in its place. Within a run
        the placed rows go first: a call's CallPlaced precedes its CallEnded in the stream, and
        a placed row never overwrites an ended one, so the result is the event-by-event one."""
        placed: list[dict[str, Any]] = []
        ended: list[dict[str, Any]] = []
        ended_calls: set[str] = set()

        async def flush() -> None:
            if placed:
                await _write_calls(session, placed, update=None)
                placed.clear()
            groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for row in ended:  # executemany needs one column set per statement
                groups.setdefault(tuple(row), []).append(row)
            for columns, rows in groups.items():
                await _write_calls(session, rows, update=tuple(c for c in columns if c not in _KEPT_ON_END))
            ended.clear()
            ended_calls.clear()

        for event, ctx in items:
            if isinstance(event, CallPlaced):
                placed.append(self._placed_row(event))
            elif isinstance(event, CallEnded):
                if event.call_id in ended_calls:  # a stored copy: one statement may not hit a row twice
                    await flush()
                ended.append(self._ended_row(event))
                ended_calls.add(event.call_id)
            else:
                await flush()
                await self.apply(session, event, ctx)
        await flush()

    def _placed_row(self, event: CallPlaced) -> dict[str, Any]:
        return {
            **self._common(event),
            "status": "placed",
            "first_contact": event.first_contact,
            "history": event.history.model_dump(mode="json") if event.history else None,
            "heard_from": event.heard_from,
            "redial_requested": False,
        }

    def _ended_row(self, event: CallEnded) -> dict[str, Any]:
        flags = event.disposition_flags
        row = {
            **self._common(event),
            "status": "ended",
            "answered_at": as_utc(event.answered_at),
            "ended_at": as_utc(event.ended_at),
            "ring_count": event.ring_count,
            "hangup_by": event.hangup_by,
            "eligibility": event.eligibility,
            "disposition": event.disposition,
            "disposition_flags": flags,
            "catalogue_version": event.catalogue_version,
            "contacted": ("customer_contact" in flags) if flags is not None else event.connected,
            "callback_at": as_utc(event.callback_at),
            "talk_seconds": event.talk_seconds,
            "notes": event.notes,
            "recording_uri": event.recording_uri,
            "need": event.need,
            "slow_answer": event.slow_answer,
            "dropped": event.dropped,
            "redial_requested": False,
        }
        if event.heard_from is not None:
            row["heard_from"] = event.heard_from
        if event.first_contact is not None:
            row["first_contact"] = event.first_contact
        if event.turns:
            row["transcript"] = transcript_row(event.turns)
            row["transcribed_at"] = as_utc(event.ended_at)
        return row

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        if isinstance(event, CallPlaced):
            # A CallEnded of the same call never comes first (one subject, one stream), so a
            # placed row never overwrites an ended one; insert-or-ignore keeps replays harmless.
            await upsert(session, calls_table, self._placed_row(event), ["call_id"], update_columns=[])
        elif isinstance(event, CallEnded):
            row = self._ended_row(event)
            await upsert(
                session, calls_table, row, ["call_id"], update_columns=[c for c in row if c not in _KEPT_ON_END]
            )
        elif isinstance(event, CallTranscribed):
            values: dict[str, Any] = {
                "transcript": transcript_row(event.turns),
                "transcribed_at": ctx.envelope.time,
                "updated_at": datetime.now(UTC),
            }
            if event.recording_uri:
                values["recording_uri"] = event.recording_uri
            await session.execute(update(calls_table).where(calls_table.c.call_id == event.call_id).values(**values))
        elif isinstance(event, RedialRequested):
            await session.execute(
                update(calls_table).where(calls_table.c.call_id == event.call_id).values(redial_requested=True)
            )
        elif isinstance(event, CallRefused):
            row = {
                "call_id": event.call_id,
                "status": "refused",
                "direction": "outbound",
                "campaign_id": event.campaign_id,
                "agent_id": event.agent.id,
                "team_id": event.team_id or event.agent.team,
                "supervisor_id": event.agent.supervisor,
                "lead_id": event.lead_id,
                "number_id": event.number_id,
                "number_digest": event.number_digest,
                "phone_masked": event.phone_masked,
                "placed_at": as_utc(event.refused_at),
                "day": self.day_of(event.refused_at),
                "refusal_reason": event.reason,
                "refusal_reasons": event.reasons or [event.reason],
                "refusal_detail": event.detail,
                "redial_requested": False,
                "updated_at": datetime.now(UTC),
            }
            await upsert(session, calls_table, row, ["call_id"], update_columns=[])
        elif isinstance(event, LeadPersonalDataErased):
            await self._erase(session, event.lead_id)
        elif isinstance(event, CampaignSettingsChanged):
            await upsert(
                session,
                campaign_settings_table,
                {
                    "campaign_id": event.campaign_id,
                    "version": event.version,
                    "settings": event.settings,
                    "changed_by": event.changed_by,
                    "changed_at": as_utc(event.changed_at),
                },
                ["campaign_id"],
            )

    async def _erase(self, session: AsyncSession, lead_id: str) -> None:
        """The values the calls events seal (common.personal_data), as a rebuild now reads them:
        "[erased]". Durations, dispositions and every id stay."""
        rows = (
            await session.execute(
                select(calls_table.c.call_id, calls_table.c.transcript).where(calls_table.c.lead_id == lead_id)
            )
        ).all()
        for call_id, transcript in rows:
            turns = [
                {**turn, "text": ERASED} if isinstance(turn, dict) and turn.get("text") is not None else turn
                for turn in transcript or []
            ]
            await session.execute(
                update(calls_table)
                .where(calls_table.c.call_id == call_id)
                .values(
                    transcript=turns if transcript is not None else None,
                    phone_masked=_erased(calls_table.c.phone_masked),
                    number_digest=_erased(calls_table.c.number_digest),
                    notes=_erased(calls_table.c.notes),
                    need=_erased(calls_table.c.need),
                    updated_at=datetime.now(UTC),
                )
            )

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(calls_table))
        await session.execute(delete(campaign_settings_table))


# What a CallEnded leaves as the CallPlaced wrote it (and the key).
_KEPT_ON_END = frozenset({"call_id", "redial_requested", "first_contact", "history"})


async def _write_calls(session: AsyncSession, rows: list[dict[str, Any]], *, update: tuple[str, ...] | None) -> None:
    """Insert ``rows`` (one column set) into ``calls``; on a conflict over the call id leave the
    stored row (``update=None``) or replace ``update``'s columns with the new values.

    On SQLite the statement is written once per column set and the rows go to the driver as
    SQLAlchemy would send them (its per-row bind processing cost more than SQLite's work: a
    fifth of a rebuild's CPU): times as its DATETIME text in UTC, days as ISO dates, JSON
    columns serialized (``None`` as JSON ``null``, as SQLAlchemy's JSON type stores it),
    booleans as 0/1. tests/test_calls_read_projection.py compares the stored values with
    SQLAlchemy's."""
    if session.get_bind().dialect.name != "sqlite":
        stmt = insert(session, calls_table)
        if update is None:
            stmt = stmt.on_conflict_do_nothing(index_elements=["call_id"])
        else:
            stmt = stmt.on_conflict_do_update(index_elements=["call_id"], set_={c: stmt.excluded[c] for c in update})
        await session.execute(stmt, rows)
        return
    columns = tuple(rows[0])
    convert = [(name, _SQLITE_VALUE.get(name)) for name in columns]
    values = [
        tuple(
            row[name]
            if to_driver is None or (row[name] is None and to_driver is not _json_text)
            else to_driver(row[name])
            for name, to_driver in convert
        )
        for row in rows
    ]
    connection = await session.connection()
    await connection.exec_driver_sql(_sqlite_insert(columns, update), values)


@cache
def _sqlite_insert(columns: tuple[str, ...], update: tuple[str, ...] | None) -> str:
    action = "NOTHING" if not update else "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
    return (
        f"INSERT INTO calls ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
        f"ON CONFLICT (call_id) DO {action}"
    )


def _sqlite_time(value: datetime) -> str:
    # SQLAlchemy's SQLite DATETIME storage format (the fields as given: the rows hold UTC).
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def _json_text(value: Any) -> str:
    return json.dumps(value)


def _sqlite_values() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in calls_table.columns:
        if isinstance(column.type, DateTime):
            out[column.name] = _sqlite_time
        elif isinstance(column.type, Date):
            out[column.name] = date.isoformat
        elif isinstance(column.type, JSON):
            out[column.name] = _json_text
        elif isinstance(column.type, Boolean):
            out[column.name] = int
    return out


# Column -> how its value goes to sqlite3 (absent: as it is). NULL stays NULL but in JSON columns.
_SQLITE_VALUE = _sqlite_values()


def _erased(column: Any) -> Any:
    """``[erased]`` where the column held a value, NULL stays NULL."""
    return case((column.is_(None), None), else_=ERASED)


# --- the guard's projection of the leads events ------------------------------------------


def _country(profile: LeadProfile | None) -> str | None:
    region = (profile.region or "") if profile else ""
    return region.upper() if len(region) == 2 and region.isalpha() else None


class GuardLeads(EventByEvent):
    """Ownership, time zone, numbers and the do-not-call list, from the leads stream."""

    name = "calls-guard"
    subscriptions: ClassVar[dict[str, Sequence[str]]] = {
        "leads": [
            "LeadCreated",
            "LeadUpdated",
            "LeadMerged",
            "LeadMergedInto",
            "LeadAssigned",
            "LeadOptedOut",
            "LeadOptOutLifted",
            "LeadFlagged",
            "LeadFlagResolved",
            "DncEntryAdded",
            "DncEntryRemoved",
            "LeadPersonalDataErased",
        ],
    }

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            await handler(session, event)

    async def _lead(self, session: AsyncSession, lead_id: str, **values: Any) -> None:
        row = {"lead_id": lead_id, "known": True, "updated_at": datetime.now(UTC), **values}
        await upsert(session, guard_leads, row, ["lead_id"])

    async def _profile_values(self, profile: LeadProfile) -> dict[str, Any]:
        return {"timezone": profile.timezone, "country": _country(profile), "tags": list(profile.tags)}

    async def _replace_numbers(self, session: AsyncSession, lead_id: str, numbers: Sequence[LeadNumber]) -> None:
        flagged = set(
            (
                await session.execute(
                    select(guard_numbers.c.number_id).where(
                        guard_numbers.c.lead_id == lead_id, guard_numbers.c.flagged_invalid.is_(True)
                    )
                )
            ).scalars()
        )
        await session.execute(delete(guard_numbers).where(guard_numbers.c.lead_id == lead_id))
        for n in numbers:
            await upsert(
                session,
                guard_numbers,
                {
                    "lead_id": lead_id,
                    "number_id": n.number_id,
                    "number_digest": n.number_digest,
                    "kind": n.kind,
                    "carrier": n.carrier,
                    "region": n.region,
                    "timezone": n.timezone,
                    "flagged_invalid": n.number_id in flagged,
                    "masked": n.masked or None,
                },
                ["lead_id", "number_id"],
            )
            # A number-level opt-out that came before the number itself: now its digest is known.
            await session.execute(
                update(guard_dnc)
                .where(
                    guard_dnc.c.lead_id == lead_id,
                    guard_dnc.c.number_id == n.number_id,
                    guard_dnc.c.number_digest.is_(None),
                )
                .values(number_digest=n.number_digest)
            )

    async def _on_LeadCreated(self, session: AsyncSession, e: LeadCreated) -> None:
        await self._lead(
            session,
            e.lead_id,
            owner_agent_id=e.owner_agent_id,
            owner_team_id=e.owner_team_id,
            **await self._profile_values(e.profile),
        )
        await self._replace_numbers(session, e.lead_id, e.numbers)

    async def _on_LeadUpdated(self, session: AsyncSession, e: LeadUpdated) -> None:
        values = await self._profile_values(e.profile) if e.profile is not None else {}
        await self._lead(session, e.lead_id, **values)
        if e.numbers is not None:
            await self._replace_numbers(session, e.lead_id, e.numbers)

    async def _merge(self, session: AsyncSession, merged: str, survivor: str) -> None:
        if merged == survivor:
            return
        await upsert(
            session,
            guard_leads,
            {"lead_id": merged, "known": False, "merged_into": survivor, "updated_at": datetime.now(UTC)},
            ["lead_id"],
            update_columns=["merged_into", "updated_at"],
        )
        await session.execute(
            update(guard_leads).where(guard_leads.c.merged_into == merged).values(merged_into=survivor)
        )
        await session.execute(update(guard_dnc).where(guard_dnc.c.lead_id == merged).values(lead_id=survivor))
        moved = (await session.execute(select(guard_numbers).where(guard_numbers.c.lead_id == merged))).mappings()
        for row in list(moved):
            await upsert(session, guard_numbers, {**row, "lead_id": survivor}, ["lead_id", "number_id"])
        await session.execute(delete(guard_numbers).where(guard_numbers.c.lead_id == merged))

    async def _on_LeadMerged(self, session: AsyncSession, e: LeadMerged) -> None:
        await self._merge(session, e.merged_lead_id, e.lead_id)
        await self._replace_numbers(session, e.lead_id, e.numbers)

    async def _on_LeadMergedInto(self, session: AsyncSession, e: LeadMergedInto) -> None:
        await self._merge(session, e.lead_id, e.into_lead_id)

    async def _on_LeadAssigned(self, session: AsyncSession, e: LeadAssigned) -> None:
        await self._lead(session, e.lead_id, owner_agent_id=e.owner_agent_id, owner_team_id=e.owner_team_id)

    async def _on_LeadOptedOut(self, session: AsyncSession, e: LeadOptedOut) -> None:
        digest = e.number_digest
        if e.number_id is not None and digest is None:
            digest = (
                await session.execute(
                    select(guard_numbers.c.number_digest).where(
                        guard_numbers.c.lead_id == e.lead_id, guard_numbers.c.number_id == e.number_id
                    )
                )
            ).scalar()
        scope = "number" if e.number_id is not None else "lead"
        await upsert(
            session,
            guard_dnc,
            {
                "entry_key": _dnc_key(e.lead_id, e.number_id),
                "scope": scope,
                "lead_id": e.lead_id,
                "number_id": e.number_id,
                "number_digest": digest if scope == "number" else None,
                "until": as_utc(e.until),
                "reason": e.reason,
                "source": e.source,
                "since": as_utc(e.opted_out_at),
            },
            ["entry_key"],
        )

    async def _on_LeadOptOutLifted(self, session: AsyncSession, e: LeadOptOutLifted) -> None:
        # Only the entry named: lifting the lead's opt-out leaves a number's own opt-out in place.
        await session.execute(delete(guard_dnc).where(guard_dnc.c.entry_key == _dnc_key(e.lead_id, e.number_id)))

    async def _on_LeadFlagged(self, session: AsyncSession, e: LeadFlagged) -> None:
        if e.flag == "invalid_number" and e.number_id:
            await session.execute(
                update(guard_numbers)
                .where(guard_numbers.c.lead_id == e.lead_id, guard_numbers.c.number_id == e.number_id)
                .values(flagged_invalid=True)
            )

    async def _on_LeadFlagResolved(self, session: AsyncSession, e: LeadFlagResolved) -> None:
        if e.flag == "invalid_number" and e.number_id:
            await session.execute(
                update(guard_numbers)
                .where(guard_numbers.c.lead_id == e.lead_id, guard_numbers.c.number_id == e.number_id)
                .values(flagged_invalid=False)
            )

    async def _on_LeadPersonalDataErased(self, session: AsyncSession, e: LeadPersonalDataErased) -> None:
        """The lead's numbers are gone (their digests and masked forms were its personal data):
        nothing of it can be dialled by number any more. Its own opt-outs stay, without the
        number's digest; a number to keep refusing for everyone belongs on the DNC list."""
        await session.execute(delete(guard_numbers).where(guard_numbers.c.lead_id == e.lead_id))
        await session.execute(update(guard_dnc).where(guard_dnc.c.lead_id == e.lead_id).values(number_digest=None))

    async def _on_DncEntryAdded(self, session: AsyncSession, e: DncEntryAdded) -> None:
        await upsert(
            session,
            guard_dnc,
            {
                "entry_key": f"entry:{e.entry_id}",
                "scope": "number",
                "lead_id": None,
                "number_id": None,
                "number_digest": e.number_digest,
                "until": as_utc(e.until),
                "reason": e.reason,
                "source": e.source,
                "since": as_utc(e.added_at),
            },
            ["entry_key"],
        )

    async def _on_DncEntryRemoved(self, session: AsyncSession, e: DncEntryRemoved) -> None:
        await session.execute(delete(guard_dnc).where(guard_dnc.c.entry_key == f"entry:{e.entry_id}"))

    async def reset(self, session: AsyncSession) -> None:
        for table in (guard_dnc, guard_numbers, guard_leads):
            await session.execute(delete(table))


def _dnc_key(lead_id: str, number_id: str | None) -> str:
    return f"lead:{lead_id}" if number_id is None else f"lead:{lead_id}:number:{number_id}"
