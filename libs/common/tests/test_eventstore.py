"""The event store against a real nats-server."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import nats
import pytest
from common.events import CallbackDue
from common.eventstore import ConcurrencyError, EventNames, EventStore, ensure_stream
from nats.js import JetStreamContext


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc = await nats.connect(nats_url)
    js: JetStreamContext = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    await ensure_stream(js, names, "scheduling")  # idempotent
    yield EventStore(js, names, source="/test")
    await js.delete_stream(names.stream("scheduling"))
    await nc.close()


def due(callback_id: str, attempt: int = 1) -> CallbackDue:
    return CallbackDue(
        callback_id=callback_id,
        lead_id="l-1",
        due_at=datetime(2026, 11, 20, tzinfo=UTC),
        reason="test",
        attempt=attempt,
    )


async def test_append_and_load_replays_the_aggregate_in_order(store: EventStore) -> None:
    result = await store.append([due("cb-1", 1), due("cb-1", 2)], expected_version=0)
    await store.append([due("cb-2")], expected_version=0)
    history = await store.load("scheduling", "cb-1")
    assert [e.event.attempt for e in history.events] == [1, 2]  # type: ignore[attr-defined]
    assert history.version == result.version


async def test_two_concurrent_appends_on_one_aggregate_exactly_one_wins(store: EventStore) -> None:
    await store.append([due("cb-9")], expected_version=0)
    version = (await store.load("scheduling", "cb-9")).version
    outcomes = await asyncio.gather(
        store.append([due("cb-9", 2)], expected_version=version),
        store.append([due("cb-9", 3)], expected_version=version),
        return_exceptions=True,
    )
    assert sum(isinstance(o, ConcurrencyError) for o in outcomes) == 1
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert len((await store.load("scheduling", "cb-9")).events) == 2


async def test_the_check_spans_every_event_type_of_the_aggregate(store: EventStore) -> None:
    """Version 0 means "no event at all", whatever its type: the -Subject header covers the
    aggregate's wildcard, not the one subject being written."""
    await store.append([due("cb-5")], expected_version=0)
    with pytest.raises(ConcurrencyError):
        await store.append([due("cb-5", 2)], expected_version=0)


async def test_resent_event_is_dropped_by_the_duplicate_window(store: EventStore) -> None:
    first = await store.append([due("cb-7")], expected_version=None, event_ids=["same-id"])
    again = await store.append([due("cb-7")], expected_version=None, event_ids=["same-id"])
    assert (first.written, again.written, again.duplicates) == (1, 0, 1)
    assert len((await store.load("scheduling", "cb-7")).events) == 1


async def test_loading_an_unknown_aggregate_gives_version_zero(store: EventStore) -> None:
    history = await store.load("scheduling", "nobody")
    assert history.events == [] and history.version == 0
