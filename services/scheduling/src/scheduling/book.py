"""The part of the callback book a batch of calls events works on, held in memory.

A finished call reads its lead's state and open callbacks, decides, cancels or completes some of
them, books one and updates the lead: about ten statements per call when each is its own round
trip. ``BatchBook`` reads the leads' state and their open callbacks for every lead of the batch
in one query each, lets the events change them in memory in stream order (so the second call of
a lead in the batch sees what the first did), and writes them back in a few statements at
``flush``: the changed leads in one upsert, the new callbacks in one insert, the closed ones in
one update, and the callback events in one outbox insert, in the order they were decided.

On PostgreSQL the open callbacks read are locked (``FOR UPDATE``) until the batch commits, so
the firing loop (which skips locked rows) and the API cannot change one between the read and
the write; on SQLite the batch's transaction holds the write lock throughout.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from common.db import is_postgresql, upsert
from common.events.base import DomainEvent
from common.outbox import Cause, Outgoing, enqueue_many
from common.timeutil import as_utc
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling import handlers as h
from scheduling.tables import OPEN_STATUSES, callback, lead_state

Row = dict[str, Any]


def _due(row: Row) -> datetime:
    due_at = as_utc(row["due_at"])
    assert due_at is not None
    return due_at


class BatchBook:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._forget()

    def _forget(self) -> None:
        self._leads: dict[str, Row | None] = {}  # None: no state for the lead yet
        self._open: dict[str, list[Row]] = {}  # the lead's open callbacks, by due time
        self._changed_leads: dict[str, Row] = {}
        self._booked: dict[str, Row] = {}  # callbacks booked in this batch (inserted at flush)
        self._closed: dict[str, Row] = {}  # callbacks read open and closed in this batch
        self._outgoing: list[Outgoing] = []

    def knows(self, lead_id: str) -> bool:
        return lead_id in self._leads

    async def load(self, lead_ids: Iterable[str]) -> None:
        """Read the state and open callbacks of the leads not read yet: one query each."""
        missing = [lead_id for lead_id in dict.fromkeys(lead_ids) if lead_id not in self._leads]
        if not missing:
            return
        for lead_id in missing:
            self._leads[lead_id] = None
            self._open[lead_id] = []
        rows = await self.session.execute(select(lead_state).where(lead_state.c.lead_id.in_(missing)))
        for row in rows.mappings():
            self._leads[row["lead_id"]] = dict(row)
        query = (
            select(callback)
            .where(callback.c.lead_id.in_(missing), callback.c.status.in_(OPEN_STATUSES))
            .order_by(callback.c.due_at)
        )
        if is_postgresql(self.session):
            query = query.with_for_update()
        for row in (await self.session.execute(query)).mappings():
            self._open[row["lead_id"]].append(dict(row))

    def lead(self, lead_id: str) -> Row | None:
        return self._leads[lead_id]

    def open_callbacks(self, lead_id: str) -> list[Row]:
        """As ``handlers.open_callbacks`` would read them now: open, by due time."""
        return list(self._open[lead_id])

    def update_lead(self, lead_id: str, **values: Any) -> None:
        """``handlers.upsert_lead`` in memory: a lead without state starts from the defaults."""
        row = self._leads[lead_id]
        if row is None:
            row = {column.name: None for column in lead_state.c} | h.LEAD_DEFAULTS | {"lead_id": lead_id}
            self._leads[lead_id] = row
        row.update({k: (as_utc(v) if isinstance(v, datetime) else v) for k, v in values.items()})
        self._changed_leads[lead_id] = row

    def book(self, row: Row, event: DomainEvent, cause: Cause) -> None:
        """``handlers.schedule`` in memory (``row`` and ``event`` from ``handlers.scheduled``)."""
        self._booked[row["callback_id"]] = row
        opened = self._open[row["lead_id"]]
        opened.append(row)
        opened.sort(key=_due)  # stable: rows due at the same time stay in the order read or booked
        self._emit(event, 1, cause)

    def close(self, row: Row, event: DomainEvent, cause: Cause, **values: Any) -> None:
        """``handlers.cancel`` / ``complete`` in memory: ``row`` (open) closed with ``values``."""
        row.update(values)
        self._open[row["lead_id"]].remove(row)
        if row["callback_id"] not in self._booked:
            self._closed[row["callback_id"]] = row
        self._emit(event, int(row["revision"]), cause)

    def _emit(self, event: DomainEvent, revision: int, cause: Cause) -> None:
        self._outgoing.append(h.outgoing(event, revision, cause))

    async def flush(self) -> None:
        """Write what the batch changed, then forget what was read (an event applied outside
        the book may change it next)."""
        session = self.session
        if self._changed_leads:
            await upsert(session, lead_state, list(self._changed_leads.values()), ["lead_id"])
        if self._booked:
            await session.execute(callback.insert(), list(self._booked.values()))
        if self._closed:
            stmt = (
                update(callback)
                # executemany takes no IN list: the open statuses spelt out
                .where(
                    callback.c.callback_id == bindparam("b_id"),
                    or_(*(callback.c.status == status for status in OPEN_STATUSES)),
                )
                .values(
                    status=bindparam("b_status"),
                    closed_at=bindparam("b_closed_at"),
                    close_reason=bindparam("b_reason"),
                    done_call_id=bindparam("b_done_call_id"),
                )
            )
            params = [
                {
                    "b_id": row["callback_id"],
                    "b_status": row["status"],
                    "b_closed_at": row["closed_at"],
                    "b_reason": row["close_reason"],
                    "b_done_call_id": row["done_call_id"],
                }
                for row in self._closed.values()
            ]
            await session.execute(stmt, params)
        await enqueue_many(session, self._outgoing)
        self._forget()
