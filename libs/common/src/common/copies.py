"""Copies of an event already applied: recognised by the event's id and passed.

JetStream drops a re-sent event only within the stream's duplicate window (2 minutes, keyed on
``Nats-Msg-Id``). A publisher retrying later (an outbox drained again after a restore, an
operator re-publishing from a backup) stores a second copy: same ce-id, same body, a later
stream sequence. A projection whose effects are not idempotent by their own keys (a history
row per event, a counter, a state that a late copy of an older event would set back) records
the id of every event it applies in a table of its own, in the batch's transaction, and passes
an event whose id is there.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, MetaData, String, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert


def applied_event_table(metadata: MetaData, name: str = "applied_event") -> Table:
    """The table of applied event ids (each service creates it in its own migrations)."""
    return Table(name, metadata, Column("event_id", String(128), primary_key=True))


async def first_application(session: AsyncSession, applied: Table, event_id: str) -> bool:
    """Record ``event_id`` as applied; False when it was already (this is a copy). One
    statement: the insert that finds the id there already inserts nothing."""
    result = await session.execute(
        insert(session, applied).values(event_id=event_id).on_conflict_do_nothing(index_elements=["event_id"])
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime


async def first_applications(session: AsyncSession, applied: Table, event_ids: Sequence[str]) -> list[bool]:
    """``first_application`` for a batch's events, in two statements (one read, one executemany
    insert): for each id in order, whether this is its first application. An id applied before,
    or repeated earlier in ``event_ids``, is a copy (False)."""
    if not event_ids:
        return []
    known = set(
        (await session.execute(select(applied.c.event_id).where(applied.c.event_id.in_(set(event_ids))))).scalars()
    )
    firsts: list[bool] = []
    fresh: list[dict[str, str]] = []
    for event_id in event_ids:
        first = event_id not in known
        firsts.append(first)
        if first:
            known.add(event_id)
            fresh.append({"event_id": event_id})
    if fresh:
        await session.execute(insert(session, applied).on_conflict_do_nothing(index_elements=["event_id"]), fresh)
    return firsts
