"""The transactional outbox: what a transaction decides to publish is written in that same
transaction, and published after its commit by one ordered drainer. Every service that decides
events while applying other services' events (QA's findings, scheduling's callback book, leads'
call-outcome reactor) uses this one outbox; nothing publishes from inside a database
transaction.

What it guarantees
- **Nothing decided is lost, nothing undone is published.** ``enqueue`` writes a row in the
  caller's session; a rollback takes it back, a commit makes it the drainer's to publish.
- **In order, once in effect.** The drainer publishes rows in insertion order (the row's id)
  and stamps them published afterwards. Rows go out in windows (``window``, 64) holding no two
  rows of one aggregate: the window's publishes leave in row order on the one connection and
  their acknowledgements are awaited together (its commands run side by side), so a busy outbox
  costs about a round trip per window, not per row; an aggregate's own rows are always one
  window after the other, each acknowledged before the next. A crash between the publish and
  the stamp publishes the same rows again with the same event ids (``Nats-Msg-Id``), and the
  stream's duplicate window drops the copies. Rows enqueued more than three quarters of that
  window ago (an outage, a long stop) are first looked up in the stream (the last message on
  their subject), so a copy is not sent after the window has closed. Events of one aggregate
  are written by transactions that lock the aggregate's row, so their id order is their commit
  order.
- **One drainer at a time.** With several replicas, the drainer holds a lease
  (``common.projection.ProjectionLease`` on the row ``outbox`` of ``projection_checkpoint``),
  renewed in the transaction that stamps each batch; the other replicas stand by. Rows claimed
  with ``FOR UPDATE SKIP LOCKED`` would let replicas work in parallel but publish in no
  particular order, which is what the second outbox used to do. Should a drainer that lost its
  lease still publish a batch, each drainer publishes from the first unstamped row in order, so
  the first copy of every event is still in order and the later one is a dropped duplicate.
- **One trace, one correlation id.** The row keeps the causing event's correlation id, its id as
  causation, and the W3C trace context (``traceparent``) of the cause; the drainer publishes
  inside a span that continues that trace. So one posted call is one trace id and one
  correlation id from the calls service to QA's finding, scheduling's callback and leads' flags.
- **Outages only delay.** A broker or database failure keeps the rows and retries with back-off;
  a row that fails holds the rows behind it (order before progress; rows of other aggregates in
  its window may have gone out already and are not sent again), and ``last_error`` says why.

Stamped, not deleted: ``published_at`` lets the SRE on call see what was published when, and
for which cause (correlation id, trace), which a deleted row cannot tell; the drainer purges
stamped rows older than ``retention`` (7 days by default), so the table stays the size of a
week's events. Pending rows are found through the ``(published_at, id)`` index.

Commands, for event-sourced aggregates. An outbox row holds either an event (published as it
is) or a command (``enqueue_command``) that the drainer hands to the service's handler for that
command name. Leads' lead is event-sourced with optimistic concurrency: an event decided from a
read model and published later would skip the expected-version check, and the lead may have
changed in between (merged, deleted, already flagged). So its reactor enqueues the command (what
happened: a call ended with this outcome), and the drainer runs it through the ordinary
load-decide-append loop with event ids derived from the command id: a re-run after a crash
decides nothing new (the aggregate already has the call) or re-sends the same ids.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from opentelemetry import trace
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    cast,
    delete,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.db import insert
from common.envelope import H_ID, Envelope
from common.events.base import DomainEvent, event_class, upcast
from common.eventstore import EventStore
from common.personal_data import ERASED as PERSONAL_ERASED
from common.personal_data import erased_copy, lead_of
from common.projection import ProjectionLease
from common.telemetry import extract_trace_context, inject_trace_headers, trace_headers_of

log = logging.getLogger(__name__)

_tracer = trace.get_tracer(__name__)

EVENT = "event"
COMMAND = "command"
LEASE_KEY = "outbox"

# Created by the common Alembic branch (common_0003), so every service database has it.
outbox_metadata = MetaData()
outbox_message = Table(
    "outbox_message",
    outbox_metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("message_id", String(128), nullable=False, unique=True),  # the event id / command id
    Column("kind", String(16), nullable=False),  # "event" or "command"
    Column("type", String(128), nullable=False),  # event type or command name
    Column("aggregate_id", String(256)),
    Column("schema_version", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Column("correlation_id", String(128)),
    Column("causation_id", String(128)),
    Column("trace", JSON),  # W3C trace context headers of the cause
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
)
Index("ix_outbox_message_pending", outbox_message.c.published_at, outbox_message.c.id)


# --- the cause: correlation, causation, trace ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cause:
    """What an enqueued message was caused by: the correlation id it continues, the id of the
    event (or request) that caused it, and that cause's trace context."""

    correlation_id: str | None = None
    causation_id: str | None = None
    trace: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, envelope: Envelope) -> Cause:
        """Caused by a consumed event: continue its correlation and its trace."""
        return cls(envelope.correlation_id or envelope.id, envelope.id, trace_headers_of(envelope.extra_headers))


_cause: contextvars.ContextVar[Cause | None] = contextvars.ContextVar("outbox_cause", default=None)


@contextmanager
def caused_by(envelope: Envelope) -> Iterator[Cause]:
    """Everything enqueued inside the block (without an explicit cause) is caused by
    ``envelope``: for handlers that enqueue deep inside helper functions."""
    cause = Cause.of(envelope)
    token = _cause.set(cause)
    try:
        yield cause
    finally:
        _cause.reset(token)


def _resolve(correlation_id: str | None, causation_id: str | None, trace_headers: Mapping[str, str] | None) -> Cause:
    """Explicit values win; then the event being handled (``caused_by``); then the current span
    (an HTTP request), whose trace the message continues while its own id starts a correlation."""
    ambient = _cause.get()
    return Cause(
        correlation_id if correlation_id is not None else ambient.correlation_id if ambient else None,
        causation_id if causation_id is not None else ambient.causation_id if ambient else None,
        dict(trace_headers) if trace_headers is not None else ambient.trace if ambient else inject_trace_headers(),
    )


# --- writing, in the caller's transaction -------------------------------------------------------

_wakeups: set[asyncio.Event] = set()


def _wake_drainers_after_commit(session: AsyncSession) -> None:
    """Drainers in this process wake when the transaction commits (other replicas' rows are found
    by polling). Registered once per session."""
    if session.info.get("outbox_wake"):
        return
    session.info["outbox_wake"] = True

    def _after_commit(_session: Any) -> None:
        for wake in _wakeups:
            wake.set()

    sa_event.listen(session.sync_session, "after_commit", _after_commit)


async def _insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    result = await session.execute(
        insert(session, outbox_message).values(**values).on_conflict_do_nothing(index_elements=["message_id"])
    )
    _wake_drainers_after_commit(session)
    return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime


async def enqueue(
    session: AsyncSession,
    event: DomainEvent,
    *,
    event_id: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    trace_headers: Mapping[str, str] | None = None,
) -> bool:
    """Publish ``event`` once the caller's transaction commits. ``event_id`` must be
    deterministic (derived from what the event is about) so a re-decided or re-published event is
    dropped as a duplicate. What is not given comes from the event being handled (``caused_by``)
    or the current span. False when an event with this id is queued already."""
    return await _insert(session, _event_row(event, event_id, _resolve(correlation_id, causation_id, trace_headers)))


def _event_row(event: DomainEvent, event_id: str, cause: Cause) -> dict[str, Any]:
    return {
        "message_id": event_id,
        "kind": EVENT,
        "type": event.event_type,
        "aggregate_id": event.aggregate_id(),
        "schema_version": event.schema_version,
        "data": event.to_data(),
        "correlation_id": cause.correlation_id,
        "causation_id": cause.causation_id,
        "trace": dict(cause.trace),
        "created_at": datetime.now(UTC),
    }


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One event for ``enqueue_many``: what ``enqueue`` takes, its cause given (``Cause.of`` the
    consumed event) or, when None, resolved as ``enqueue`` resolves it."""

    event: DomainEvent
    event_id: str
    cause: Cause | None = None


@dataclass(frozen=True, slots=True)
class OutgoingCommand:
    """One command for ``enqueue_many``: what ``enqueue_command`` takes, its cause given or, when
    None, resolved as ``enqueue_command`` resolves it."""

    name: str
    data: Mapping[str, Any]
    command_id: str
    aggregate_id: str | None = None
    cause: Cause | None = None


def _command_row(command: OutgoingCommand, cause: Cause) -> dict[str, Any]:
    return {
        "message_id": command.command_id,
        "kind": COMMAND,
        "type": command.name,
        "aggregate_id": command.aggregate_id,
        "schema_version": 1,
        "data": dict(command.data),
        "correlation_id": cause.correlation_id,
        "causation_id": cause.causation_id,
        "trace": dict(cause.trace),
        "created_at": datetime.now(UTC),
    }


async def enqueue_many(session: AsyncSession, messages: Sequence[Outgoing | OutgoingCommand]) -> None:
    """``enqueue`` (or ``enqueue_command``) for each of ``messages`` in turn, in one statement
    (multi-row insert): for a projection's batch. The rows get ids in the order given, so they are
    published in that order; an id queued already (or twice in ``messages``) is kept once, as
    ``enqueue`` keeps it."""
    if not messages:
        return
    rows = []
    for m in messages:
        cause = m.cause if m.cause is not None else _resolve(None, None, None)
        rows.append(_event_row(m.event, m.event_id, cause) if isinstance(m, Outgoing) else _command_row(m, cause))
    await session.execute(insert(session, outbox_message).on_conflict_do_nothing(index_elements=["message_id"]), rows)
    _wake_drainers_after_commit(session)


async def enqueue_command(
    session: AsyncSession,
    name: str,
    data: Mapping[str, Any],
    *,
    command_id: str,
    aggregate_id: str | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    trace_headers: Mapping[str, str] | None = None,
) -> bool:
    """Run the command ``name`` (a handler given to the ``OutboxDrainer``) once the caller's
    transaction commits, in order with the events and commands enqueued before it. The handler
    derives its event ids from ``command_id`` so a re-run appends nothing new."""
    cause = _resolve(correlation_id, causation_id, trace_headers)
    return await _insert(session, _command_row(OutgoingCommand(name, data, command_id, aggregate_id), cause))


async def pending_count(session: AsyncSession) -> int:
    """Rows not yet published (for readiness checks and tests)."""
    rows = await session.execute(select(outbox_message.c.id).where(outbox_message.c.published_at.is_(None)))
    return len(rows.all())


# --- publishing, in the background -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    command_id: str
    data: dict[str, Any]
    correlation_id: str | None
    causation_id: str | None


CommandHandler = Callable[[Command], Awaitable[None]]


@dataclass
class DrainerStats:
    published: int = 0
    executed: int = 0
    already_in_stream: int = 0
    purged: int = 0
    last_error: str | None = None


def _windows(rows: Sequence[Any], size: int) -> Iterator[list[Any]]:
    """Consecutive rows cut into windows of at most ``size`` in which no aggregate appears twice
    (a row naming none is a window of its own): within a window the rows may be delivered at
    once, since only one aggregate's events must keep their order."""
    window: list[Any] = []
    seen: set[str] = set()
    for row in rows:
        alone = row.aggregate_id is None
        if window and (alone or row.aggregate_id in seen or len(window) >= size):
            yield window
            window, seen = [], set()
        window.append(row)
        if alone:
            yield window
            window = []
        else:
            seen.add(row.aggregate_id)
    if window:
        yield window


class OutboxDrainer:
    """Publishes the outbox in insertion order; run ``run`` as a service's background job."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        store: EventStore,
        *,
        commands: Mapping[str, CommandHandler] | None = None,
        interval: float = 0.5,
        batch_size: int = 200,
        retention: timedelta = timedelta(days=7),
        duplicate_window: timedelta = timedelta(minutes=2),
        lease_ttl: float | None = None,
        stopping: Callable[[], bool] = lambda: False,
        window: int = 64,
    ) -> None:
        self.sessions = sessions
        self.store = store
        self.commands = dict(commands or {})
        self.interval = interval
        self.batch_size = batch_size
        self.retention = retention
        self.recheck_after = duplicate_window * 0.75
        self.stopping = stopping
        self.lease = ProjectionLease(sessions, LEASE_KEY)
        if lease_ttl is not None:
            self.lease.ttl_seconds = lease_ttl
        self.wake = asyncio.Event()
        self.stats = DrainerStats()
        # Published by this process but not yet stamped (the stamp's transaction failed): not
        # sent again by us, only stamped.
        self._sent: set[str] = set()
        self._last_purge = 0.0
        # Rows delivered at once (publishes in flight, commands run side by side); 1 is the
        # strict one-after-the-other of before.
        self.window = window

    def poke(self) -> None:
        self.wake.set()

    async def drain_once(self) -> int:
        """Publish up to one batch; 0 when there is nothing to publish or another replica holds
        the lease."""
        if not await self.lease.hold():
            return 0
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(outbox_message)
                    .where(outbox_message.c.published_at.is_(None))
                    .order_by(outbox_message.c.id)
                    .limit(self.batch_size)
                )
            ).all()
        if not rows:
            return 0
        done: list[int] = []
        try:
            for window in _windows(rows, self.window):
                await self._deliver_window(window, done)
        finally:
            if done:  # stamp what went out, even when a later row failed
                await self._stamp(done)
        return len(done)

    async def _deliver_window(self, window: list[Any], done: list[int]) -> None:
        """Deliver the rows of one window (no two of one aggregate) at once: the publishes leave
        on the one connection in row order and their acks are awaited together, so a batch costs
        about one broker round trip instead of one per row. The rows are done in order up to the
        first failure, which is raised; a later row of the window that went out meanwhile is
        remembered as sent (stamped, not sent again) and, being of another aggregate, its place
        before the failed one changes no aggregate's order."""
        todo = [row for row in window if row.message_id not in self._sent]
        results = await asyncio.gather(*(self._deliver(row) for row in todo), return_exceptions=True)
        failed: BaseException | None = None
        for row, result in zip(todo, results, strict=True):
            if isinstance(result, BaseException):
                failed = failed or result
            else:
                self._sent.add(row.message_id)
        for row in window:
            if row.message_id not in self._sent:
                break
            done.append(row.id)
        if failed is not None:
            raise failed

    async def _stamp(self, ids: list[int]) -> None:
        async with self.sessions() as session, session.begin():
            await self.lease.renew(session)  # a replica that took over meanwhile re-publishes: dropped
            await session.execute(
                update(outbox_message).where(outbox_message.c.id.in_(ids)).values(published_at=datetime.now(UTC))
            )
        self._sent.clear()

    async def _deliver(self, row: Any) -> None:
        with _tracer.start_as_current_span(
            f"outbox {row.kind} {row.type}",
            context=extract_trace_context(row.trace),
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.message.id": row.message_id},
        ):
            if row.kind == COMMAND:
                handler = self.commands.get(row.type)
                if handler is None:
                    raise LookupError(f"no handler for outbox command {row.type!r} (row {row.id})")
                await handler(Command(row.type, row.message_id, dict(row.data), row.correlation_id, row.causation_id))
                self.stats.executed += 1
                return
            cls = event_class(row.type)
            event = cls.model_validate(upcast(cls, dict(row.data), row.schema_version))
            if self._stale(row) and await self._in_stream(event, row.message_id):
                self.stats.already_in_stream += 1
                return
            # The span is current: the event store injects its context, continuing the cause's trace.
            await self.store.publish(
                event, event_id=row.message_id, correlation_id=row.correlation_id, causation_id=row.causation_id
            )
            self.stats.published += 1

    def _stale(self, row: Any) -> bool:
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        return bool(datetime.now(UTC) - created > self.recheck_after)

    async def _in_stream(self, event: DomainEvent, message_id: str) -> bool:
        """Published before a crash, longer ago than the duplicate window remembers? The last
        message on the event's subject tells (rows are published in order)."""
        names = self.store.names
        try:
            msg = await self.store.js.get_last_msg(
                names.stream(event.owner), names.subject(event.owner, event.aggregate_id(), event.event_type)
            )
        except Exception:  # nothing on that subject
            return False
        return bool(msg.headers and msg.headers.get(H_ID) == message_id)

    async def purge(self) -> int:
        """Forget rows published longer ago than ``retention``."""
        cutoff = datetime.now(UTC) - self.retention
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(outbox_message).where(
                    outbox_message.c.published_at.is_not(None), outbox_message.c.published_at < cutoff
                )
            )
        purged = int(result.rowcount)  # type: ignore[attr-defined]  # CursorResult at runtime
        self.stats.purged += purged
        return purged

    async def drain(self) -> int:
        total = 0
        while True:
            n = await self.drain_once()
            total += n
            if n < self.batch_size:
                return total

    async def run(self) -> None:
        """Drain until the service stops, then once more; wakes on a commit in this process that
        enqueued something, polls every ``interval`` otherwise (other replicas' rows, a lease to
        take over)."""
        _wakeups.add(self.wake)
        backoff = self.interval
        try:
            while not self.stopping():
                self.wake.clear()
                try:
                    await self.drain()
                    if time.monotonic() - self._last_purge > 3600:
                        self._last_purge = time.monotonic()
                        await self.purge()
                    self.stats.last_error = None
                    backoff = self.interval
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # broker or database away: the rows wait, we retry
                    self.stats.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("outbox drain failed", extra={"error": self.stats.last_error})
                    backoff = min(backoff * 2, 5.0)
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=backoff)
                except TimeoutError:
                    pass
            try:
                await self.drain()
            except Exception as exc:  # left in the outbox: published by the next holder
                log.warning("outbox final drain failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        finally:
            _wakeups.discard(self.wake)
            await self.lease.release()


# --- erasure of a lead's personal data (common.personal_data) -------------------------------------------------------

# Personal values in an outbox command's data (commands have no event class to say so).
_PERSONAL_COMMAND_KEYS = frozenset({"masked", "phone_masked", "number_digest", "name_digest"})


def _scrub_keys(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: (PERSONAL_ERASED if k in _PERSONAL_COMMAND_KEYS and v is not None else _scrub_keys(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_scrub_keys(v) for v in node]
    return node


async def scrub_lead(session: AsyncSession, lead_id: str) -> int:
    """Replace the erased lead's personal values in this database's outbox rows (published rows
    are kept 7 days; a pending one is then published with ``[erased]``, as it should be now).
    Every service whose projections enqueue events or commands about a lead calls this when it
    applies ``LeadPersonalDataErased``. Returns the rows changed."""
    rows = (
        await session.execute(
            select(outbox_message.c.id, outbox_message.c.kind, outbox_message.c.type, outbox_message.c.data).where(
                cast(outbox_message.c.data, String).contains(lead_id)
            )
        )
    ).all()
    changed = 0
    for row_id, kind, type_, data in rows:
        if not isinstance(data, dict) or lead_of(data) != lead_id:
            continue
        scrubbed = erased_copy(type_, data) if kind == "event" else _scrub_keys(data)
        if scrubbed != data:
            await session.execute(update(outbox_message).where(outbox_message.c.id == row_id).values(data=scrubbed))
            changed += 1
    return changed
