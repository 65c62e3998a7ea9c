"""The one way an event-sourced command runs: load the aggregate, decide with a pure function,
append with the expected version; on ``ConcurrencyError`` load again and decide again on the
new state (docs/architecture.md, "Two kinds of aggregate").

A service describes its aggregate once (``Aggregate``: owner, name and how its state is replayed
from its events) and each command handler passes its ``decide``. A handler whose decision needs
more than the aggregate's own events (settings read from the service's database, say) passes a
loader instead, an ``async (store, aggregate_id) -> (state, version)`` that gathers those facts
too, so ``decide`` stays pure and sees them afresh on every retry.

``decide`` returns the events to append; none means there is nothing to do (a repeated command,
or one the state refuses: the handler reads why from the returned state). Event ids: pass
``event_ids`` to make them deterministic (a retried request inside JetStream's duplicate window
is then dropped as well); without it every append gets fresh ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar, cast

from common.events.base import DomainEvent
from common.eventstore import AppendResult, ConcurrencyError, EventStore

S = TypeVar("S")
T = TypeVar("T")

RETRIES = 5
RETRY_PAUSE = 0.01  # seconds; lets the other writer finish before this one reads again
SIDE_BY_SIDE = 64  # commands in flight at once in ``side_by_side`` (the outbox's window too)

Loader = Callable[[EventStore, str], Awaitable[tuple[S, int]]]
Decide = Callable[[S], Sequence[DomainEvent]]
EventIds = Callable[[Sequence[DomainEvent]], Sequence[str] | None]


@dataclass(frozen=True, slots=True)
class Aggregate(Generic[S]):
    """An event-sourced aggregate: the stream it lives in (``owner``), what people call it (for
    error messages) and its state as a pure function of its events."""

    owner: str
    name: str
    replay: Callable[[str, Iterable[DomainEvent]], S]

    async def load(self, store: EventStore, aggregate_id: str) -> tuple[S, int]:
        history = await store.load(self.owner, aggregate_id)
        return self.replay(aggregate_id, (e.event for e in history.events)), history.version


@dataclass(frozen=True, slots=True)
class Executed(Generic[S]):
    """What a command did: the state it decided on and that state's version, the events it
    appended (empty: nothing to do) and the store's answer to the append."""

    state: S
    version: int
    events: list[DomainEvent] = field(default_factory=list)
    appended: AppendResult | None = None

    @property
    def written(self) -> int:
        """Events newly stored (0 when nothing was decided or all were already there)."""
        return self.appended.written if self.appended else 0

    @property
    def new_version(self) -> int:
        """The aggregate's version after the command (its loaded one when nothing was appended)."""
        return self.appended.version if self.appended else self.version


async def execute(
    store: EventStore,
    aggregate: Aggregate[S] | Loader[S],
    aggregate_id: str,
    decide: Decide[S],
    *,
    event_ids: EventIds | None = None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    retries: int = RETRIES,
    name: str | None = None,
) -> Executed[S]:
    """Load, decide, append with the expected version; on a concurrent write, again on the new
    state, up to ``retries`` times, then ``ConcurrencyError`` (the caller's 409/503: try again).
    ``name`` says what the aggregate is in that error when a loader is given (``Aggregate`` has it)."""
    load = aggregate.load if isinstance(aggregate, Aggregate) else aggregate
    for attempt in range(retries):
        if attempt:
            await asyncio.sleep(RETRY_PAUSE)
        state, version = await load(store, aggregate_id)
        events = list(decide(state))
        if not events:
            return Executed(state, version)
        try:
            appended = await store.append(
                events,
                expected_version=version,
                event_ids=event_ids(events) if event_ids else None,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
        except ConcurrencyError:
            continue
        return Executed(state, version, events, appended)
    what = name or (aggregate.name if isinstance(aggregate, Aggregate) else "aggregate")
    raise ConcurrencyError(f"{what} {aggregate_id} is being changed concurrently; try again")


async def side_by_side(commands: Sequence[Callable[[], Awaitable[T]]], *, concurrency: int = SIDE_BY_SIDE) -> list[T]:
    """Run commands on distinct aggregates at once (the records of a batch), at most
    ``concurrency`` in flight, and return their results in order. Each still loads, decides and
    appends with its expected version (``execute``, ``EventStore.append``); run side by side,
    their publishes leave pipelined on the one broker connection and their acknowledgements are
    awaited together, so a batch costs about a round trip per window of commands, not one per
    command. Two commands on one aggregate would only race (one retries on ``ConcurrencyError``).

    Every command is run to its end even when another fails, so none is left half-way; then the
    first failure is raised. The caller answers 503 and the client sends the same batch again:
    with deterministic event ids, what was stored is found (JetStream's duplicate window, the
    aggregate's history) and stored once."""
    slots = asyncio.Semaphore(concurrency)

    async def run(command: Callable[[], Awaitable[T]]) -> T:
        async with slots:
            return await command()

    outcomes = await asyncio.gather(*(run(c) for c in commands), return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return cast(list[T], outcomes)
