"""The transactional outbox against a real nats-server and a real database (SQLite and
PostgreSQL)."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import nats
import pytest
from common.db import create_engine, migrate, sessionmaker
from common.envelope import H_CAUSATION, H_CORRELATION, H_ID, Envelope
from common.events import CallbackDue
from common.eventstore import EventNames, EventStore, ensure_stream
from common.outbox import (
    Cause,
    Command,
    OutboxDrainer,
    Outgoing,
    OutgoingCommand,
    caused_by,
    enqueue,
    enqueue_command,
    enqueue_many,
    outbox_message,
    pending_count,
)
from common.testing import ProvisionedDatabase
from nats.aio.client import Client as NATS
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@dataclass
class World:
    sessions: async_sessionmaker[AsyncSession]
    store: EventStore
    nc: NATS

    async def stream(self) -> list[tuple[dict[str, str], dict[str, object]]]:
        """Every message of the scheduling stream, in stream order: (headers, data)."""
        name = self.store.names.stream("scheduling")
        last = (await self.store.js.stream_info(name)).state.last_seq
        out = []
        for seq in range(1, last + 1):
            msg = await self.store.js.get_msg(name, seq)
            env = Envelope.from_message(msg.headers, msg.data or b"")
            out.append((dict(msg.headers or {}), env.data))
        return out

    def drainer(self, **kwargs: object) -> OutboxDrainer:
        return OutboxDrainer(self.sessions, self.store, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
async def world(nats_url: str, event_namespace: str, any_database: ProvisionedDatabase) -> AsyncIterator[World]:
    engine = create_engine(any_database.url)
    await migrate(engine, [])
    nc = await nats.connect(nats_url)
    names = EventNames(event_namespace)
    await ensure_stream(nc.jetstream(), names, "scheduling")
    yield World(sessionmaker(engine), EventStore(nc.jetstream(), names, source="/test"), nc)
    await nc.close()
    await engine.dispose()


def due(callback_id: str, attempt: int = 1) -> CallbackDue:
    return CallbackDue(
        callback_id=callback_id,
        lead_id="l-1",
        due_at=datetime(2026, 11, 20, tzinfo=UTC),
        reason="test",
        attempt=attempt,
    )


class Crash(Exception):
    """The process dies between publishing and stamping."""


class CrashingBeforeStamp(OutboxDrainer):
    async def _stamp(self, ids: list[int]) -> None:
        raise Crash


async def test_a_rolled_back_transaction_publishes_nothing(world: World) -> None:
    with pytest.raises(RuntimeError):
        async with world.sessions() as session, session.begin():
            await enqueue(session, due("cb-rolled-back"), event_id="id-rolled-back")
            raise RuntimeError("the caller's transaction fails")
    async with world.sessions() as session, session.begin():
        await enqueue(session, due("cb-kept"), event_id="id-kept")
    assert await world.drainer().drain() == 1
    assert [h[H_ID] for h, _ in await world.stream()] == ["id-kept"]


async def test_committed_rows_are_published_in_order_exactly_once_with_their_ids(world: World) -> None:
    ids = [f"id-{i}" for i in range(7)]
    async with world.sessions() as session, session.begin():
        for i in range(4):
            await enqueue(session, due(f"cb-{i}", i), event_id=ids[i])
        # The same event id again (a re-decided fact) is queued once.
        assert not await enqueue(session, due("cb-0", 0), event_id=ids[0])
    async with world.sessions() as session, session.begin():
        for i in range(4, 7):
            await enqueue(session, due(f"cb-{i}", i), event_id=ids[i])
    drainer = world.drainer(batch_size=3)
    assert await drainer.drain() == 7
    assert await drainer.drain() == 0
    stream = await world.stream()
    assert [h[H_ID] for h, _ in stream] == ids
    assert [d["attempt"] for _, d in stream] == list(range(7))
    async with world.sessions() as session:
        assert await pending_count(session) == 0
        stamped = (await session.execute(select(outbox_message.c.published_at))).scalars().all()
    assert len(stamped) == 7 and all(stamped)  # kept (stamped) for the SRE, purged after retention


async def test_a_batch_enqueued_in_one_statement_goes_out_in_its_order_with_its_causes(world: World) -> None:
    cause = Envelope(type="CallEnded", source="/test", data={}, correlation_id="corr-1")
    async with world.sessions() as session, session.begin():
        await enqueue(session, due("cb-0"), event_id="b-0")
        await enqueue_many(
            session,
            [
                Outgoing(due("cb-1"), "b-1", Cause.of(cause)),
                Outgoing(due("cb-0"), "b-0"),  # queued already: kept once
                Outgoing(due("cb-2"), "b-2", Cause.of(cause)),
                Outgoing(due("cb-1"), "b-1", Cause.of(cause)),  # twice in the batch: kept once
            ],
        )
        with caused_by(cause):
            await enqueue_many(session, [Outgoing(due("cb-3"), "b-3")])
        await enqueue_many(session, [])
    assert await world.drainer().drain() == 4
    stream = await world.stream()
    assert [h[H_ID] for h, _ in stream] == ["b-0", "b-1", "b-2", "b-3"]
    assert [h.get(H_CORRELATION) for h, _ in stream][1:] == ["corr-1"] * 3
    assert [h.get(H_CAUSATION) for h, _ in stream][1:] == [cause.id] * 3


async def test_a_crash_after_publishing_and_before_stamping_republishes_the_same_ids_once(world: World) -> None:
    async with world.sessions() as session, session.begin():
        for i in range(3):
            await enqueue(session, due(f"cb-{i}", i), event_id=f"id-{i}")
    crashed = CrashingBeforeStamp(world.sessions, world.store, lease_ttl=0.5)
    with pytest.raises(Crash):
        await crashed.drain_once()
    assert len(await world.stream()) == 3
    async with world.sessions() as session:
        assert await pending_count(session) == 3  # nothing was stamped
    # The dead process keeps its lease until it expires; then the next replica takes over.
    successor = world.drainer(lease_ttl=0.5)
    assert await successor.drain() == 0
    await asyncio.sleep(0.6)
    assert await successor.drain() == 3
    stream = await world.stream()
    assert [h[H_ID] for h, _ in stream] == ["id-0", "id-1", "id-2"]  # the copies were dropped
    async with world.sessions() as session:
        assert await pending_count(session) == 0


async def test_the_trace_context_and_correlation_id_of_the_cause_travel_with_the_event(world: World) -> None:
    cause = Envelope(
        type="CallEnded",
        source="/calls",
        data={},
        id="call-ended-1",
        correlation_id="posted-call-1",
        extra_headers={"traceparent": TRACEPARENT, "Nats-Expected-Last-Subject-Sequence": "4"},
    )
    async with world.sessions() as session, session.begin():
        with caused_by(cause):
            await enqueue(session, due("cb-traced"), event_id="id-traced")
        await enqueue(
            session,
            due("cb-explicit"),
            event_id="id-explicit",
            correlation_id="corr-2",
            causation_id="cause-2",
            trace_headers={"traceparent": TRACEPARENT},
        )
    await world.drainer().drain()
    (traced, _), (explicit, _) = await world.stream()
    assert traced[H_CORRELATION] == "posted-call-1"
    assert traced[H_CAUSATION] == "call-ended-1"
    assert traced["traceparent"].split("-")[1] == TRACE_ID  # the same trace, whatever the span
    assert explicit[H_CORRELATION] == "corr-2" and explicit[H_CAUSATION] == "cause-2"
    assert explicit["traceparent"].split("-")[1] == TRACE_ID
    # Only the trace context is kept from the cause's headers, not its append conditions.
    async with world.sessions() as session:
        kept = (await session.execute(select(outbox_message.c.trace))).scalars().all()
    assert kept == [{"traceparent": TRACEPARENT}] * 2


async def test_commands_run_in_order_with_the_events_around_them(world: World) -> None:
    seen: list[str] = []

    async def flag(command: Command) -> None:
        seen.append(f"{command.name}:{command.data['call_id']}:{command.correlation_id}")
        await world.store.publish(due("cb-from-command", 9), event_id=f"{command.command_id}/0")

    async with world.sessions() as session, session.begin():
        await enqueue(session, due("cb-before"), event_id="id-before")
        await enqueue_command(session, "flag", {"call_id": "c-1"}, command_id="cmd-1", correlation_id="corr-c")
        await enqueue(session, due("cb-after"), event_id="id-after")
    await world.drainer(commands={"flag": flag}).drain()
    assert seen == ["flag:c-1:corr-c"]
    assert [h[H_ID] for h, _ in await world.stream()] == ["id-before", "cmd-1/0", "id-after"]


async def test_commands_enqueued_in_one_statement_run_in_order_with_the_events_and_their_causes(
    world: World,
) -> None:
    seen: list[tuple[str, str | None, str | None]] = []

    async def flag(command: Command) -> None:
        seen.append((command.command_id, command.correlation_id, command.causation_id))
        await world.store.publish(due(f"cb-{command.data['call_id']}", 9), event_id=f"{command.command_id}/0")

    cause = Envelope(type="CallEnded", source="/test", data={}, correlation_id="corr-1")
    async with world.sessions() as session, session.begin():
        await enqueue_command(session, "flag", {"call_id": "c-0"}, command_id="cmd-0", correlation_id="corr-0")
        await enqueue_many(
            session,
            [
                OutgoingCommand("flag", {"call_id": "c-1"}, "cmd-1", "l-1", Cause.of(cause)),
                Outgoing(due("cb-between"), "id-between", Cause.of(cause)),
                OutgoingCommand("flag", {"call_id": "c-0"}, "cmd-0", "l-0"),  # queued already: kept once
                OutgoingCommand("flag", {"call_id": "c-2"}, "cmd-2", "l-2", Cause.of(cause)),
            ],
        )
    await world.drainer(commands={"flag": flag}).drain()
    assert seen == [("cmd-0", "corr-0", None), ("cmd-1", "corr-1", cause.id), ("cmd-2", "corr-1", cause.id)]
    assert [h[H_ID] for h, _ in await world.stream()] == ["cmd-0/0", "cmd-1/0", "id-between", "cmd-2/0"]
    async with world.sessions() as session:
        rows = (await session.execute(select(outbox_message).order_by(outbox_message.c.id))).mappings().all()
    assert [(r["kind"], r["aggregate_id"]) for r in rows] == [
        ("command", None),
        ("command", "l-1"),
        ("event", "cb-between"),
        ("command", "l-2"),
    ]


async def test_a_command_without_a_handler_holds_the_line(world: World) -> None:
    async with world.sessions() as session, session.begin():
        await enqueue(session, due("cb-1"), event_id="id-1")
        await enqueue_command(session, "unknown", {}, command_id="cmd-x")
        await enqueue(session, due("cb-2"), event_id="id-2")
    with pytest.raises(LookupError, match="unknown"):
        await world.drainer().drain()
    assert [h[H_ID] for h, _ in await world.stream()] == ["id-1"]  # nothing after it goes out
    async with world.sessions() as session:
        assert await pending_count(session) == 2


async def test_the_running_drainer_wakes_on_a_commit_and_only_one_replica_drains(world: World) -> None:
    stopping = asyncio.Event()
    first = world.drainer(interval=30.0, stopping=stopping.is_set)
    second = world.drainer(interval=30.0, stopping=stopping.is_set)
    tasks = [asyncio.create_task(first.run()), asyncio.create_task(second.run())]
    await asyncio.sleep(0.3)  # both polled once: one holds the lease, the other stands by
    async with world.sessions() as session, session.begin():
        await enqueue(session, due("cb-woken"), event_id="id-woken")
    for _ in range(40):  # far sooner than the 30 s poll: the commit woke the drainer
        if len(await world.stream()) == 1:
            break
        await asyncio.sleep(0.05)
    assert [h[H_ID] for h, _ in await world.stream()] == ["id-woken"]
    assert first.stats.published + second.stats.published == 1
    stopping.set()
    first.poke()
    second.poke()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
