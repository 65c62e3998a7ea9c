"""Subscribe to the platform's events from another team's service.

One durable JetStream pull consumer per team and owning stream (``<team>-<owner>``, e.g.
``billing-calls``), read through FastStream's NATS broker. Each message is decoded into its typed
event (older versions upcast, ``common.events``) and handed to the team's handler for that type;
it is acknowledged only after the handler returns. A handler that raises gets the message again
(a ``nak`` with a growing delay), up to ``max_deliveries`` times; then the message goes to the
team's dead-letter subject (``<namespace>.dlq.<team>.<owner>.<EventType>``, kept in the team's own
stream ``<NAMESPACE>_DLQ_<TEAM>``) with the reason, and the consumer moves on. A message that can
never be read (not a CloudEvent, invalid fields, a newer major version) goes there at once.

``replay_from`` (a time, or a stream sequence) moves the durable consumer back: it is recreated
to start there, and every later event is delivered again.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import nats.js.errors
from common.envelope import Envelope, EnvelopeError
from common.events.base import DomainEvent, UnknownEventType, UnsupportedSchemaVersion, decode, event_class
from common.eventstore import EventNames
from faststream import AckPolicy as FastStreamAckPolicy
from faststream.nats import JStream, NatsBroker, NatsMessage, PullSub
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from pydantic import ValidationError

log = logging.getLogger("tm_events")

E = TypeVar("E", bound=DomainEvent)

# The platform's own services: a team may not take their names (their consumers are theirs).
RESERVED_TEAMS = frozenset({"leads", "calls", "scheduling", "qa", "reporting", "gateway", "dlq", "platform"})
_TEAM = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")

H_REASON = "tm-dead-letter-reason"
H_CONSUMER = "tm-dead-letter-consumer"
H_ORIGINAL_SUBJECT = "tm-original-subject"
H_ORIGINAL_SEQUENCE = "tm-original-sequence"
H_DELIVERIES = "tm-deliveries"


def durable_name(team: str, owner: str) -> str:
    """The durable consumer of ``team`` on ``owner``'s stream: ``billing-calls``.

    A team name is lower-case letters, digits and ``-`` (3 to 40 characters, starting with a
    letter), is not one of the platform's services, and is the same in every replica of the
    team's service (replicas share the consumer and split its messages)."""
    if not _TEAM.match(team) or "--" in team:
        raise ValueError(f"team {team!r}: lower-case letters, digits and '-', 3 to 40, starting with a letter")
    if team in RESERVED_TEAMS:
        raise ValueError(f"team {team!r} is one of the platform's own names")
    return f"{team}-{owner}"


@dataclass(frozen=True, slots=True)
class EventMeta:
    """What a handler may want besides the event: its CloudEvents envelope (id, time,
    correlation and causation ids), where it is in its stream, and how often it was delivered."""

    envelope: Envelope
    subject: str
    stream: str
    stream_sequence: int
    deliveries: int

    @property
    def event_id(self) -> str:
        """The ``ce-id``: the key to de-duplicate on (delivery is at least once)."""
        return self.envelope.id


Handler = Callable[[Any, EventMeta], Awaitable[None]]


@dataclass
class _Route:
    cls: type[DomainEvent]
    handler: Handler


@dataclass
class EventConsumer:
    """Typed handlers for the platform's events, for one team.

    ::

        consumer = EventConsumer(team="billing", servers="nats://nats:4222")

        @consumer.on(CallEnded)
        async def bill(event: CallEnded, meta: EventMeta) -> None:
            ...

        await consumer.run()  # until SIGTERM / SIGINT
    """

    team: str
    servers: str | list[str] = "nats://127.0.0.1:4222"
    namespace: str = "tm"
    # Attempts before a message goes to the dead-letter subject.
    max_deliveries: int = 5
    # Messages handed out and not yet acknowledged. 1 keeps every aggregate's events in order even
    # when a handler fails (nothing later is delivered before the redelivery); more is faster, and
    # a redelivered message then arrives after later ones.
    max_in_flight: int = 1
    # How long the server waits for an ack before it delivers the message again.
    ack_wait: timedelta = timedelta(seconds=30)
    # The first redelivery's delay; doubled per attempt, at most 60 s.
    retry_delay: timedelta = timedelta(seconds=1)
    replay_from: datetime | int | None = None
    _routes: dict[str, dict[str, _Route]] = field(default_factory=dict, init=False)
    broker: NatsBroker | None = field(default=None, init=False)
    _js: JetStreamContext | None = field(default=None, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        durable_name(self.team, "check")  # refuse a bad team name before anything connects
        if self.max_deliveries < 1 or self.max_in_flight < 1:
            raise ValueError("max_deliveries and max_in_flight are at least 1")

    @property
    def names(self) -> EventNames:
        return EventNames(self.namespace)

    def on(self, event: type[E]) -> Callable[[Callable[[E, EventMeta], Awaitable[None]]], Handler]:
        """Register the handler of one event type (one per type)."""

        def register(handler: Callable[[E, EventMeta], Awaitable[None]]) -> Handler:
            routes = self._routes.setdefault(event.owner, {})
            if event.event_type in routes:
                raise ValueError(f"{event.event_type} already has a handler")
            routes[event.event_type] = _Route(event, handler)
            return handler

        return register

    @property
    def dead_letter_stream(self) -> str:
        return f"{self.namespace}_DLQ_{self.team}".upper().replace("-", "_")

    def dead_letter_subject(self, owner: str, event_type: str) -> str:
        return f"{self.namespace}.dlq.{self.team}.{owner}.{event_type}"

    def consumer_config(self, owner: str) -> ConsumerConfig:
        durable = durable_name(self.team, owner)
        config = ConsumerConfig(
            name=durable,
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait.total_seconds(),
            # Redelivery is counted here and ended by the dead-letter subject, not by the server.
            max_deliver=-1,
            max_ack_pending=self.max_in_flight,
            filter_subjects=[self.names.type_filter(owner, t) for t in sorted(self._routes[owner])],
            deliver_policy=DeliverPolicy.ALL,
        )
        if isinstance(self.replay_from, datetime):
            config.deliver_policy = DeliverPolicy.BY_START_TIME
            config.opt_start_time = self.replay_from
        elif isinstance(self.replay_from, int):
            config.deliver_policy = DeliverPolicy.BY_START_SEQUENCE
            config.opt_start_seq = self.replay_from
        return config

    async def _prepare(self, js: JetStreamContext) -> None:
        """The dead-letter stream and each durable consumer, created or brought to this
        configuration (new handlers add their filter subjects); recreated for a replay."""
        dlq = StreamConfig(
            name=self.dead_letter_stream,
            subjects=[f"{self.namespace}.dlq.{self.team}.>"],
            storage=StorageType.FILE,
        )
        try:
            await js.add_stream(dlq)
        except nats.js.errors.BadRequestError:
            await js.update_stream(dlq)
        if isinstance(self.replay_from, int) and len(self._routes) > 1:
            raise ValueError("a stream sequence is per stream: replay by sequence handles one owner's events")
        for owner in self._routes:
            stream = self.names.stream(owner)
            config = self.consumer_config(owner)
            if self.replay_from is not None:
                try:
                    await js.delete_consumer(stream, str(config.durable_name))
                except nats.js.errors.NotFoundError:
                    pass
            await js.add_consumer(stream, config)

    async def start(self) -> None:
        if not self._routes:
            raise ValueError("no handler registered")
        # FastStream logs through the team's logging (the "tm_events" logger), not to stdout.
        broker = NatsBroker(self.servers, graceful_timeout=10, logger=log)
        connection = await broker.connect()
        self._js = connection.jetstream()
        await self._prepare(self._js)
        for owner in self._routes:
            self._subscribe(broker, owner)
        self.broker = broker
        await broker.start()
        log.info("consuming", extra={"team": self.team, "owners": sorted(self._routes)})

    def _subscribe(self, broker: NatsBroker, owner: str) -> None:
        routes = self._routes[owner]
        stream = self.names.stream(owner)

        async def receive(message: NatsMessage) -> None:
            await self._handle(owner, stream, routes, message)

        broker.subscriber(
            self.names.stream_subjects(owner),
            stream=JStream(stream, declare=False),
            durable=durable_name(self.team, owner),
            pull_sub=PullSub(batch_size=self.max_in_flight, timeout=1.0),
            ack_policy=FastStreamAckPolicy.MANUAL,
            include_in_schema=False,
        )(receive)

    async def _handle(self, owner: str, stream: str, routes: dict[str, _Route], message: NatsMessage) -> None:
        raw = message.raw_message
        meta_data = raw.metadata
        deliveries = meta_data.num_delivered or 1
        try:
            envelope = Envelope.from_message(raw.headers, raw.data)
            route = routes.get(envelope.type) or routes.get(event_class(envelope.type).event_type)
            if route is None:  # a type this team has no handler for (the filter changed meanwhile)
                await message.ack()
                return
            event = decode(envelope)
        except (EnvelopeError, UnknownEventType, UnsupportedSchemaVersion, ValidationError) as exc:
            await self._dead_letter(owner, raw, f"cannot be read: {exc}", deliveries)
            await message.ack()
            return
        meta = EventMeta(envelope, raw.subject, stream, meta_data.sequence.stream, deliveries)
        try:
            await route.handler(event, meta)
        except Exception as exc:
            if deliveries >= self.max_deliveries:
                log.exception("handler failed for good, dead-lettered", extra={"subject": raw.subject})
                await self._dead_letter(owner, raw, f"handler failed {deliveries} times: {exc!r}", deliveries)
                await message.ack()
            else:
                delay = min(self.retry_delay.total_seconds() * 2 ** (deliveries - 1), 60.0)
                log.warning("handler failed, redelivery in %.1fs", delay, extra={"subject": raw.subject})
                await message.nack(delay=delay)
            return
        await message.ack()

    async def _dead_letter(self, owner: str, raw: Any, reason: str, deliveries: int) -> None:
        headers = {k: v for k, v in (raw.headers or {}).items() if not k.lower().startswith("nats-")}
        headers.update(
            {
                H_REASON: reason[:1000],
                H_CONSUMER: durable_name(self.team, owner),
                H_ORIGINAL_SUBJECT: raw.subject,
                H_ORIGINAL_SEQUENCE: str(raw.metadata.sequence.stream),
                H_DELIVERIES: str(deliveries),
            }
        )
        event_type = raw.subject.rsplit(".", 1)[-1]
        # De-duplicated by the original's stream sequence: a dead letter re-sent after a crash
        # between this publish and the ack is dropped by the dead-letter stream.
        headers["Nats-Msg-Id"] = f"{stream_key(raw)}"
        assert self._js is not None
        await self._js.publish(
            self.dead_letter_subject(owner, event_type), raw.data, headers=headers, stream=self.dead_letter_stream
        )

    async def stop(self) -> None:
        self._stopping.set()
        if self.broker is not None:
            await self.broker.stop()
            self.broker = None

    async def run(self) -> None:
        """Consume until SIGTERM or SIGINT (or ``stop()``)."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stopping.set)
        await self.start()
        try:
            await self._stopping.wait()
        finally:
            await self.stop()


def stream_key(raw: Any) -> str:
    meta = raw.metadata
    return f"{meta.stream}:{meta.sequence.stream}"


__all__ = ["EventConsumer", "EventMeta", "durable_name"]
