"""State transitions of a callback: each updates the ``callback`` row and writes the event
that records it to the outbox (``common.outbox``), in the caller's transaction. No HTTP, no
publishing here.

Every event id is derived from the callback, the event type and the callback's revision (the
number of times it was (re)scheduled), so the same transition decided twice (a replayed
event, two replicas) yields the same id and JetStream keeps one copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from common.envelope import deterministic_event_id
from common.events.base import DomainEvent
from common.events.scheduling import (
    CallbackCancelled,
    CallbackDone,
    CallbackDue,
    CallbackMissed,
    CallbackReleased,
    CallbackRescheduled,
    CallbackScheduled,
)
from common.outbox import Cause, Outgoing, enqueue_many
from common.timeutil import as_utc, zone
from sqlalchemy import RowMapping, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.domain.rules import Placed, Wanted
from scheduling.tables import (
    OPEN_STATUSES,
    callback,
    dnc_entry,
    lead_number,
    lead_state,
)

OWNER = "scheduling"


def callback_id_for(call_id: str) -> str:
    """The callback a finished call books: one per call, the same id on every replay."""
    return "cb-" + deterministic_event_id(OWNER, "callback", call_id)


def event_id(callback_id: str, event_type: str, revision: int) -> str:
    return deterministic_event_id(OWNER, callback_id, event_type, str(revision))


def local_iso(at: datetime, tz_name: str | None) -> str:
    return at.astimezone(zone(tz_name)).isoformat()


def outgoing(event: DomainEvent, revision: int, cause: Cause | None = None) -> Outgoing:
    """``event`` (of the callback at ``revision``) for the outbox, with its deterministic id."""
    return Outgoing(event, event_id(event.aggregate_id(), event.event_type, revision), cause)


async def emit(session: AsyncSession, events: Sequence[tuple[DomainEvent, int]]) -> None:
    """Queue events (with the callback revision they belong to) for publishing, in one
    statement, caused by the event being applied (``common.outbox.caused_by``) or the current
    request."""
    await enqueue_many(session, [outgoing(event, revision) for event, revision in events])


# --- leads ---------------------------------------------------------------------------------


async def lead_row(session: AsyncSession, lead_id: str) -> RowMapping | None:
    return (await session.execute(select(lead_state).where(lead_state.c.lead_id == lead_id))).mappings().first()


# A lead's state before any event set it (a call seen before its lead).
LEAD_DEFAULTS: dict[str, Any] = {"opted_out": False, "no_answer_attempts": 0, "cycle": 1, "redials": 0}


async def upsert_lead(session: AsyncSession, lead_id: str, **values: Any) -> None:
    values = {k: (as_utc(v) if isinstance(v, datetime) else v) for k, v in values.items()}
    updated = await session.execute(update(lead_state).where(lead_state.c.lead_id == lead_id).values(**values))
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(lead_state.insert().values(lead_id=lead_id, **{**LEAD_DEFAULTS, **values}))


async def replace_numbers(session: AsyncSession, lead_id: str, numbers: Sequence[tuple[str, str]]) -> None:
    """The lead's numbers (number id, digest) as its latest event lists them; a number that
    stays keeps its own opt-out."""
    kept = {
        r["number_id"]: r
        for r in (await session.execute(select(lead_number).where(lead_number.c.lead_id == lead_id))).mappings()
    }
    await session.execute(lead_number.delete().where(lead_number.c.lead_id == lead_id))
    for number_id, digest in numbers:
        old = kept.get(number_id)
        await session.execute(
            lead_number.insert().values(
                lead_id=lead_id,
                number_id=number_id,
                number_digest=digest,
                opted_out=bool(old["opted_out"]) if old else False,
                opted_out_until=old["opted_out_until"] if old else None,
            )
        )


async def set_number_opt_out(
    session: AsyncSession, lead_id: str, number_id: str, *, opted_out: bool, until: datetime | None = None
) -> None:
    await session.execute(
        lead_number.update()
        .where(lead_number.c.lead_id == lead_id, lead_number.c.number_id == number_id)
        .values(opted_out=opted_out, opted_out_until=as_utc(until) if until else None)
    )


async def dialable_numbers(session: AsyncSession, lead_id: str, now: datetime) -> tuple[int, int]:
    """(the lead's numbers known here, how many of them may be dialled at ``now``): not opted
    out (or the opt-out has run out), not on the do-not-call list (or the entry has run out)."""
    return (await dialable_numbers_of(session, [lead_id], now)).get(lead_id, (0, 0))


async def dialable_numbers_of(
    session: AsyncSession, lead_ids: Sequence[str], now: datetime
) -> dict[str, tuple[int, int]]:
    """``dialable_numbers`` for many leads in two statements (the firing loop's batch); a lead
    with no number known here is absent."""
    numbers = (
        (await session.execute(select(lead_number).where(lead_number.c.lead_id.in_(list(lead_ids))))).mappings().all()
    )
    if not numbers:
        return {}
    digests = list({n["number_digest"] for n in numbers})
    listed: set[str] = set()
    for entry in (await session.execute(select(dnc_entry).where(dnc_entry.c.number_digest.in_(digests)))).mappings():
        until = as_utc(entry["until"])
        if until is None or until > now:
            listed.add(entry["number_digest"])
    counts: dict[str, tuple[int, int]] = {}
    for n in numbers:
        until = as_utc(n["opted_out_until"])
        opted_out = bool(n["opted_out"]) and (until is None or until > now)
        known, dialable = counts.get(n["lead_id"], (0, 0))
        counts[n["lead_id"]] = (known + 1, dialable + (not opted_out and n["number_digest"] not in listed))
    return counts


async def open_callbacks(session: AsyncSession, lead_id: str) -> list[RowMapping]:
    query = (
        select(callback)
        .where(callback.c.lead_id == lead_id, callback.c.status.in_(OPEN_STATUSES))
        .order_by(callback.c.due_at)
    )
    return list((await session.execute(query)).mappings().all())


async def get_callback(session: AsyncSession, callback_id: str) -> RowMapping | None:
    query = select(callback).where(callback.c.callback_id == callback_id)
    return (await session.execute(query)).mappings().first()


# --- transitions ---------------------------------------------------------------------------


def scheduled(
    *,
    callback_id: str,
    lead_id: str,
    agent_id: str | None,
    team_id: str | None,
    campaign_id: str | None,
    wanted: Wanted,
    placed: Placed,
    tz_name: str,
    policy_version: str,
    source_call_id: str | None,
    at: datetime,
) -> tuple[dict[str, Any], CallbackScheduled]:
    """A new callback's row (every column) and the event that announces it (revision 1)."""
    event = CallbackScheduled(
        callback_id=callback_id,
        lead_id=lead_id,
        agent_id=agent_id,
        team_id=team_id,
        campaign_id=campaign_id,
        reason=wanted.reason,
        due_at=placed.due_at.astimezone(UTC),
        requested_at=wanted.at.astimezone(UTC),
        adjustment=placed.adjustment,
        exact=wanted.exact,
        attempt=wanted.attempt,
        cycle=wanted.cycle,
        source_call_id=source_call_id,
        timezone=tz_name,
        local_due=local_iso(placed.due_at, tz_name),
        policy_version=policy_version,
        scheduled_at=at,
    )
    row = {
        "callback_id": callback_id,
        "lead_id": lead_id,
        "agent_id": agent_id,
        "team_id": team_id,
        "campaign_id": campaign_id,
        "reason": wanted.reason,
        "status": "scheduled",
        "due_at": as_utc(placed.due_at),
        "requested_at": as_utc(wanted.at),
        "adjustment": placed.adjustment,
        "exact": wanted.exact,
        "attempt": wanted.attempt,
        "cycle": wanted.cycle,
        "revision": 1,
        "released": False,
        "timezone": tz_name,
        "source_call_id": source_call_id,
        "policy_version": policy_version,
        "created_at": as_utc(at),
        "fired_at": None,
        "closed_at": None,
        "close_reason": None,
        "done_call_id": None,
    }
    return row, event


async def schedule(session: AsyncSession, row: dict[str, Any], event: CallbackScheduled) -> None:
    """Write the booking ``scheduled`` made: its row and its event."""
    # No existence check: the projection runner applies each event once, and the id is the
    # primary key, so a second booking of the same call could not commit anyway.
    await session.execute(callback.insert().values(**row))
    await emit(session, [(event, 1)])


async def _close(session: AsyncSession, row: RowMapping, status: str, reason: str, at: datetime, **extra: Any) -> bool:
    result = await session.execute(
        update(callback)
        .where(callback.c.callback_id == row["callback_id"], callback.c.status.in_(OPEN_STATUSES))
        .values(status=status, closed_at=as_utc(at), close_reason=reason, **extra)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def cancel(
    session: AsyncSession, row: RowMapping, reason: str, at: datetime, superseded_by: str | None = None
) -> bool:
    if not await _close(session, row, "cancelled", reason, at):
        return False
    await emit(session, [(cancelled(row, reason, at, superseded_by), row["revision"])])
    return True


def cancelled(
    row: RowMapping | dict[str, Any], reason: str, at: datetime, superseded_by: str | None = None
) -> CallbackCancelled:
    return CallbackCancelled(
        callback_id=row["callback_id"],
        lead_id=row["lead_id"],
        reason=reason,
        superseded_by=superseded_by,
        cancelled_at=at,
    )


async def complete(session: AsyncSession, row: RowMapping, call_id: str, agent_id: str | None, at: datetime) -> bool:
    if not await _close(session, row, "done", "called", at, done_call_id=call_id):
        return False
    await emit(session, [(done(row, call_id, agent_id, at), row["revision"])])
    return True


def done(row: RowMapping | dict[str, Any], call_id: str, agent_id: str | None, at: datetime) -> CallbackDone:
    return CallbackDone(
        callback_id=row["callback_id"], lead_id=row["lead_id"], call_id=call_id, agent_id=agent_id, done_at=at
    )


async def miss(session: AsyncSession, row: RowMapping, at: datetime) -> bool:
    if not await _close(session, row, "missed", "not called in time", at):
        return False
    event = CallbackMissed(
        callback_id=row["callback_id"],
        lead_id=row["lead_id"],
        due_at=as_utc(row["due_at"]),
        agent_id=row["agent_id"],
        missed_at=at,
    )
    await emit(session, [(event, row["revision"])])
    return True


async def reschedule(
    session: AsyncSession,
    row: RowMapping,
    due_at: datetime,
    reason: str,
    adjustment: str | None,
    at: datetime,
    *,
    exact: bool | None = None,
) -> CallbackRescheduled | None:
    revision = int(row["revision"]) + 1
    values: dict[str, Any] = {
        "due_at": as_utc(due_at),
        "status": "scheduled",
        "revision": revision,
        "adjustment": adjustment,
        "fired_at": None,
    }
    if exact is not None:
        values["exact"] = exact
    result = await session.execute(
        update(callback)
        .where(
            callback.c.callback_id == row["callback_id"],
            callback.c.revision == row["revision"],
            callback.c.status.in_(OPEN_STATUSES),
        )
        .values(**values)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    event = CallbackRescheduled(
        callback_id=row["callback_id"],
        lead_id=row["lead_id"],
        due_at=due_at.astimezone(UTC),
        previous_due_at=as_utc(row["due_at"]),
        reason=reason,
        adjustment=adjustment,
        local_due=local_iso(due_at, row["timezone"]),
        rescheduled_at=at,
    )
    await emit(session, [(event, revision)])
    return event


async def release(session: AsyncSession, row: RowMapping, reason: str, at: datetime) -> bool:
    result = await session.execute(
        update(callback)
        .where(
            callback.c.callback_id == row["callback_id"],
            callback.c.released.is_(False),
            callback.c.status.in_(OPEN_STATUSES),
        )
        .values(released=True, agent_id=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    event = CallbackReleased(
        callback_id=row["callback_id"],
        lead_id=row["lead_id"],
        previous_agent_id=row["agent_id"],
        team_id=row["team_id"],
        reason=reason,
        released_at=at,
    )
    await emit(session, [(event, row["revision"])])
    return True


async def release_many(session: AsyncSession, rows: Sequence[RowMapping], reason: str, at: datetime) -> int:
    """``release`` for rows the caller holds locked (housekeeping): two statements in all."""
    if not rows:
        return 0
    stmt = (
        update(callback)
        .where(callback.c.callback_id == bindparam("b_id"), callback.c.released.is_(False))
        .values(released=True, agent_id=None)
    )
    await session.execute(stmt, [{"b_id": r["callback_id"]} for r in rows])
    events = [
        (
            CallbackReleased(
                callback_id=r["callback_id"],
                lead_id=r["lead_id"],
                previous_agent_id=r["agent_id"],
                team_id=r["team_id"],
                reason=reason,
                released_at=at,
            ),
            int(r["revision"]),
        )
        for r in rows
    ]
    await emit(session, events)
    return len(rows)


async def miss_many(session: AsyncSession, rows: Sequence[RowMapping], at: datetime) -> int:
    if not rows:
        return 0
    stmt = (
        update(callback)
        .where(callback.c.callback_id == bindparam("b_id"), callback.c.status == "due")
        .values(status="missed", closed_at=as_utc(at), close_reason="not called in time")
    )
    await session.execute(stmt, [{"b_id": r["callback_id"]} for r in rows])
    events = [
        (
            CallbackMissed(
                callback_id=r["callback_id"],
                lead_id=r["lead_id"],
                due_at=as_utc(r["due_at"]),
                agent_id=r["agent_id"],
                missed_at=at,
            ),
            int(r["revision"]),
        )
        for r in rows
    ]
    await emit(session, events)
    return len(rows)


def due_event(row: RowMapping | dict[str, Any], fired_at: datetime) -> CallbackDue:
    return CallbackDue(
        callback_id=row["callback_id"],
        lead_id=row["lead_id"],
        agent_id=row["agent_id"],
        team_id=row["team_id"],
        campaign_id=row["campaign_id"],
        due_at=as_utc(row["due_at"]),
        reason=row["reason"],
        attempt=row["attempt"],
        fired_at=fired_at,
        revision=row["revision"],
        local_due=local_iso(as_utc(row["due_at"]) or fired_at, row["timezone"]),
        timezone=row["timezone"],
        released=bool(row["released"]),
    )


async def fire_many(session: AsyncSession, rows: Sequence[dict[str, Any]], fired_at: datetime) -> int:
    """scheduled → due for rows the caller holds (locked on PostgreSQL; SQLite's write lock
    serialises the whole transaction), each guarded by its revision."""
    if not rows:
        return 0
    stmt = (
        update(callback)
        .where(
            callback.c.callback_id == bindparam("b_id"),
            callback.c.revision == bindparam("b_rev"),
            callback.c.status == "scheduled",
        )
        .values(status="due", fired_at=bindparam("b_fired"))
    )
    params = [{"b_id": r["callback_id"], "b_rev": r["revision"], "b_fired": as_utc(fired_at)} for r in rows]
    await session.execute(stmt, params)
    await emit(session, [(due_event(r, fired_at), int(r["revision"])) for r in rows])
    return len(rows)


def tz_of(name: str | None, default: str) -> ZoneInfo:
    return zone(name, default)
