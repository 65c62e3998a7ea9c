"""The projection runner: events from JetStream into a service's own tables, exactly once in
effect.

- The database checkpoint (the last stream sequence applied) is the single truth about where a
  projection stands: it is committed in the same transaction as the projection's writes, and
  every time a runner starts applying it positions its durable consumer at checkpoint + 1. The
  consumer delivers each message once (no acks, no redelivery), in stream order, and the runner
  checks the consumer's delivery sequence for gaps; so events are applied strictly in stream
  order, each once, whatever was killed when (see ``ProjectionRunner``).
- Messages are fetched in batches and the whole batch is applied in one database transaction
  together with the checkpoint. A crash before the commit loses nothing (the next runner reads
  from checkpoint + 1 again); a crash after it counts nothing twice.
- A message that can never be applied (not a CloudEvent, unknown type, fails validation) is
  written to ``dead_letter`` with its reason and passed; so is one whose handler keeps failing
  after ``max_deliver`` tries. The stream keeps flowing behind it.
- Losing the broker or the database is not the message's fault: the batch is retried for as
  long as it takes, never dead-lettered.
- One replica applies a projection at a time (``ProjectionLease``); the others stand by.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError
from opentelemetry import trace
from pydantic import ValidationError
from sqlalchemy import JSON as SAJSON
from sqlalchemy import BigInteger as SABigInteger
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, select
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common.batch_pull import BatchPull, PullFailed
from common.db import checkpoint_wal, create_engine
from common.envelope import Envelope, EnvelopeError
from common.event_reader import EventReader, NotReadHere
from common.events.base import (
    DomainEvent,
    UnknownEventType,
    UnsupportedSchemaVersion,
    check_unread,
    decode,
    event_class,
)
from common.events.types import parse_type
from common.eventstore import EventNames
from common.metrics import LatencyHistogram
from common.personal_data import ERASED_EVENT, SEALED, LeadKeys, short_type
from common.telemetry import extract_trace_context

log = logging.getLogger(__name__)

_tracer = trace.get_tracer(__name__)

# The runner's own tables (created by the common Alembic branch in every service database).
runner_metadata = MetaData()
checkpoint_table = Table(
    "projection_checkpoint",
    runner_metadata,
    Column("projection", String(128), primary_key=True),
    Column("last_seq", SABigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("holder", String(200)),
    Column("lease_until", DateTime(timezone=True)),
)
dead_letter_table = Table(
    "dead_letter",
    runner_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("projection", String(128), nullable=False),
    Column("stream", String(128), nullable=False),
    Column("stream_seq", SABigInteger, nullable=False),
    Column("subject", String(512), nullable=False),
    Column("event_id", String(128)),
    Column("event_type", String(128)),
    Column("reason", Text, nullable=False),
    Column("deliveries", Integer, nullable=False),
    Column("headers", SAJSON),
    Column("body", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True, slots=True)
class EventContext:
    """What a handler may want besides the event itself.

    ``envelope`` carries the event's CloudEvents attributes; its ``data`` is empty when the
    runner decoded the event straight from the message's bytes (``common.event_reader``, the
    usual case): the event is the data."""

    envelope: Envelope
    stream: str
    stream_seq: int
    subject: str
    # True while ``rebuild`` replays the log: a reactor then updates what it derives from its
    # inputs but takes no decision again (those were taken, and published, the first time).
    replay: bool = False


class Projection(Protocol):
    """A read model fed by events. It must only touch the session it is given.

    ``apply_batch`` receives a run of events in stream order, to apply in the caller's
    transaction (a projection may aggregate them in memory and write in a few statements). The
    runner also calls it with one event at a time, inside a savepoint, to find the one at fault
    when a batch fails. A projection that handles events one by one inherits ``EventByEvent``."""

    @property
    def name(self) -> str: ...

    @property
    def subscriptions(self) -> Mapping[str, Sequence[str]]:
        """Owner stream -> the event types this projection consumes from it."""
        ...

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None: ...

    async def reset(self, session: AsyncSession) -> None:
        """Empty the projection's tables (used by ``rebuild``)."""
        ...


@runtime_checkable
class ReadsPart(Protocol):
    """A projection that never reads some fields of the events it consumes (reporting never reads
    a CallEnded's transcript) may say so; the runner and dead-letter replay then neither validate
    nor keep those fields (``common.events.base.decode``): the event has no such attribute, and
    an event whose only fault is in such a field is applied rather than dead-lettered. Only
    fields with a default may be named."""

    @property
    def unread_fields(self) -> Mapping[str, AbstractSet[str]]:
        """Event type -> the fields this projection never reads."""
        ...


def unread_fields_of(projection: Projection) -> dict[str, frozenset[str]]:
    """What ``projection`` leaves unread, checked (a typo or a required field is refused)."""
    if not isinstance(projection, ReadsPart):
        return {}
    unread = {event_type: frozenset(fields) for event_type, fields in projection.unread_fields.items()}
    for event_type, fields in unread.items():
        check_unread(event_type, fields)
    return unread


@runtime_checkable
class ReadsAs(Protocol):
    """A projection that reads some fields of the events it consumes as another type than the
    event's own, with the same checks (the calls read model stores the transcript as JSON: its
    turns validated as TypedDicts, not as models dumped back). Only on the runner's path from
    the message's bytes (``common.event_reader``); events decoded the usual way (sealed values
    opened, dead letters replayed, an older schema version) carry the event's own type, so the
    projection takes either form."""

    @property
    def fields_read_as(self) -> Mapping[str, Mapping[str, Any]]:
        """Event type -> field -> the type its value is validated as."""
        ...


def read_as_of(projection: Projection) -> dict[str, dict[str, Any]]:
    """What ``projection`` reads as another type, checked (a field the event lacks is refused)."""
    if not isinstance(projection, ReadsAs):
        return {}
    read_as = {event_type: dict(fields) for event_type, fields in projection.fields_read_as.items()}
    for event_type, fields in read_as.items():
        missing = set(fields) - set(event_class(event_type).model_fields)
        if missing:
            raise ValueError(f"{event_type} has no field {sorted(missing)}")
    return read_as


class EventByEvent(ABC):
    """For projections that apply one event at a time: ``apply_batch`` is their ``apply`` in
    stream order."""

    @abstractmethod
    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None: ...

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        for event, ctx in items:
            await self.apply(session, event, ctx)


class LeaseLost(Exception):
    """Another replica took over this projection."""


class ProjectionLease:
    """Only one replica applies a given projection at a time.

    The checkpoint skips anything at or below the last sequence applied, which is only sound
    when batches are applied in stream order; two replicas pulling from one durable consumer
    would commit interleaved batches and lose events. So the checkpoint row also names its
    holder and a lease expiry: a replica applies batches only while it holds the lease, every
    batch re-checks and renews it inside its own transaction, and other replicas stand by and
    take over once the lease expires (the holder died) or is released (it stopped). The same
    code on SQLite and PostgreSQL."""

    ttl_seconds = 15.0
    retry_seconds = 2.0

    def __init__(self, sessions: async_sessionmaker[AsyncSession], key: str) -> None:
        self.sessions = sessions
        self.key = key
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._renew_after = 0.0

    async def hold(self) -> bool:
        """Take or renew the lease; False when another replica holds it."""
        if time.monotonic() < self._renew_after:
            return True
        async with self.sessions() as session, session.begin():
            await read_checkpoint(session, self.key, lock=True)  # creates nothing; locks on PG
            return await self.renew(session)

    async def renew(self, session: AsyncSession) -> bool:
        now = datetime.now(UTC)
        row = (
            await session.execute(
                select(checkpoint_table.c.holder, checkpoint_table.c.lease_until).where(
                    checkpoint_table.c.projection == self.key
                )
            )
        ).first()
        until = now + timedelta(seconds=self.ttl_seconds)
        if row is None:
            await session.execute(
                checkpoint_table.insert().values(
                    projection=self.key, last_seq=0, updated_at=now, holder=self.holder, lease_until=until
                )
            )
        else:
            holder, lease_until = row
            if lease_until is not None and lease_until.tzinfo is None:
                lease_until = lease_until.replace(tzinfo=UTC)
            if holder not in (None, self.holder) and lease_until is not None and lease_until > now:
                self._renew_after = 0.0
                return False
            await session.execute(
                checkpoint_table.update()
                .where(checkpoint_table.c.projection == self.key)
                .values(holder=self.holder, lease_until=until)
            )
        self._renew_after = time.monotonic() + self.ttl_seconds / 3
        return True

    def holds(self, holder: str | None, lease_until: datetime | None, now: datetime) -> bool:
        """Whether this replica may apply, given the checkpoint row's lease columns."""
        if lease_until is not None and lease_until.tzinfo is None:
            lease_until = lease_until.replace(tzinfo=UTC)
        return not (holder not in (None, self.holder) and lease_until is not None and lease_until > now)

    def renewed(self, now: datetime) -> dict[str, Any]:
        """The lease columns of a renewal at ``now`` (written with the batch's checkpoint)."""
        self._renew_after = time.monotonic() + self.ttl_seconds / 3
        return {"holder": self.holder, "lease_until": now + timedelta(seconds=self.ttl_seconds)}

    async def release(self) -> None:
        self._renew_after = 0.0
        try:
            async with self.sessions() as session, session.begin():
                await session.execute(
                    checkpoint_table.update()
                    .where(checkpoint_table.c.projection == self.key, checkpoint_table.c.holder == self.holder)
                    .values(holder=None, lease_until=None)
                )
        except Exception as exc:  # it expires by itself
            log.debug("lease release failed", extra={"error": str(exc)})


class PoisonMessage(Exception):
    """Raised by a handler for an event that is well-formed but can never be applied."""


@dataclass
class BatchOutcome:
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    retried: int = 0


@dataclass
class RunnerStats:
    batches: int = 0
    applied: int = 0
    skipped: int = 0
    dead_lettered: int = 0
    retried: int = 0
    last_error: str | None = None
    connected: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    # How long each batch took to apply, retries included (the service's /metrics: common.metrics).
    batch_seconds: LatencyHistogram = field(default_factory=LatencyHistogram)


def checkpoint_key(projection: str, stream: str) -> str:
    return f"{projection}@{stream}"


async def read_checkpoint(session: AsyncSession, key: str, *, lock: bool = False) -> int:
    query = select(checkpoint_table.c.last_seq).where(checkpoint_table.c.projection == key)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    value = (await session.execute(query)).scalar_one_or_none()
    return int(value or 0)


async def write_checkpoint(session: AsyncSession, key: str, seq: int) -> None:
    now = datetime.now(UTC)
    updated = await session.execute(
        checkpoint_table.update().where(checkpoint_table.c.projection == key).values(last_seq=seq, updated_at=now)
    )
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        await session.execute(checkpoint_table.insert().values(projection=key, last_seq=seq, updated_at=now))


class ProjectionRunner:
    """Feeds one projection from one stream, strictly in stream order from its checkpoint.

    The database checkpoint (the last stream sequence applied, committed with the projection's
    own writes) is the single truth about where the projection stands. JetStream's
    acknowledgement state is not: a message delivered to a process that then died comes back
    only after ``ack_wait``, by which time its replacement may have applied later messages and
    moved the checkpoint past it; "at or below the checkpoint" would then wrongly mean "already
    applied". So the runner never relies on redelivery:

    - Whenever it starts applying (process start, lease taken over, after any error) it
      *positions* the durable consumer at checkpoint + 1 (deletes and re-creates it with
      ``DeliverPolicy.BY_START_SEQUENCE``); everything before is applied, everything after is
      delivered from scratch, in order.
    - The consumer uses ``AckPolicy.NONE``: the server delivers each message once, in stream
      order, and never redelivers. Nothing is lost by that: a message fetched but not committed
      is re-read from checkpoint + 1 by whoever positions the consumer next.
    - Every delivery carries the consumer's own sequence (1, 2, 3 … per delivery, whatever the
      filter). The runner checks it is contiguous; a gap (a delivery lost to a timed-out fetch,
      or a fetch by a replica that just lost the lease) or a step back means "no longer sure of
      the order": the batch is cut before it and the consumer is positioned again.
    - A failing handler is retried here, in memory, holding the rest of the batch: no later
      message is applied before it, so the checkpoint never passes an unapplied event.

    The durable consumer stays (rather than an ephemeral one per start) so its pending count is
    the projection's lag, which monitoring and autoscaling read."""

    def __init__(
        self,
        js: JetStreamContext,
        names: EventNames,
        sessions: async_sessionmaker[AsyncSession],
        projection: Projection,
        owner: str,
        *,
        batch_size: int = 500,
        fetch_timeout: float = 1.0,
        max_deliver: int = 5,
        lease_ttl: float = 15.0,
        personal: LeadKeys | None = None,
        rebuild_batch_size: int = 2000,
    ) -> None:
        self.js = js
        # A service with the key grant opens each event's personal values before its projection
        # sees it (common.personal_data); without it they read "[erased]".
        self.personal = personal
        self.names = names
        self.sessions = sessions
        self.projection = projection
        self.owner = owner
        self.stream = names.stream(owner)
        self.durable = f"{projection.name}-{owner}".replace(".", "_")
        self.key = checkpoint_key(projection.name, self.stream)
        self.batch_size = batch_size
        self.fetch_timeout = fetch_timeout
        self.max_deliver = max_deliver  # tries of one message's handler before it is dead-lettered
        # A rebuild has no one waiting on a batch: larger ones spread each batch's fixed cost (the
        # checkpoint, the projection's reads before its writes, the commit) over more events.
        self.rebuild_batch_size = max(rebuild_batch_size, batch_size)
        self.unread = unread_fields_of(projection)
        self._reader = EventReader(self.unread, read_as_of(projection))
        self.stats = RunnerStats()
        self._stopping = asyncio.Event()
        self._lease = ProjectionLease(sessions, self.key)
        self._lease.ttl_seconds = lease_ttl
        self.use_lease = True
        self._next_delivery = 1  # the consumer sequence the next message must carry
        self._replaying = False
        self._live_pull: BatchPull | None = None  # _take_pending's reader, for ``_live_pull_of``
        self._live_pull_of: JetStreamContext.PullSubscription | None = None

    async def _decode(self, msg: Msg, parsed: _Parsed | None = None) -> tuple[Envelope, DomainEvent]:
        if parsed is not None and parsed.from_bytes:
            try:
                return parsed.envelope, self._reader.read(parsed.envelope, msg.data)
            except (NotReadHere, ValidationError, UnknownEventType):
                # The usual way decides, and names the fault of an event that cannot be applied.
                parsed = None
        envelope = parsed.envelope if parsed is not None else Envelope.from_message(msg.headers, msg.data)
        if self.personal is not None:
            envelope = await self.personal.unseal_envelope(envelope)
        return envelope, decode(envelope, unread=self.unread.get(envelope.type, frozenset()))

    async def _parse(self, msgs: Sequence[Msg]) -> list[_Parsed | None]:
        """Each message's envelope (None: not a CloudEvent, dead-lettered when decoded), with the
        leads' keys its sealed values need fetched at once for the whole batch.

        An event's data is left in the message's bytes, for ``_decode`` to validate straight
        from them (``common.event_reader``), unless this runner opens sealed personal values and
        the event may carry some, or is the erasure its key cache must hear of."""
        parsed: list[_Parsed | None] = []
        for msg in msgs:
            try:
                if self._reads_bytes(msg):
                    parsed.append(_Parsed(Envelope.from_headers(msg.headers), from_bytes=True))
                else:
                    parsed.append(_Parsed(Envelope.from_message(msg.headers, msg.data), from_bytes=False))
            except EnvelopeError:
                parsed.append(None)
        if self.personal is not None:
            await self.personal.prefetch(p.envelope for p in parsed if p is not None and not p.from_bytes)
        return parsed

    def _reads_bytes(self, msg: Msg) -> bool:
        if not msg.data:
            return False
        if self.personal is None:
            return True
        # Sealed values sit under one top-level key (common.personal_data.SEALED), written by
        # the platform's own producers without escapes; the erasure event empties a key cache.
        return _SEALED_KEY not in msg.data and ERASED_EVENT not in (msg.headers or {}).get("ce-type", "")

    @property
    def filter_subjects(self) -> list[str]:
        return [self.names.type_filter(self.owner, t) for t in self.projection.subscriptions[self.owner]]

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def consumer_config(self, start_seq: int) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start_seq,
            filter_subjects=self.filter_subjects,
        )

    async def ensure_consumer(self) -> JetStreamContext.PullSubscription:
        """Position the durable consumer at checkpoint + 1 and bind to it.

        Only the lease holder calls this. Delete-and-create is the one way to move a consumer
        back (its start sequence cannot be updated in place); a replica still fetching from the
        old one gets errors or a gap and stops."""
        async with self.sessions() as session:
            start = await read_checkpoint(session, self.key) + 1
        try:
            await self.js.delete_consumer(self.stream, self.durable)
        except NotFoundError:
            pass
        await self.js.add_consumer(self.stream, self.consumer_config(start))
        self._next_delivery = 1
        self.stats.extra["positioned_at"] = start
        self.stats.extra["positioned"] = int(self.stats.extra.get("positioned", 0)) + 1
        return await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Fetch and apply until stopped; survives broker restarts and database outages."""
        shared = self.sessions
        own = _own_sessions(shared)
        if own is not None:
            self.sessions = self._lease.sessions = own
        try:
            await self._run()
        finally:
            self.sessions = self._lease.sessions = shared
            if own is not None:
                await _safe(own.kw["bind"].dispose())

    async def _run(self) -> None:
        backoff = 0.2
        psub: JetStreamContext.PullSubscription | None = None
        while not self._stopping.is_set():
            try:
                if not await self._lease.hold():
                    # Another replica applies this projection; stand by.
                    if psub is not None:
                        await _safe(psub.unsubscribe())
                        psub = None
                    self.stats.extra["standby"] = True
                    await self._sleep(self._lease.retry_seconds)
                    continue
                self.stats.extra["standby"] = False
                if psub is None:
                    psub = await self.ensure_consumer()
                    self.stats.connected = True
                try:
                    msgs = await self._fetch(psub)
                except NatsTimeoutError:
                    continue
                in_order, intact = self.in_order(msgs)
                if in_order:
                    await self.process(in_order)
                if not intact or self._stopping.is_set():
                    # Out of order, or a batch left half-done: read again from the checkpoint.
                    await _safe(psub.unsubscribe())
                    psub = None
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except LeaseLost:
                log.info("projection taken over by another replica", extra={"projection": self.key})
                if psub is not None:
                    await _safe(psub.unsubscribe())
                    psub = None
            except Exception as exc:
                # Broker, database or consumer trouble: whatever was fetched and not committed
                # is read again from the checkpoint once things work.
                self._note_error(exc)
                if psub is not None:
                    await _safe(psub.unsubscribe())
                    psub = None
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        if psub is not None:
            await _safe(psub.unsubscribe())
        await self._drop_live_pull()
        await self._lease.release()

    def in_order(self, msgs: Sequence[Msg]) -> tuple[list[Msg], bool]:
        """The messages that continue the consumer's delivery sequence without a gap, and
        whether that was all of them."""
        accepted: list[Msg] = []
        for msg in msgs:
            delivery = msg.metadata.sequence.consumer
            if delivery != self._next_delivery:
                log.warning(
                    "consumer delivery out of sequence; repositioning at the checkpoint",
                    extra={"projection": self.key, "expected": self._next_delivery, "got": delivery},
                )
                self.stats.extra["gaps"] = int(self.stats.extra.get("gaps", 0)) + 1
                return accepted, False
            self._next_delivery += 1
            accepted.append(msg)
        return accepted, True

    async def _fetch(self, psub: JetStreamContext.PullSubscription) -> list[Msg]:
        # A waiting fetch for N messages returns when N have arrived or the timeout expires, so
        # a batch fetch while idle would hold a lone event back for up to fetch_timeout. Wait for
        # one message and take what is already pending with it (up to the batch size).
        if self.batch_size <= 1:
            return await psub.fetch(1, timeout=self.fetch_timeout)
        msgs = await psub.fetch(1, timeout=self.fetch_timeout)
        return await self._take_pending(psub, msgs, self.batch_size)

    async def _take_pending(self, psub: JetStreamContext.PullSubscription, msgs: list[Msg], limit: int) -> list[Msg]:
        """``msgs`` and what the consumer has pending after them, up to ``limit`` messages.

        Asked for with one pull request on the runner's own ``BatchPull`` (only what is pending,
        so the server fills it at once) and taken in one wake-up, not through nats-py's
        ``fetch``, which hands over each message with a task of its own: in a process whose
        event loop is busy with requests (the calls service's read model beside
        ``POST /v1/calls``) every one of those tasks waits a turn of the loop, and a batch of a
        few hundred took seconds to fetch (benchmarks/ingest.py, "202 to visible in calls").
        Gaps are checked by the caller (``in_order``), as for any fetch."""
        pending = msgs[-1].metadata.num_pending if msgs else 0
        if not pending or len(msgs) >= limit:
            return msgs
        pull = await self._live_pull_for(psub)
        wanted = min(limit - len(msgs), pending)
        await pull.request(wanted)
        try:
            more = await pull.take(wanted)
        except PullFailed:
            # Fewer delivered than were pending (the stream's limits dropped some meanwhile), or
            # the consumer went away: the runner positions the consumer again from the
            # checkpoint, as after any fetch error, with a new pull.
            await self._drop_live_pull()
            raise
        return msgs + more

    async def _live_pull_for(self, psub: JetStreamContext.PullSubscription) -> BatchPull:
        """The batch reader of the consumer ``psub`` is bound to (a new one after each
        positioning: a request left on the old consumer dies with it)."""
        if self._live_pull is None or self._live_pull_of is not psub:
            await self._drop_live_pull()
            pull = BatchPull(self.js, self.stream, self.durable, timeout=max(self.fetch_timeout, 5.0))
            await pull.start()
            self._live_pull, self._live_pull_of = pull, psub
        return self._live_pull

    async def _drop_live_pull(self) -> None:
        pull, self._live_pull, self._live_pull_of = self._live_pull, None, None
        if pull is not None:
            await _safe(pull.stop())

    def _note_error(self, exc: BaseException) -> None:
        self.stats.last_error = f"{type(exc).__name__}: {exc}"
        self.stats.connected = False
        log.warning(
            "projection runner error",
            extra={"projection": self.projection.name, "stream": self.stream, "error": self.stats.last_error},
        )

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    async def process(self, msgs: Sequence[Msg]) -> BatchOutcome:
        """Apply one batch, in stream order, in one transaction with the checkpoint. The unit of
        exactly-once.

        A message whose handler fails is retried here, in this process, holding it and every
        later message of the batch and fetching nothing new: so no later event can overtake it.
        After ``max_deliver`` tries it is dead-lettered. A failure that is not the messages'
        fault (the database is down) is retried for as long as it takes. If the runner is
        stopped (or the process dies) meanwhile, the messages are simply not committed: the next
        runner reads them again from checkpoint + 1."""
        started = time.perf_counter()
        total = BatchOutcome()
        remaining: list[Msg] = list(msgs)
        attempt = 0
        while remaining:
            attempt += 1
            try:
                try:
                    outcome, remaining_after = await self._apply_batch(remaining, isolate=False, attempt=attempt)
                except _RetryIsolated:
                    outcome, remaining_after = await self._apply_batch(remaining, isolate=True, attempt=attempt)
            except LeaseLost:
                raise
            except Exception as exc:
                self._note_error(exc)
                if self._stopping.is_set():
                    raise
                await self._back_off(attempt)
                continue
            total.applied += outcome.applied
            total.skipped += outcome.skipped
            total.dead_lettered += outcome.dead_lettered
            total.retried += outcome.retried
            self.stats.applied += outcome.applied
            self.stats.skipped += outcome.skipped
            self.stats.dead_lettered += outcome.dead_lettered
            self.stats.retried += outcome.retried
            remaining = remaining_after
            if remaining:
                if self._stopping.is_set():
                    break  # not committed: read again from the checkpoint by the next runner
                await self._back_off(attempt)
        self.stats.batches += 1
        self.stats.batch_seconds.observe(time.perf_counter() - started)
        if not total.retried:
            self.stats.last_error = None
        return total

    async def _back_off(self, attempt: int) -> None:
        await self._sleep(min(0.1 * 2**attempt, 5.0))

    async def _apply_batch(
        self, msgs: Sequence[Msg], *, isolate: bool, attempt: int = 1
    ) -> tuple[BatchOutcome, list[Msg]]:
        """Apply ``msgs`` (in stream order) in one transaction; returns the outcome and the
        messages still to retry (a failing handler and everything after it).

        ``isolate=False`` is the fast path: every valid event of the batch is handed to the
        projection at once (``apply_batch`` when it has one, so it can aggregate and write in a
        few statements), no savepoints. If the projection raises there, the whole batch is
        rolled back and run again with ``isolate=True``: a savepoint per message, to find which
        message is at fault without losing the others."""
        outcome = BatchOutcome()
        to_retry: list[Msg] = []
        # Parsed, and the leads' keys fetched, before the transaction: no broker round trip while
        # it holds the checkpoint's lock (SQLite's write lock).
        envelopes = await self._parse(msgs)
        async with self.sessions() as session, session.begin():
            # The checkpoint and its lease in one read (locked on PostgreSQL), written back in
            # one statement at the end: a batch costs two statements besides its own writes.
            now = datetime.now(UTC)
            query = select(checkpoint_table.c.last_seq, checkpoint_table.c.holder, checkpoint_table.c.lease_until)
            query = query.where(checkpoint_table.c.projection == self.key)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            row = (await session.execute(query)).first()
            if row is None:  # no checkpoint row yet: the lease (or an empty checkpoint) creates it
                if not self.use_lease:
                    await write_checkpoint(session, self.key, 0)
                elif not await self._lease.renew(session):
                    raise LeaseLost(self.key)
                last = 0
            else:
                last = int(row.last_seq or 0)
                if self.use_lease and not self._lease.holds(row.holder, row.lease_until, now):
                    self._lease._renew_after = 0.0
                    raise LeaseLost(self.key)
            start = last
            valid: list[tuple[Msg, DomainEvent, EventContext]] = []
            for msg, parsed in zip(msgs, envelopes, strict=True):
                seq = msg.metadata.sequence.stream
                if seq <= last:
                    # Applied already: only a message handed to ``process`` twice gets here
                    # (the runner itself reads strictly after the checkpoint).
                    outcome.skipped += 1
                    continue
                try:
                    envelope, event = await self._decode(msg, parsed)
                except (EnvelopeError, UnknownEventType, UnsupportedSchemaVersion, ValidationError) as exc:
                    await self._dead_letter(session, msg, f"invalid event: {_reason(exc)}", deliveries=1)
                    outcome.dead_lettered += 1
                    last = max(last, seq)
                    continue
                valid.append((msg, event, EventContext(envelope, self.stream, seq, msg.subject, self._replaying)))
                last = max(last, seq)

            if not isolate:
                spans = self._batch_spans(valid)
                try:
                    await self.projection.apply_batch(session, [(e, c) for _m, e, c in valid])
                except Exception as exc:
                    for span in spans:
                        span.set_status(trace.StatusCode.ERROR, "batch failed; retried one by one")
                        span.end()
                    raise _RetryIsolated from exc
                for span in spans:
                    span.end()
                outcome.applied += len(valid)
            else:
                for index, (msg, event, ctx) in enumerate(valid):
                    with _tracer.start_as_current_span(
                        f"{self.projection.name} apply {ctx.envelope.type}",
                        context=extract_trace_context(msg.headers),
                        attributes={
                            "messaging.system": "nats",
                            "messaging.destination": msg.subject,
                            "event.id": ctx.envelope.id,
                        },
                    ):
                        try:
                            async with session.begin_nested():
                                await self.projection.apply_batch(session, [(event, ctx)])
                        except (OperationalError, InterfaceError, ProgrammingError):
                            # The database, not the message: retried for as long as it takes,
                            # never dead-lettered (a missing table is a deployment fault too).
                            raise
                        except Exception as exc:
                            if isinstance(exc, PoisonMessage) or attempt >= self.max_deliver:
                                await self._dead_letter(
                                    session,
                                    msg,
                                    f"handler failed after {attempt} tries: {_reason(exc)}",
                                    deliveries=attempt,
                                )
                                outcome.dead_lettered += 1
                                continue
                            # Stop here: later messages must not overtake this one.
                            log.warning(
                                "handler failed, will retry",
                                extra={
                                    "projection": self.projection.name,
                                    "seq": ctx.stream_seq,
                                    "error": _reason(exc),
                                },
                            )
                            self.stats.last_error = _reason(exc)
                            rest = [m for m, _e, _c in valid[index:]]
                            to_retry.extend(rest)
                            outcome.retried += len(rest)
                            last = ctx.stream_seq - 1
                            break
                    outcome.applied += 1
            values: dict[str, Any] = {"last_seq": last, "updated_at": now} if last != start else {}
            if self.use_lease:
                values.update(self._lease.renewed(now))
            if values:
                await session.execute(
                    checkpoint_table.update().where(checkpoint_table.c.projection == self.key).values(**values)
                )
        if any(short_type(ctx.envelope.type) == ERASED_EVENT for _m, _e, ctx in valid) and outcome.applied:
            # The projection has scrubbed a lead's personal data: fold the write-ahead log into
            # the file (where secure_delete zeroed the old bytes) and empty it, so no copy of the
            # erased values stays in the -wal file either.
            async with self.sessions() as session:
                await checkpoint_wal(session)
        return outcome, to_retry

    def _batch_spans(self, valid: Sequence[tuple[Msg, DomainEvent, EventContext]]) -> list[trace.Span]:
        """Live: one span per event, child of the publisher's span (its context travels in the
        NATS headers), so a trace runs from the gateway request into every consumer. A rebuild
        replays events whose traces ended long ago: one span for the whole batch (a span and
        the headers' trace context per event cost about as much as applying the event)."""
        if self._replaying:
            return [
                _tracer.start_span(
                    f"{self.projection.name} rebuild batch",
                    kind=trace.SpanKind.CONSUMER,
                    attributes={
                        "messaging.system": "nats",
                        "messaging.destination.name": self.stream,
                        "messaging.batch.message_count": len(valid),
                    },
                )
            ]
        return [
            _tracer.start_span(
                f"{self.projection.name} apply {ctx.envelope.type}",
                context=extract_trace_context(msg.headers),
                kind=trace.SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "nats",
                    "messaging.destination.name": msg.subject,
                    "messaging.message.id": ctx.envelope.id,
                    "messaging.batch.message_count": len(valid),
                },
            )
            for msg, _e, ctx in valid
        ]

    async def _dead_letter(self, session: AsyncSession, msg: Msg, reason: str, *, deliveries: int) -> None:
        headers = dict(msg.headers or {})
        try:
            body = msg.data.decode()
        except UnicodeDecodeError:
            body = msg.data.hex()
        log.error(
            "event dead-lettered",
            extra={
                "projection": self.projection.name,
                "stream": self.stream,
                "seq": msg.metadata.sequence.stream,
                "reason": reason,
            },
        )
        await session.execute(
            dead_letter_table.insert().values(
                projection=self.projection.name,
                stream=self.stream,
                stream_seq=msg.metadata.sequence.stream,
                subject=msg.subject,
                event_id=headers.get("ce-id"),
                # The short name (CallEnded), whether ce-type is namespaced or bare.
                event_type=parse_type(headers["ce-type"])[0] if headers.get("ce-type") else None,
                reason=reason[:4000],
                deliveries=deliveries,
                headers=headers,
                body=body[:100_000],
                created_at=datetime.now(UTC),
            )
        )

    async def rebuild(self, progress: bool = True, *, reset: bool = True) -> int:
        """Replay the projection from the stream's first event into emptied tables.

        Run it with the service's runner stopped. A projection fed by several streams is reset
        once (``reset=True`` for its first stream's runner only), then each stream replayed.
        The next runner to start positions the durable consumer after the rebuilt checkpoint."""
        from tqdm import tqdm

        self.use_lease = False  # run with the service stopped; a dead holder's lease is moot
        self._replaying = True
        async with self.sessions() as session, session.begin():
            if reset:
                await self.projection.reset(session)
            await write_checkpoint(session, self.key, 0)
        rebuild_consumer = f"{self.durable}-rebuild"
        await _safe(self.js.delete_consumer(self.stream, rebuild_consumer))
        await self.js.add_consumer(
            self.stream,
            ConsumerConfig(
                durable_name=rebuild_consumer,
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL,
                filter_subjects=self.filter_subjects,
                mem_storage=True,
            ),
        )
        # Read a batch at a time (common.batch_pull), not message by message through nats-py's
        # ``fetch``; the next batch is on its way while one is applied.
        pull = BatchPull(self.js, self.stream, rebuild_consumer)
        applied = 0
        batch = self.rebuild_batch_size
        requested = received = 0
        bar = tqdm(total=None, desc=f"rebuild {self.projection.name}", unit="ev", disable=not progress)
        self._next_delivery = 1
        try:
            await pull.start()
            # Deliveries the consumer holds for this rebuild, as far as known: what it had
            # pending at the start, then after each batch what its last message says is still
            # pending behind it (events published meanwhile are replayed too, as with any fetch).
            expected = (await self.js.consumer_info(self.stream, rebuild_consumer)).num_pending or 0
            bar.total = expected
            with _fewer_collections():
                while received < expected:
                    # Only what is pending is asked for, so the server fills each request at once.
                    while requested < expected and requested - received < 2 * batch:
                        size = min(batch, expected - requested)
                        await pull.request(size)
                        requested += size
                    msgs = await pull.take(min(batch, requested - received, expected - received))
                    received += len(msgs)
                    in_order, intact = self.in_order(msgs)
                    if not intact:  # a delivery lost or out of order: start the rebuild again
                        raise RuntimeError(f"rebuild of {self.key}: a delivery went missing; run the rebuild again")
                    expected = max(expected, received + msgs[-1].metadata.num_pending)
                    bar.total = expected
                    outcome = await self._apply_batch_at_once(in_order)
                    applied += outcome.applied
                    bar.update(len(msgs))
        finally:
            bar.close()
            await _safe(pull.stop())
            await _safe(self.js.delete_consumer(self.stream, rebuild_consumer))
        return applied

    async def _apply_batch_at_once(self, msgs: Sequence[Msg]) -> BatchOutcome:
        try:
            outcome, _ = await self._apply_batch(msgs, isolate=False)
        except _RetryIsolated:
            # A rebuild does not wait on a failing event: it is dead-lettered at once.
            outcome, _ = await self._apply_batch(msgs, isolate=True, attempt=self.max_deliver)
        return outcome


def _own_sessions(shared: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession] | None:
    """On a SQLite file, the live runner's own connection (a pool of one, and one more for a
    moment of overlap), not one from the service's pool: in the calls service every
    ``POST /v1/calls`` takes a pooled connection for its lookups, and with some sixty requests in
    flight the read model's batch waited seconds in the pool's queue for one
    (benchmarks/ingest.py, "202 to visible in calls"); the requests wait on the read model in
    turn (read your writes). Elsewhere (PostgreSQL, an in-memory database) the shared pool."""
    engine = shared.kw.get("bind")
    if not isinstance(engine, AsyncEngine) or engine.dialect.name != "sqlite":
        return None
    if engine.url.database in (None, "", ":memory:"):
        return None
    own = create_engine(engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=1)
    return async_sessionmaker(own, **{k: v for k, v in shared.kw.items() if k != "bind"})


class _RetryIsolated(Exception):
    pass


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while a rebuild runs: each batch keeps some
    ten thousand objects alive across hundreds of young collections (the messages, envelopes and
    events of two batches), which get promoted and make the full collections, over the whole
    heap, frequent. With a young generation of 100,000 allocations instead of 700 a rebuild
    costs 35-40% less CPU per event (benchmarks/rebuild_rates.py); a rebuild runs as its own
    command, and what it leaves uncollected meanwhile is at most that many objects."""
    if not _collections_deferred:  # the first of rebuilds run side by side sets it, the last restores
        before = gc.get_threshold()
        gc.set_threshold(max(before[0], 100_000), *before[1:])
        _collections_deferred.append(before)
    else:
        _collections_deferred.append(_collections_deferred[-1])
    try:
        yield
    finally:
        before = _collections_deferred.pop()
        if not _collections_deferred:
            gc.set_threshold(*before)


_collections_deferred: list[tuple[int, int, int]] = []


@dataclass(frozen=True, slots=True)
class _Parsed:
    envelope: Envelope
    # The event's data still in the message's bytes (``envelope.data`` empty): ``_decode``
    # reads it from there.
    from_bytes: bool


_SEALED_KEY = f'"{SEALED}"'.encode()


async def _safe(awaitable: Awaitable[Any]) -> None:
    try:
        await awaitable
    except Exception as exc:  # an ack lost to a broken connection is redelivered and skipped
        log.debug("ack failed", extra={"error": str(exc)})


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        return "; ".join(parts)
    return f"{type(exc).__name__}: {exc}"


async def dead_letters(session: AsyncSession, projection: str | None = None) -> list[dict[str, Any]]:
    query = select(dead_letter_table).order_by(dead_letter_table.c.id)
    if projection:
        query = query.where(dead_letter_table.c.projection == projection)
    rows = (await session.execute(query)).mappings().all()
    return [dict(r) for r in rows]


def runners_for(
    js: JetStreamContext,
    names: EventNames,
    sessions: async_sessionmaker[AsyncSession],
    projections: Iterable[Projection],
    **kwargs: Any,
) -> list[ProjectionRunner]:
    return [ProjectionRunner(js, names, sessions, p, owner, **kwargs) for p in projections for owner in p.subscriptions]
