"""An event store in memory, for fast unit tests of command handlers.

It keeps the contract of ``common.eventstore.EventStore`` that handlers rely on (cosmicpython's
``FakeUnitOfWork`` is the model): one stream per owner with one sequence, an aggregate's
version is the sequence of its last event over all its event types, ``expected_version`` is
checked on every event of an append (each chained on the one before) and a mismatch raises
``ConcurrencyError``, an event id already stored is acknowledged as a duplicate with the
original's sequence (JetStream's duplicate window, here without an end). Every event goes
through its CloudEvents envelope and back (``decode``), as it does through NATS, so a field
that does not survive the wire fails here too.

What it cannot show (the real stream's limits, timeouts, a broker outage) stays with the
real-NATS tests. ``interfere`` runs another writer between a handler's load and its append,
which is how the retry on ``ConcurrencyError`` is tested without racing two tasks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from common.envelope import Envelope
from common.events.base import DomainEvent, decode
from common.eventstore import (
    AggregateHistory,
    AppendResult,
    ConcurrencyError,
    EventNames,
    EventStore,
    StoredEvent,
)

Interference = Callable[["MemoryEventStore"], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class _Stored:
    aggregate_id: str
    stored: StoredEvent


class MemoryEventStore(EventStore):
    """``EventStore`` without NATS: the streams are lists in this process."""

    def __init__(self, names: EventNames | None = None, source: str = "/test") -> None:
        # The JetStream context is deliberately absent: every method that used it is replaced.
        self.names = names or EventNames("test")
        self.source = source
        self.publish_timeout = 0.0
        self._streams: dict[str, list[_Stored]] = {}
        self._by_id: dict[tuple[str, str], int] = {}  # (owner, event id) -> stream sequence
        self._interferences: list[Interference] = []
        self._interfering = False
        self.appends = 0  # append calls that reached the store (a retry is one more)
        self.conflicts = 0  # appends refused with ConcurrencyError

    # --- test controls ----------------------------------------------------------------------

    def interfere(self, writer: Interference) -> None:
        """Run ``writer`` once, at the start of the next append: another process appending to
        the aggregate after this handler loaded it and before it writes. Several are run one per
        append, in order (a writer's own appends do not set off the next)."""
        self._interferences.append(writer)

    def events(self, owner: str, aggregate_id: str | None = None) -> list[DomainEvent]:
        """What the stream holds (of one aggregate, or all), in order."""
        return [
            s.stored.event
            for s in self._streams.get(owner, [])
            if aggregate_id is None or s.aggregate_id == aggregate_id
        ]

    # --- the EventStore contract ------------------------------------------------------------

    def _version(self, owner: str, aggregate_id: str) -> int:
        for s in reversed(self._streams.get(owner, [])):
            if s.aggregate_id == aggregate_id:
                return s.stored.stream_seq
        return 0

    async def append(
        self,
        events: Sequence[DomainEvent],
        *,
        expected_version: int | None,
        event_ids: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        if not events:
            return AppendResult(expected_version or 0, 0, 0)
        if self._interferences and not self._interfering:
            # One writer per append; its own appends run no other.
            self._interfering = True
            try:
                await self._interferences.pop(0)(self)
            finally:
                self._interfering = False
        self.appends += 1
        owner = events[0].owner
        aggregate_id = events[0].aggregate_id()
        stream = self._streams.setdefault(owner, [])
        version = expected_version
        last_seq = 0
        written = duplicates = 0
        for i, event in enumerate(events):
            if event.owner != owner or event.aggregate_id() != aggregate_id:
                raise ValueError("append() takes the events of one aggregate")
            envelope = self.envelope_for(
                event,
                event_id=event_ids[i] if event_ids else None,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
            # As JetStream does: the duplicate check comes before the expected-sequence check.
            known = self._by_id.get((owner, envelope.id))
            if known is not None:
                last_seq = known
                if version is not None:
                    version = known
                duplicates += 1
                continue
            if version is not None and self._version(owner, aggregate_id) != version:
                self.conflicts += 1
                raise ConcurrencyError(f"{owner} aggregate {aggregate_id} changed since version {version}")
            wire = Envelope.from_message(envelope.headers(), envelope.body())
            seq = len(stream) + 1
            stream.append(_Stored(aggregate_id, StoredEvent(wire, decode(wire), seq)))
            self._by_id[(owner, envelope.id)] = seq
            last_seq = seq
            if version is not None:
                version = seq
            written += 1
        return AppendResult(last_seq, written, duplicates)

    async def load(self, owner: str, aggregate_id: str, *, timeout: float | None = None) -> AggregateHistory:
        stored = [s.stored for s in self._streams.get(owner, []) if s.aggregate_id == aggregate_id]
        return AggregateHistory(stored, stored[-1].stream_seq if stored else 0)
