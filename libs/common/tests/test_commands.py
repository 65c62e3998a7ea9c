"""``common.commands.execute`` (load, decide, append with the expected version, retry) and the
in-memory event store it is unit-tested with, which must keep the real store's contract
(``test_eventstore.py`` checks that contract on a real nats-server)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

import pytest
from common.commands import Aggregate, execute, side_by_side
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import ConcurrencyError, EventStore
from common.memory_store import MemoryEventStore


def due(callback_id: str, attempt: int) -> CallbackDue:
    return CallbackDue(
        callback_id=callback_id, lead_id="l-1", due_at=datetime(2026, 11, 20, tzinfo=UTC), reason="t", attempt=attempt
    )


def attempts(_callback_id: str, events: Iterable[DomainEvent]) -> list[int]:
    return [e.attempt for e in events if isinstance(e, CallbackDue)]


CALLBACK = Aggregate("scheduling", "callback", attempts)


def next_attempt(state: list[int]) -> list[DomainEvent]:
    return [due("cb-1", len(state) + 1)]


# --- the in-memory store keeps the event store's contract --------------------------------------


async def test_expected_version_is_checked_over_the_whole_aggregate() -> None:
    store = MemoryEventStore()
    first = await store.append([due("cb-1", 1), due("cb-1", 2)], expected_version=0)
    await store.append([due("cb-2", 1)], expected_version=0)  # another aggregate: its own version
    assert first.version == 2 and (await store.load("scheduling", "cb-1")).version == 2
    with pytest.raises(ConcurrencyError):
        await store.append([due("cb-1", 3)], expected_version=1)
    with pytest.raises(ConcurrencyError):
        await store.append([due("cb-1", 3)], expected_version=0)
    third = await store.append([due("cb-1", 3)], expected_version=2)
    assert third.version == 4  # the stream's sequence, shared by every aggregate of the owner


async def test_an_event_id_stored_before_is_a_duplicate_with_the_original_sequence() -> None:
    store = MemoryEventStore()
    first = await store.append([due("cb-1", 1)], expected_version=0, event_ids=["e-1"])
    again = await store.append([due("cb-1", 1)], expected_version=0, event_ids=["e-1"])
    assert (again.written, again.duplicates, again.version) == (0, 1, first.version)
    assert len((await store.load("scheduling", "cb-1")).events) == 1


async def test_events_go_through_their_envelope() -> None:
    store = MemoryEventStore()
    await store.append([due("cb-1", 1)], expected_version=0, correlation_id="corr-9")
    stored = (await store.load("scheduling", "cb-1")).events[0]
    assert stored.envelope.correlation_id == "corr-9" and stored.event == due("cb-1", 1)


# --- execute -----------------------------------------------------------------------------------


async def test_execute_appends_what_is_decided_at_the_loaded_version() -> None:
    store = MemoryEventStore()
    done = await execute(store, CALLBACK, "cb-1", next_attempt)
    assert (done.state, done.version, done.written) == ([], 0, 1)
    done = await execute(store, CALLBACK, "cb-1", next_attempt)
    assert (done.state, done.version, done.new_version) == ([1], 1, 2)


async def test_nothing_decided_appends_nothing() -> None:
    store = MemoryEventStore()
    done = await execute(store, CALLBACK, "cb-1", lambda _state: [])
    assert (done.events, done.appended, done.new_version, store.appends) == ([], None, 0, 0)


async def test_a_concurrent_append_is_retried_on_the_new_state() -> None:
    store = MemoryEventStore()
    await execute(store, CALLBACK, "cb-1", next_attempt)

    async def other_writer(s: MemoryEventStore) -> None:
        await s.append([due("cb-1", 2)], expected_version=(await s.load("scheduling", "cb-1")).version)

    store.interfere(other_writer)
    decided_on: list[list[int]] = []

    def decide(state: list[int]) -> list[DomainEvent]:
        decided_on.append(state)
        return next_attempt(state)

    done = await execute(store, CALLBACK, "cb-1", decide)
    assert decided_on == [[1], [1, 2]] and store.conflicts == 1
    assert attempts("cb-1", store.events("scheduling", "cb-1")) == [1, 2, 3]
    assert done.state == [1, 2] and done.events == [due("cb-1", 3)]


async def test_retries_end_in_a_concurrency_error_naming_the_aggregate() -> None:
    store = MemoryEventStore()
    for n in range(3):

        async def other_writer(s: MemoryEventStore, n: int = n) -> None:
            await s.append([due("cb-1", 100 + n)], expected_version=None)

        store.interfere(other_writer)
    with pytest.raises(ConcurrencyError, match="callback cb-1 is being changed concurrently"):
        await execute(store, CALLBACK, "cb-1", next_attempt, retries=3)
    assert store.conflicts == 3


async def test_a_loader_gathers_more_than_the_events_and_ids_can_be_deterministic() -> None:
    store = MemoryEventStore()
    limits = {"cb-1": 2}

    async def with_limit(s: EventStore, callback_id: str) -> tuple[tuple[list[int], int], int]:
        state, version = await CALLBACK.load(s, callback_id)
        return (state, limits[callback_id]), version

    def decide(facts: tuple[list[int], int]) -> list[DomainEvent]:
        state, limit = facts
        return next_attempt(state) if len(state) < limit else []

    for _ in range(3):
        await execute(store, with_limit, "cb-1", decide, event_ids=lambda evs: [f"id-{n}" for n in attempts("", evs)])
    history = await store.load("scheduling", "cb-1")
    assert [s.envelope.id for s in history.events] == ["id-1", "id-2"]  # the third run decided nothing


async def test_side_by_side_runs_every_command_within_its_bound_then_raises_the_first_failure() -> None:
    store = MemoryEventStore()
    running, most = 0, 0

    def command(callback_id: str, fails: bool = False) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            nonlocal running, most
            running += 1
            most = max(most, running)
            await asyncio.sleep(0.01)
            running -= 1
            if fails:
                raise ConcurrencyError(f"{callback_id} failed")

            def decide(state: list[int]) -> list[DomainEvent]:
                return [due(callback_id, len(state) + 1)]

            return (await execute(store, CALLBACK, callback_id, decide)).new_version

        return run

    versions = await side_by_side([command(f"cb-{n}") for n in range(10)], concurrency=3)
    for n, version in enumerate(versions):  # in the commands' order
        assert [s.stream_seq for s in (await store.load("scheduling", f"cb-{n}")).events] == [version]
    assert most == 3

    commands = [command("cb-a"), command("cb-b", fails=True), command("cb-c"), command("cb-d", fails=True)]
    with pytest.raises(ConcurrencyError, match="cb-b failed"):
        await side_by_side(commands, concurrency=2)
    # The commands after the failure were run to their end, not abandoned.
    for callback_id in ("cb-a", "cb-c"):
        assert [s.event.event_type for s in (await store.load("scheduling", callback_id)).events] == ["CallbackDue"]
