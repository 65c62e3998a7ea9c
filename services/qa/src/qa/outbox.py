"""Transactional outbox: events are written in the same database transaction as the state they
describe, and published after the commit by a background drainer.

Why: the projection decides its findings inside the runner's transaction (which also moves the
checkpoint). Publishing from inside that transaction could publish a finding whose transaction
then rolls back (and is re-decided later: harmless only because ids are deterministic), or,
worse, commit a finding whose publish failed (never re-published, since the checkpoint moved).
With the outbox the commit is the single point of truth: a committed row is published at least
once, and since every event id is deterministic and sent as ``Nats-Msg-Id``, a re-publish after a
crash between publish and marking lands inside JetStream's duplicate window and is dropped.
Readers are idempotent anyway (the id identifies the fact).

On PostgreSQL replicas share the work with ``FOR UPDATE SKIP LOCKED``; on SQLite (one process)
the rows are read, published and marked in short transactions so the writer lock is not held
across network round trips.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from common.events.base import DomainEvent, event_class
from common.eventstore import EventStore
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from qa.tables import insert_for, outbox

log = logging.getLogger(__name__)


async def enqueue(
    session: AsyncSession,
    event: DomainEvent,
    event_id: str,
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
) -> bool:
    """Add ``event`` to the outbox; False when an event with this id is there already."""
    stmt = (
        insert_for(session)(outbox)
        .values(
            event_id=event_id,
            event_type=event.event_type,
            data=event.to_data(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            created_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["event_id"])
    )
    result = await session.execute(stmt)
    return bool(result.rowcount)  # type: ignore[attr-defined]


class OutboxDrainer:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: EventStore,
        *,
        interval: float = 0.2,
        batch_size: int = 200,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.interval = interval
        self.batch_size = batch_size
        self.stopping = stopping
        self.wake = asyncio.Event()
        self.published = 0
        self.last_error: str | None = None

    def poke(self) -> None:
        self.wake.set()

    async def _publish(self, rows: list[Any]) -> None:
        for row in rows:
            event = event_class(row.event_type).model_validate(row.data)
            await self.store.publish(
                event, event_id=row.event_id, correlation_id=row.correlation_id, causation_id=row.causation_id
            )

    async def drain_once(self) -> int:
        """Publish up to one batch of pending events; returns how many."""
        query = select(outbox).where(outbox.c.published_at.is_(None)).order_by(outbox.c.id).limit(self.batch_size)
        async with self.sessions() as session:
            postgres = session.get_bind().dialect.name == "postgresql"
            async with session.begin():
                if postgres:
                    query = query.with_for_update(skip_locked=True)
                rows = list((await session.execute(query)).all())
                if not rows:
                    return 0
                if postgres:  # rows stay locked: no other replica publishes them meanwhile
                    await self._publish(rows)
                    await self._mark(session, rows)
                    return len(rows)
        await self._publish(rows)
        async with self.sessions() as session, session.begin():
            await self._mark(session, rows)
        return len(rows)

    async def _mark(self, session: AsyncSession, rows: list[Any]) -> None:
        await session.execute(
            update(outbox).where(outbox.c.id.in_([r.id for r in rows])).values(published_at=datetime.now(UTC))
        )
        self.published += len(rows)

    async def drain(self) -> int:
        total = 0
        while True:
            n = await self.drain_once()
            total += n
            if n < self.batch_size:
                return total

    async def run(self) -> None:
        """Drain until the service stops (its runners are told to stop), then once more."""
        backoff = self.interval
        while not self.stopping():
            try:
                await self.drain()
                self.last_error = None
                backoff = self.interval
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # broker or database away: keep the rows, try again
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("outbox drain failed", extra={"error": self.last_error})
                backoff = min(backoff * 2, 5.0)
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=min(backoff, 1.0))
            except TimeoutError:
                pass
            self.wake.clear()
        try:
            await self.drain()
        except Exception as exc:  # left in the outbox: published by the next start
            log.warning("outbox final drain failed", extra={"error": f"{type(exc).__name__}: {exc}"})
