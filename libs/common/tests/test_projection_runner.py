"""The projection runner's exactly-once effect, against a real nats-server and database."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import nats
import pytest
from common.db import create_engine, migrate, sessionmaker
from common.envelope import Envelope
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import (
    EventByEvent,
    EventContext,
    PoisonMessage,
    ProjectionRunner,
    dead_letters,
    read_checkpoint,
)
from common.testing import NatsServerProcess, ProvisionedDatabase, eventually
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

metadata = MetaData()
counts = Table(
    "due_counts", metadata, Column("lead_id", String(64), primary_key=True), Column("n", Integer, nullable=False)
)


class CountDue(EventByEvent):
    """Counts CallbackDue per lead; fails on demand to exercise retries and dead letters."""

    name = "count-due"
    subscriptions: dict[str, Sequence[str]] = {"scheduling": ["CallbackDue"]}

    def __init__(self) -> None:
        self.fail_reason: dict[str, int] = {}  # reason -> times left to fail (-1: always)

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        assert isinstance(event, CallbackDue)
        left = self.fail_reason.get(event.reason, 0)
        if left:
            self.fail_reason[event.reason] = left - 1 if left > 0 else -1
            if event.reason == "poison":
                raise PoisonMessage("cannot ever apply")
            raise RuntimeError(f"transient failure for {event.reason}")
        updated = await session.execute(
            update(counts).where(counts.c.lead_id == event.lead_id).values(n=counts.c.n + 1)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await session.execute(counts.insert().values(lead_id=event.lead_id, n=1))

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(counts))


@dataclass
class Setup:
    nc: NATS
    js: JetStreamContext
    names: EventNames
    store: EventStore
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


async def _setup(url: str, namespace: str, database_url: str) -> Setup:
    nc = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    names = EventNames(namespace)
    await ensure_stream(js, names, "scheduling")
    engine = create_engine(database_url)
    await migrate(engine, [])
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return Setup(nc, js, names, EventStore(js, names, "/test"), engine, sessionmaker(engine))


@pytest.fixture
async def env(nats_url: str, event_namespace: str, any_database: ProvisionedDatabase) -> AsyncIterator[Setup]:
    setup = await _setup(nats_url, event_namespace, any_database.url)
    yield setup
    await setup.js.delete_stream(setup.names.stream("scheduling"))
    await setup.nc.close()
    await setup.engine.dispose()


def due(lead: str, n: int, reason: str = "test") -> CallbackDue:
    return CallbackDue(
        callback_id=f"cb-{lead}-{n}", lead_id=lead, due_at=datetime(2026, 11, 20, tzinfo=UTC), reason=reason
    )


async def count(setup: Setup, lead: str) -> int:
    async with setup.sessions() as session:
        return int((await session.execute(select(counts.c.n).where(counts.c.lead_id == lead))).scalar() or 0)


async def test_redelivered_batch_is_counted_once(env: Setup) -> None:
    for i in range(10):
        await env.store.publish(due("l1", i))
    runner = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", batch_size=100)
    psub = await runner.ensure_consumer()
    msgs = await psub.fetch(10, timeout=2)
    await runner.process(msgs)
    # The same messages again (as JetStream does when an ack is lost): nothing changes.
    outcome = await runner.process(msgs)
    assert outcome.applied == 0 and outcome.skipped == 10
    assert await count(env, "l1") == 10


async def test_a_restart_after_a_commit_starts_after_the_checkpoint(env: Setup) -> None:
    for i in range(5):
        await env.store.publish(due("l2", i))
    projection = CountDue()
    # A short lease: the crashed process's lease must expire before another takes over.
    runner = ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling", lease_ttl=1.0)
    psub = await runner.ensure_consumer()
    msgs = await psub.fetch(5, timeout=2)
    # Commit, then die before fetching more: the next process must start after these five.
    await runner.process(msgs)
    await psub.unsubscribe()
    assert await count(env, "l2") == 5
    await env.store.publish(due("l2", 5))

    restarted = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling")
    task = asyncio.create_task(restarted.run())
    await eventually(lambda: _ready(restarted.stats.applied >= 1), timeout=15)
    restarted.stop()
    await task
    assert await count(env, "l2") == 6
    assert restarted.stats.applied == 1 and restarted.stats.extra["positioned_at"] == 6


async def _ready(value: bool) -> bool:
    return value


async def test_invalid_event_is_dead_lettered_and_the_stream_keeps_flowing(env: Setup) -> None:
    await env.store.publish(due("l3", 1))
    bad = Envelope(type="CallbackDue", source="/test", data={"callback_id": "x", "lead_id": "l3"})  # no due_at
    await env.js.publish(env.names.subject("scheduling", "x", "CallbackDue"), bad.body(), headers=bad.headers())
    await env.js.publish(env.names.subject("scheduling", "y", "CallbackDue"), b"{}", headers={"ce-type": "CallbackDue"})
    await env.store.publish(due("l3", 2))
    runner = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling")
    task = asyncio.create_task(runner.run())
    await eventually(lambda: _ready(runner.stats.applied == 2 and runner.stats.dead_lettered == 2))
    runner.stop()
    await task
    assert await count(env, "l3") == 2
    async with env.sessions() as session:
        letters = await dead_letters(session, "count-due")
    reasons = " | ".join(d["reason"] for d in letters)
    assert "due_at" in reasons and "ce-id" in reasons


async def test_handler_that_keeps_failing_is_dead_lettered_after_n_tries(env: Setup) -> None:
    projection = CountDue()
    projection.fail_reason = {"flaky": 2, "broken": -1}
    await env.store.publish(due("l4", 1, "flaky"))
    await env.store.publish(due("l4", 2, "broken"))
    await env.store.publish(due("l4", 3))
    runner = ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling", max_deliver=3)
    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: _ready(runner.stats.applied == 2 and runner.stats.dead_lettered == 1), timeout=20)
    except AssertionError:
        raise AssertionError(f"{runner.stats}") from None
    runner.stop()
    await task
    assert await count(env, "l4") == 2  # flaky applied once after two failures, broken never
    async with env.sessions() as session:
        letters = await dead_letters(session, "count-due")
        assert await read_checkpoint(session, "count-due@" + env.names.stream("scheduling")) > 0
    assert len(letters) == 1 and "after 3 tries" in letters[0]["reason"]


async def test_rebuild_replays_from_the_first_event(env: Setup) -> None:
    for i in range(7):
        await env.store.publish(due("l5", i))
    runner = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling")
    task = asyncio.create_task(runner.run())
    await eventually(lambda: _ready(runner.stats.applied == 7))
    runner.stop()
    await task
    async with env.sessions() as session, session.begin():
        await session.execute(update(counts).values(n=999))  # a corrupted read model
    applied = await runner.rebuild(progress=False)
    assert applied == 7 and await count(env, "l5") == 7


async def test_runner_recovers_when_the_nats_server_restarts(
    nats_server: NatsServerProcess, event_namespace: str, test_database: ProvisionedDatabase
) -> None:
    setup = await _setup(nats_server.url, event_namespace, test_database.url)
    runner = ProjectionRunner(setup.js, setup.names, setup.sessions, CountDue(), "scheduling")
    task = asyncio.create_task(runner.run())
    try:
        await setup.store.publish(due("l6", 1))
        await eventually(lambda: _ready(runner.stats.applied == 1))
        nats_server.stop()
        await asyncio.sleep(1.0)
        nats_server.start()
        await eventually(lambda: _ready(setup.nc.is_connected), timeout=20)
        await setup.store.publish(due("l6", 2))
        await eventually(lambda: _ready(runner.stats.applied == 2), timeout=30)
        assert await count(setup, "l6") == 2
    finally:
        runner.stop()
        await task
        await setup.nc.close()
        await setup.engine.dispose()


async def test_two_replicas_of_one_projection_count_every_event_once(env: Setup) -> None:
    """Two processes running the same projection (two Kubernetes replicas): every event is
    applied once, whichever replica applies it."""
    for i in range(300):
        await env.store.publish(due("l7", i))
    runners = [
        ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", batch_size=20) for _ in range(2)
    ]
    tasks = [asyncio.create_task(r.run()) for r in runners]
    try:
        await eventually(lambda: _ready(sum(r.stats.applied for r in runners) >= 300), timeout=30)
        for i in range(300, 400):
            await env.store.publish(due("l7", i))
        await eventually(lambda: _ready(sum(r.stats.applied for r in runners) >= 400), timeout=30)
    finally:
        for r in runners:
            r.stop()
        await asyncio.gather(*tasks)
    assert await count(env, "l7") == 400


async def test_a_database_fault_is_retried_not_dead_lettered(env: Setup) -> None:
    """A missing table (a deployment fault) or a lost connection is not the message's fault:
    the event waits, however many tries it takes, and is applied once the database is fixed."""
    await env.store.publish(due("l8", 1))
    runner = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", max_deliver=2)
    async with env.engine.begin() as conn:
        await conn.run_sync(lambda c: counts.drop(c))
    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: _ready(runner.stats.last_error is not None), timeout=10)
        await asyncio.sleep(1.5)  # several tries, more than max_deliver
        assert runner.stats.dead_lettered == 0
        async with env.engine.begin() as conn:
            await conn.run_sync(lambda c: counts.create(c))
        await eventually(lambda: _ready(runner.stats.applied == 1), timeout=20)
    finally:
        runner.stop()
        await task
    assert await count(env, "l8") == 1


async def test_events_held_by_a_killed_process_are_applied_not_skipped(env: Setup) -> None:
    """The loss found under kill -9: a process fetched events and died before committing them.
    Its replacement applied later events first and moved the checkpoint past them; when the
    dead process's events came back (after ack_wait) they were taken as already applied and
    skipped. A projection must read its stream strictly in order from checkpoint + 1."""
    for i in range(5):
        await env.store.publish(due("l9", i))
    killed = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", batch_size=5)
    psub = await killed.ensure_consumer()
    held = await psub.fetch(5, timeout=2)
    assert len(held) == 5  # delivered to the process, never applied: then kill -9
    await psub.unsubscribe()
    for i in range(5, 10):
        await env.store.publish(due("l9", i))

    restarted = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", batch_size=5)
    task = asyncio.create_task(restarted.run())
    try:
        await eventually(lambda: _ready(restarted.stats.applied + restarted.stats.skipped >= 10), timeout=20)
        await asyncio.sleep(2.0)  # anything still to come back would come back by now
    finally:
        restarted.stop()
        await task
    assert await count(env, "l9") == 10
    assert restarted.stats.applied == 10 and restarted.stats.skipped == 0


async def test_deliveries_taken_by_another_fetcher_are_read_again_from_the_checkpoint(env: Setup) -> None:
    """A delivery the runner never saw (a fetch that timed out, a replica that lost its lease
    still pulling) shows as a gap in the consumer's delivery sequence: the runner stops at the
    gap and reads again from checkpoint + 1, so nothing is skipped."""
    for i in range(5):
        await env.store.publish(due("l10", i))
    runner = ProjectionRunner(env.js, env.names, env.sessions, CountDue(), "scheduling", batch_size=10)
    psub = await runner.ensure_consumer()
    thief = await env.js.pull_subscribe_bind(durable=runner.durable, stream=runner.stream)
    stolen = await thief.fetch(2, timeout=2)
    assert [m.metadata.sequence.consumer for m in stolen] == [1, 2]
    msgs = await psub.fetch(3, timeout=2)
    accepted, intact = runner.in_order(msgs)
    assert accepted == [] and not intact  # delivery 3 first: 1 and 2 went elsewhere
    await thief.unsubscribe()
    await psub.unsubscribe()

    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: _ready(runner.stats.applied >= 5), timeout=15)
        for i in range(5, 10):
            await env.store.publish(due("l10", i))
        await eventually(lambda: _ready(runner.stats.applied >= 10), timeout=15)
    finally:
        runner.stop()
        await task
    assert await count(env, "l10") == 10 and runner.stats.extra["gaps"] == 1


class CountDueWithoutTimezone(CountDue):
    """Never reads a CallbackDue's timezone; records the batches it is given."""

    name = "count-due-partly"
    unread_fields: dict[str, frozenset[str]] = {"CallbackDue": frozenset({"timezone"})}

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.saw_timezone = False

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        self.batches.append(len(items))
        self.saw_timezone = self.saw_timezone or any(hasattr(e, "timezone") for e, _c in items)
        await super().apply_batch(session, items)


async def test_a_fault_in_a_field_the_projection_does_not_read_does_not_dead_letter_its_event(env: Setup) -> None:
    data = due("l8", 1).to_data() | {"timezone": 8}  # not a string: invalid
    bad = Envelope(type="CallbackDue", source="/test", data=data)
    await env.js.publish(env.names.subject("scheduling", "cb-l8-1", "CallbackDue"), bad.body(), headers=bad.headers())
    await env.store.publish(due("l8", 2))
    partly = CountDueWithoutTimezone()
    for projection in (partly, CountDue()):
        runner = ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling")
        await runner.rebuild(progress=False)
    async with env.sessions() as session:
        letters = await dead_letters(session)
    # The projection that reads every field dead-letters it; the one that never reads the
    # timezone applies it, and never sees a timezone at all.
    assert [(d["projection"], "timezone" in d["reason"]) for d in letters] == [("count-due", True)]
    assert not partly.saw_timezone
    assert await count(env, "l8") == 1  # CountDue's rebuild (the second) reset the shared table


def test_a_required_or_unknown_field_cannot_be_left_unread(env: Setup) -> None:
    for fields in ({"due_at"}, {"due_on"}):
        projection = CountDueWithoutTimezone()
        projection.unread_fields = {"CallbackDue": frozenset(fields)}
        with pytest.raises(ValueError):
            ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling")


async def test_rebuild_applies_full_batches_whatever_one_fetch_returns(env: Setup) -> None:
    await asyncio.gather(*(env.store.publish(due(f"l9-{i % 7}", i)) for i in range(1300)))
    projection = CountDueWithoutTimezone()
    runner = ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling", rebuild_batch_size=600)
    assert await runner.rebuild(progress=False) == 1300
    assert projection.batches == [600, 600, 100]
    assert sum([await count(env, f"l9-{k}") for k in range(7)]) == 1300


async def test_a_rebuild_collects_garbage_less_often_and_restores_the_collector_after(env: Setup) -> None:
    await asyncio.gather(*(env.store.publish(due(f"l10-{i % 3}", i)) for i in range(30)))
    seen: list[int] = []

    class Recording(CountDue):
        async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
            seen.append(gc.get_threshold()[0])
            await super().apply_batch(session, items)

    before = gc.get_threshold()
    runner = ProjectionRunner(env.js, env.names, env.sessions, Recording(), "scheduling", rebuild_batch_size=10)
    assert await runner.rebuild(progress=False) == 30
    assert seen and all(threshold >= 100_000 for threshold in seen)
    assert gc.get_threshold() == before
