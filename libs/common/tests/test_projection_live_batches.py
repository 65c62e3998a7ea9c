"""The live runner forms its batches from what the consumer has pending with one pull request
and one wake-up (``ProjectionRunner._take_pending``), not with a task per message as nats-py's
``fetch`` hands them over: in a process whose event loop is busy serving requests (the calls
service's read model beside ``POST /v1/calls``) each such task waited a turn of the loop, and a
few hundred pending events took seconds to fetch. Real nats-server and database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Generator, Sequence
from datetime import UTC, datetime
from typing import Any

import nats
import pytest
from common.db import READ_ONLY, create_engine, migrate, sessionmaker
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import EventByEvent, EventContext, ProjectionRunner, read_checkpoint
from common.testing import ProvisionedDatabase, eventually
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, MetaData, String, Table, delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

metadata = MetaData()
seen = Table("live_seen", metadata, Column("callback_id", String(64), primary_key=True), Column("n", Integer))


class Remember(EventByEvent):
    """Stores each CallbackDue's id (a second application would break the primary key) and the
    size of every batch it is given."""

    name = "remember-due"
    subscriptions: dict[str, Sequence[str]] = {"scheduling": ["CallbackDue"]}

    def __init__(self) -> None:
        self.batches: list[int] = []

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        self.batches.append(len(items))
        await super().apply_batch(session, items)

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        assert isinstance(event, CallbackDue)
        await session.execute(seen.insert().values(callback_id=event.callback_id, n=ctx.stream_seq))

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(seen))


@pytest.fixture
async def env(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> AsyncIterator[tuple[JetStreamContext, EventNames, async_sessionmaker[AsyncSession]]]:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    engine = create_engine(any_database.url)
    await migrate(engine, [])
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield js, names, sessionmaker(engine)
    await js.delete_stream(names.stream("scheduling"))
    await nc.close()
    await engine.dispose()


def due(n: int) -> CallbackDue:
    return CallbackDue(
        callback_id=f"cb-{n}", lead_id=f"l-{n % 5}", due_at=datetime(2026, 11, 20, tzinfo=UTC), reason="test"
    )


async def test_a_backlog_is_read_in_full_batches_without_a_task_per_event(
    env: tuple[JetStreamContext, EventNames, async_sessionmaker[AsyncSession]],
) -> None:
    js, names, sessions = env
    store = EventStore(js, names, "/test")
    await asyncio.gather(*(store.publish(due(i)) for i in range(250)))
    projection = Remember()
    runner = ProjectionRunner(js, names, sessions, projection, "scheduling", batch_size=100)

    loop = asyncio.get_running_loop()
    created = 0
    default = loop.get_task_factory()

    def counting(
        loop: asyncio.AbstractEventLoop, coro: Generator[Any, None, Any] | Coroutine[Any, Any, Any], **kwargs: Any
    ) -> asyncio.Future[Any]:
        nonlocal created
        created += 1
        if default is not None:
            return default(loop, coro, **kwargs)
        return asyncio.Task(coro, loop=loop, **kwargs)

    loop.set_task_factory(counting)
    try:
        task = asyncio.create_task(runner.run())
        await eventually(lambda: asyncio.sleep(0, result=runner.stats.applied >= 250), timeout=20)
    finally:
        loop.set_task_factory(default)
    runner.stop()
    await task

    assert projection.batches == [100, 100, 50]
    async with sessions() as session:
        assert await read_checkpoint(session, runner.key) == 250
    # A fetch of one message per batch, the rest in one request: a few tasks per batch, where
    # nats-py's fetch of the pending ones made one (and a timer) per event.
    assert created < 50, created

    # Events published while it runs are applied too, once each, in new batches.
    await asyncio.gather(*(store.publish(due(i)) for i in range(250, 300)))
    runner = ProjectionRunner(js, names, sessions, projection, "scheduling", batch_size=100)
    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: asyncio.sleep(0, result=runner.stats.applied >= 50), timeout=20)
        for i in range(300, 320):
            await store.publish(due(i))
        await eventually(lambda: asyncio.sleep(0, result=runner.stats.applied >= 70), timeout=20)
    finally:
        runner.stop()
        await task
    async with sessions() as session:
        assert await read_checkpoint(session, runner.key) == 320
    assert sum(projection.batches) == 320 and runner.stats.extra.get("gaps", 0) == 0


async def test_on_sqlite_the_live_runner_does_not_wait_for_the_services_pool(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> None:
    """Every connection of the service's pool held (requests in flight): the runner applies on
    its own connection. On PostgreSQL it shares the pool (not tested here)."""
    if any_database.kind != "sqlite":
        pytest.skip("the runner's own connection is for SQLite files")
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    engine = create_engine(any_database.url, pool_size=1, max_overflow=0, pool_timeout=30)
    await migrate(engine, [])
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = sessionmaker(engine)
    store = EventStore(js, names, "/test")
    await asyncio.gather(*(store.publish(due(i)) for i in range(30)))
    runner = ProjectionRunner(js, names, sessions, Remember(), "scheduling", batch_size=10)
    try:
        async with engine.connect() as held:  # the pool's only connection, busy with a read
            await held.execution_options(**{READ_ONLY: True})
            await held.exec_driver_sql("SELECT 1")
            task = asyncio.create_task(runner.run())
            await eventually(lambda: asyncio.sleep(0, result=runner.stats.applied >= 30), timeout=10)
            runner.stop()
            await task
        assert runner.sessions is sessions  # given back after the run
        async with sessions() as session:
            assert await read_checkpoint(session, runner.key) == 30
    finally:
        await js.delete_stream(names.stream("scheduling"))
        await nc.close()
        await engine.dispose()
