"""The firing loop: the due-callback index in the database, polled; never an in-memory timer.

Each tick, on every replica:
1. **fire** – in one transaction, take the scheduled callbacks whose ``due_at`` has come
   (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two replicas take disjoint rows; SQLite's
   write lock serialises the transaction), re-check each against the do-not-call state and the
   calling window, mark it ``due`` and write its ``CallbackDue`` to the outbox
   (``common.outbox``, whose drainer publishes it in order after the commit);
2. **housekeeping** (every second) – release callbacks overdue past the policy's minutes to the
   team, and mark missed the ones never called.
Then it sleeps until the next due time, at most ``poll_interval`` (other replicas and the
projection add rows), or until the projection in this process wakes it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from common.db import is_postgresql
from common.timeutil import as_utc
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scheduling import handlers as h
from scheduling.clock import Clock
from scheduling.domain.windows import is_allowed, next_allowed
from scheduling.policies import PolicyStore
from scheduling.tables import agent_absence, callback, lead_state

if TYPE_CHECKING:
    from scheduling.context import SchedulingRuntime

log = logging.getLogger(__name__)


class Wakeup:
    """How the projection (in this process) tells the loop about a callback due sooner than
    the loop planned to wake; other replicas' bookings are found by the poll."""

    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.planned: datetime | None = None  # when the sleeping loop means to look again

    def notify(self, due_at: datetime | None = None) -> None:
        if due_at is None or self.planned is None or due_at < self.planned:
            self.event.set()


class Dispatcher:
    def __init__(
        self,
        runtime: SchedulingRuntime,
        clock: Clock,
        policies: PolicyStore,
        wake: Wakeup,
        *,
        poll_interval: float = 0.2,
        batch_size: int = 500,
        absent_agents: frozenset[str] = frozenset(),
        late_grace: timedelta = timedelta(minutes=10),
        housekeeping_interval: float = 1.0,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.policies = policies
        self.wake = wake
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.absent_agents = absent_agents
        self.late_grace = late_grace
        self.housekeeping_interval = housekeeping_interval
        self._last_housekeeping = 0.0
        self.next_due: datetime | None = None
        self.stats: dict[str, int] = {
            "fired": 0,
            "released": 0,
            "missed": 0,
            "moved": 0,
            "cancelled": 0,
            "errors": 0,
        }

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.runtime.session_factory

    async def run(self) -> None:
        backoff = 0.2
        while not self.runtime.stopping.is_set():
            try:
                fired = await self.fire_due()
                if time.monotonic() - self._last_housekeeping >= self.housekeeping_interval:
                    await self.housekeeping()
                    self._last_housekeeping = time.monotonic()
                backoff = 0.2
                if fired >= self.batch_size:
                    continue  # more waiting: no sleep
                delay = self.poll_interval
                if self.next_due is not None:
                    delay = min(delay, self.clock.real_delay(self.next_due))
                if fired == 0:
                    # Due rows this tick could not take are locked by another replica (SKIP
                    # LOCKED): do not spin on them.
                    delay = max(delay, min(self.poll_interval, 0.02))
                await self._sleep(delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats["errors"] += 1
                log.warning("firing loop error", extra={"error": f"{type(exc).__name__}: {exc}"})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.wake.event.clear()
        self.wake.planned = self.next_due
        try:
            await asyncio.wait_for(self.wake.event.wait(), timeout=seconds)
        except TimeoutError:
            pass
        finally:
            self.wake.planned = None

    # --- 1. fire ---------------------------------------------------------------------------

    async def fire_due(self) -> int:
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            query = (
                select(callback)
                .where(callback.c.status == "scheduled", callback.c.due_at <= as_utc(now))
                .order_by(callback.c.due_at)
                .limit(self.batch_size)
            )
            if is_postgresql(session):
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).mappings().all()
            if not rows:
                await self._look_ahead(session)
                return 0
            lead_ids = list({r["lead_id"] for r in rows})
            leads = {
                r["lead_id"]: r
                for r in (
                    await session.execute(select(lead_state).where(lead_state.c.lead_id.in_(lead_ids)))
                ).mappings()
            }
            absent = set(self.absent_agents) | set((await session.execute(select(agent_absence.c.agent_id))).scalars())
            numbers = await h.dialable_numbers_of(session, lead_ids, now)
            to_fire: list[dict[str, Any]] = []
            for row in rows:
                lead_id = row["lead_id"]
                ready = await self._recheck(session, row, leads.get(lead_id), numbers.get(lead_id, (0, 0)), absent, now)
                if ready is not None:
                    to_fire.append(ready)
            await h.fire_many(session, to_fire, now)
            await self._look_ahead(session)
        self.stats["fired"] += len(to_fire)
        return len(rows)

    async def _look_ahead(self, session: AsyncSession) -> None:
        """In the same transaction: when the next callback is due."""
        next_due = (
            await session.execute(select(func.min(callback.c.due_at)).where(callback.c.status == "scheduled"))
        ).scalar_one_or_none()
        self.next_due = as_utc(next_due)

    async def _recheck(
        self,
        session: AsyncSession,
        row: Any,
        lead: Any,
        numbers: tuple[int, int],
        absent: set[str],
        now: datetime,
    ) -> dict[str, Any] | None:
        """Checked again at firing time: do-not-call, the calling window, the owner's absence."""
        if lead is not None and lead["opted_out"]:
            await h.cancel(session, row, "opted_out", now)
            self.stats["cancelled"] += 1
            return None
        known, dialable = numbers  # (known here, dialable now), read for the whole batch
        if known and not dialable:
            # Every number of the lead is opted out or on the do-not-call list: nobody may dial
            # it, so the callback is cancelled with the reason (the agenda shows it).
            await h.cancel(session, row, "no_dialable_number", now)
            self.stats["cancelled"] += 1
            return None
        policy = await self.policies.get(session, row["campaign_id"])
        tz = h.tz_of(row["timezone"], policy.window.default_timezone)
        window = policy.window.window(lead["country"] if lead is not None else None)
        due_at: datetime | None = as_utc(row["due_at"])
        assert due_at is not None
        dnc_until = as_utc(lead["dnc_until"]) if lead is not None else None
        wanted: datetime | None = None
        note = ""
        if dnc_until is not None and dnc_until > now:
            wanted, note, reason = (
                dnc_until,
                f"do not call until {dnc_until.isoformat()}",
                "do_not_call_until",
            )
        elif not is_allowed(window, due_at, tz):
            wanted, note, reason = max(due_at, now), "outside the calling window at firing time", "window"
        elif now - due_at > self.late_grace and not is_allowed(window, now, tz):
            wanted, note, reason = now, "fired late, now outside the calling window", "window"
        if wanted is not None:
            placement = next_allowed(window, wanted, tz)
            adjustment = "; ".join(x for x in (note, placement.reason) if x)
            await h.reschedule(session, row, placement.at, reason, adjustment, now)
            self.stats["moved"] += 1
            return None
        ready = dict(row)
        if row["agent_id"] in absent and not row["released"]:
            await h.release(session, row, "agent_absent", now)
            ready.update(released=True, agent_id=None)
            self.stats["released"] += 1
        return ready

    # --- 2. housekeeping -------------------------------------------------------------------

    async def housekeeping(self) -> None:
        """Release overdue callbacks to the team, mark never-called ones missed: in bulk, on
        rows locked for this replica (PostgreSQL) or under SQLite's write lock."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            postgres = is_postgresql(session)
            policies = await self.policies.all_policies(session)
            min_release = min(p.ownership.release_after_minutes for p in policies)
            min_miss = min(p.ownership.miss_after_minutes for p in policies)
            query = (
                select(callback)
                .where(
                    callback.c.status == "due",
                    callback.c.released.is_(False),
                    callback.c.due_at <= as_utc(now - timedelta(minutes=min_release)),
                )
                .order_by(callback.c.due_at)
                .limit(self.batch_size)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True)
            overdue = [
                r
                for r in (await session.execute(query)).mappings().all()
                if await self._past(session, r, now, "release")
            ]
            self.stats["released"] += await h.release_many(session, overdue, "overdue", now)
            query = (
                select(callback)
                .where(callback.c.status == "due", callback.c.due_at <= as_utc(now - timedelta(minutes=min_miss)))
                .order_by(callback.c.due_at)
                .limit(self.batch_size)
            )
            if postgres:
                query = query.with_for_update(skip_locked=True)
            stale = [
                r for r in (await session.execute(query)).mappings().all() if await self._past(session, r, now, "miss")
            ]
            self.stats["missed"] += await h.miss_many(session, stale, now)

    async def _past(self, session: AsyncSession, row: Any, now: datetime, what: str) -> bool:
        ownership = (await self.policies.get(session, row["campaign_id"])).ownership
        minutes = ownership.release_after_minutes if what == "release" else ownership.miss_after_minutes
        due_at: datetime | None = as_utc(row["due_at"])
        assert due_at is not None
        return due_at + timedelta(minutes=minutes) <= now
