"""The event store: JetStream streams, one per owning service, with per-aggregate subjects.

Subject layout: ``<namespace>.<owner>.<aggregate token>.<EventType>``, for example
``tm.calls.c-000123.CallEnded``. One aggregate therefore spans several subjects (one per event
type), so appends use the ``Nats-Expected-Last-Subject-Sequence-Subject`` header to check the
last sequence over the aggregate's wildcard ``tm.calls.c-000123.*``: of two writers that loaded
the same version, exactly one wins and the other gets ``ConcurrencyError``.

Consumers that want one event type filter on ``tm.calls.*.CallEnded``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import APIError, NotFoundError
from opentelemetry import trace

from common.envelope import Envelope, new_event_id
from common.events.base import DomainEvent, decode, subject_token
from common.telemetry import inject_trace_headers

if TYPE_CHECKING:
    from common.personal_data import LeadKeys

log = logging.getLogger(__name__)
_tracer = trace.get_tracer(__name__)

EXPECTED_LAST_SUBJECT_SEQ = "Nats-Expected-Last-Subject-Sequence"
EXPECTED_LAST_SUBJECT_SEQ_SUBJECT = "Nats-Expected-Last-Subject-Sequence-Subject"
WRONG_LAST_SEQUENCE = 10071


class ConcurrencyError(RuntimeError):
    """Another writer appended to the aggregate since it was loaded."""


class BrokerUnavailable(ConnectionError):
    """The broker is not connected: nothing was sent, the command may be retried as it is."""


@dataclass(frozen=True, slots=True)
class EventNames:
    """Stream and subject names, under a namespace so several deployments (or tests) can share
    one NATS server without seeing each other's events."""

    namespace: str = "tm"

    def stream(self, owner: str) -> str:
        return f"{self.namespace}_{owner}".upper().replace("-", "_").replace(".", "_")

    def stream_subjects(self, owner: str) -> str:
        return f"{self.namespace}.{owner}.>"

    def subject(self, owner: str, aggregate_id: str, event_type: str) -> str:
        return f"{self.namespace}.{owner}.{subject_token(aggregate_id)}.{event_type}"

    def aggregate_filter(self, owner: str, aggregate_id: str) -> str:
        return f"{self.namespace}.{owner}.{subject_token(aggregate_id)}.*"

    def type_filter(self, owner: str, event_type: str) -> str:
        return f"{self.namespace}.{owner}.*.{event_type}"


@dataclass(frozen=True, slots=True)
class AppendResult:
    version: int  # stream sequence of the aggregate's last event after the append
    written: int  # events newly stored
    duplicates: int  # events JetStream already held (same event id inside the duplicate window)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    envelope: Envelope
    event: DomainEvent
    stream_seq: int


@dataclass(frozen=True, slots=True)
class AggregateHistory:
    events: list[StoredEvent]
    version: int  # stream sequence of the aggregate's last event, 0 when it has none


async def ensure_stream(
    js: JetStreamContext,
    names: EventNames,
    owner: str,
    *,
    duplicate_window: timedelta = timedelta(minutes=2),
    replicas: int = 1,
) -> None:
    """Declare the owner's stream; idempotent, safe for every replica to run at start-up."""
    config = StreamConfig(
        name=names.stream(owner),
        subjects=[names.stream_subjects(owner)],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=duplicate_window.total_seconds(),
        num_replicas=replicas,
    )
    try:
        await js.stream_info(config.name)  # type: ignore[arg-type]
    except NotFoundError:
        try:
            await js.add_stream(config)
            log.info("stream created", extra={"stream": config.name})
            return
        except APIError as exc:  # another replica created it between our two calls
            if exc.err_code != 10058:  # stream name already in use
                raise
    await js.update_stream(config)


class EventStore:
    def __init__(
        self,
        js: JetStreamContext,
        names: EventNames,
        source: str,
        *,
        publish_timeout: float = 5.0,
        personal: LeadKeys | None = None,
    ) -> None:
        self.js = js
        self.names = names
        self.source = source
        # The per-lead key store of a service with the key grant: personal values are sealed on
        # append and opened on load (common.personal_data). None: events go and come as they are.
        self.personal = personal
        # A JetStream publish waits for the stream's PubAck; past this a command answers 503
        # (common.problems) rather than holding its caller.
        self.publish_timeout = publish_timeout

    def _require_broker(self) -> None:
        """Fail at once while the connection is down. nats-py would buffer the publish while it
        reconnects and fail only after the timeout, and the buffered copy may still be sent on
        reconnection after the caller was told 503; refusing up front keeps the answer quick and
        true. (nats-py gives the context's connection no public name.)"""
        if not self.js._nc.is_connected:
            raise BrokerUnavailable("not connected to the NATS server")

    def envelope_for(
        self,
        event: DomainEvent,
        *,
        event_id: str | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> Envelope:
        return Envelope(
            id=event_id or new_event_id(),
            type=event.event_type,
            source=self.source,
            subject=event.aggregate_id(),
            data=event.to_data(),
            correlation_id=correlation_id,
            causation_id=causation_id,
            schema_version=event.schema_version,
            extra_headers=inject_trace_headers(),
        )

    async def append(
        self,
        events: Sequence[DomainEvent],
        *,
        expected_version: int | None,
        event_ids: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        """Append events of one aggregate in order; returns the new version (stream sequence).

        ``expected_version`` is the version the caller decided on (0: the aggregate must not
        exist yet); ``None`` appends unconditionally (facts that need no check, like a QA
        finding with a deterministic id). Each event after the first is chained on the
        sequence of the one before, so no other writer can interleave."""
        if not events:
            return AppendResult(expected_version or 0, 0, 0)
        self._require_broker()
        owner = events[0].owner
        aggregate_id = events[0].aggregate_id()
        version = expected_version
        last_seq = 0
        written = duplicates = 0
        # One producer span for the append (no OpenTelemetry package instruments nats-py): it
        # shows the waits for the stream's acknowledgements, and its context is the one every
        # event's headers carry, so each consumer's span is its child. One span, not one per
        # event: an append of CallPlaced and CallEnded costs the hot path one span's work.
        with _tracer.start_as_current_span(
            f"publish {owner}.{'+'.join(e.event_type for e in events)}",
            kind=trace.SpanKind.PRODUCER,
            attributes={"messaging.system": "nats", "messaging.batch.message_count": len(events)},
        ) as span:
            for i, event in enumerate(events):
                if event.owner != owner or event.aggregate_id() != aggregate_id:
                    raise ValueError("append() takes the events of one aggregate")
                envelope = self.envelope_for(
                    event,
                    event_id=event_ids[i] if event_ids else None,
                    correlation_id=correlation_id,
                    causation_id=causation_id,
                )
                if self.personal is not None:
                    envelope = replace(envelope, data=await self.personal.seal(envelope.type, envelope.data))
                headers = envelope.headers()
                if version is not None:
                    headers[EXPECTED_LAST_SUBJECT_SEQ] = str(version)
                    headers[EXPECTED_LAST_SUBJECT_SEQ_SUBJECT] = self.names.aggregate_filter(owner, aggregate_id)
                try:
                    ack = await self.js.publish(
                        self.names.subject(owner, aggregate_id, event.event_type),
                        envelope.body(),
                        timeout=self.publish_timeout,
                        stream=self.names.stream(owner),
                        headers=headers,
                    )
                except APIError as exc:
                    if exc.err_code == WRONG_LAST_SEQUENCE:
                        raise ConcurrencyError(
                            f"{owner} aggregate {aggregate_id} changed since version {version}"
                        ) from exc
                    raise
                # A duplicate ack (a retried request: JetStream already holds this exact event)
                # carries the original's sequence, so the chain goes on from the real version.
                last_seq = ack.seq
                if version is not None:
                    version = ack.seq
                if ack.duplicate:
                    duplicates += 1
                else:
                    written += 1
            if span.is_recording():
                span.set_attributes(
                    {
                        "messaging.destination.name": self.names.aggregate_filter(owner, aggregate_id),
                        "messaging.nats.last_stream_seq": last_seq,
                    }
                )
        return AppendResult(last_seq, written, duplicates)

    async def load(self, owner: str, aggregate_id: str, *, timeout: float | None = None) -> AggregateHistory:
        """Replay an aggregate's subject from its first event.

        Three broker round trips: a named ephemeral consumer is created (its answer says how many
        events wait, so an empty aggregate needs no fetch), fetched from, and deleted; the
        delete is not waited for (the consumer expires by itself if it is lost).

        Each round trip waits at most ``timeout`` (the publish timeout by default), not the
        JetStream context's longer one: a load runs inside a request, and while a stream has no
        leader (a node lost, its replicas electing) the caller is better answered 503 soon and
        retries than held until its own client gives up."""
        self._require_broker()
        timeout = self.publish_timeout if timeout is None else timeout
        stream = self.names.stream(owner)
        name = f"load_{uuid.uuid4().hex}"
        info = await self.js.add_consumer(
            stream,
            ConsumerConfig(
                name=name,
                filter_subject=self.names.aggregate_filter(owner, aggregate_id),
                ack_policy=AckPolicy.NONE,
                deliver_policy=DeliverPolicy.ALL,
                inactive_threshold=30.0,
                mem_storage=True,
                num_replicas=1,
            ),
            timeout=timeout,
        )
        try:
            pending = info.num_pending or 0
            events: list[StoredEvent] = []
            version = 0
            if pending:
                psub = await self.js.pull_subscribe_bind(name, stream=stream)
                try:
                    while pending > 0:
                        msgs = await psub.fetch(min(pending, 256), timeout=timeout)
                        for msg in msgs:
                            envelope = Envelope.from_message(msg.headers, msg.data)
                            if self.personal is not None:
                                envelope = await self.personal.unseal_envelope(envelope)
                            seq = msg.metadata.sequence.stream
                            events.append(StoredEvent(envelope, decode(envelope), seq))
                            version = seq
                            pending = msg.metadata.num_pending
                finally:
                    await _quietly(psub.unsubscribe())
            return AggregateHistory(events, version)
        finally:
            task = asyncio.create_task(_quietly(self.js.delete_consumer(stream, name)))
            _deleting.add(task)
            task.add_done_callback(_deleting.discard)

    async def publish(self, event: DomainEvent, *, event_id: str | None = None, **ids: str | None) -> AppendResult:
        """Append one event without a concurrency check (a fact whose id makes it idempotent)."""
        return await self.append(
            [event],
            expected_version=None,
            event_ids=[event_id] if event_id else None,
            correlation_id=ids.get("correlation_id"),
            causation_id=ids.get("causation_id"),
        )


_deleting: set[asyncio.Task[None]] = set()  # loads' consumer deletions under way (kept referenced)


async def _quietly(awaitable: Awaitable[object]) -> None:
    try:
        await awaitable
    except Exception:  # an ephemeral consumer expires by itself anyway
        pass


async def wait_for_jetstream(js: JetStreamContext, attempts: int = 50, delay: float = 0.1) -> None:
    for _ in range(attempts):
        try:
            await js.account_info()
            return
        except Exception:
            await asyncio.sleep(delay)
    await js.account_info()
