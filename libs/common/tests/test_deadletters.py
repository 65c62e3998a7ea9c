"""Dead letters seen and replayed (common.deadletters), against a real nats-server and database:
a replay applies the event once through the projection and deletes the row in the same
transaction; a replay that fails again keeps the row with its new reason; an event a later one
of its aggregate has superseded is not applied unless forced; replay runs beside the runner."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import nats
import pytest
from common.db import create_engine, migrate, sessionmaker
from common.deadletters import Replayer, dead_letter, replay_dead_letters_main, router
from common.envelope import Envelope
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import EventNames, EventStore, ensure_stream
from common.problems import install_problem_handlers
from common.projection import EventByEvent, EventContext, ProjectionRunner, checkpoint_key, read_checkpoint
from common.service import ServiceSpec, no_context
from common.settings import ServiceSettings
from common.testing import AsGateway, ProvisionedDatabase, eventually, started_runtime
from fastapi import FastAPI
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

metadata = MetaData()
due_seen = Table(
    "dl_due_seen",
    metadata,
    Column("callback_id", String(64), primary_key=True),
    Column("reason", String(64), nullable=False),
    Column("n", Integer, nullable=False),
)


class LastDue(EventByEvent):
    """Keeps each callback's latest reason (state that an older event would put back) and how
    many times it came due; fails for the reasons in ``broken`` until they are fixed."""

    name = "last-due"

    def __init__(self, owners: Sequence[str] = ("scheduling",)) -> None:
        self.subscriptions: dict[str, Sequence[str]] = {o: ["CallbackDue"] for o in owners}
        self.broken: set[str] = set()

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        assert isinstance(event, CallbackDue)
        if event.reason in self.broken:
            raise RuntimeError(f"cannot handle {event.reason} yet")
        updated = await session.execute(
            update(due_seen)
            .where(due_seen.c.callback_id == event.callback_id)
            .values(reason=event.reason, n=due_seen.c.n + 1)
        )
        if updated.rowcount == 0:  # type: ignore[attr-defined]
            await session.execute(due_seen.insert().values(callback_id=event.callback_id, reason=event.reason, n=1))

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(due_seen))


@dataclass
class Setup:
    nc: NATS
    js: JetStreamContext
    names: EventNames
    store: EventStore
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    database_url: str
    nats_url: str


async def _setup(url: str, namespace: str, database_url: str) -> Setup:
    nc = await nats.connect(url)
    js = nc.jetstream()
    names = EventNames(namespace)
    for owner in ("scheduling", "qa"):
        await ensure_stream(js, names, owner)
    engine = create_engine(database_url)
    await migrate(engine, [])
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return Setup(nc, js, names, EventStore(js, names, "/test"), engine, sessionmaker(engine), database_url, url)


@pytest.fixture
async def env(nats_url: str, event_namespace: str, any_database: ProvisionedDatabase) -> AsyncIterator[Setup]:
    setup = await _setup(nats_url, event_namespace, any_database.url)
    yield setup
    for owner in ("scheduling", "qa"):
        await setup.js.delete_stream(setup.names.stream(owner))
    await setup.nc.close()
    await setup.engine.dispose()


def due(callback: str, reason: str = "due") -> CallbackDue:
    return CallbackDue(callback_id=callback, lead_id="l-1", due_at=datetime(2026, 11, 20, tzinfo=UTC), reason=reason)


async def fetch_all(runner: ProjectionRunner) -> list[Msg]:
    psub = await runner.ensure_consumer()
    pending = (await psub.consumer_info()).num_pending or 0
    msgs = await psub.fetch(pending, timeout=5) if pending else []
    await psub.unsubscribe()
    return msgs


async def run_once(env: Setup, projection: LastDue, owner: str = "scheduling") -> None:
    """Apply everything pending in one pass; a failing handler is dead-lettered at once."""
    runner = ProjectionRunner(env.js, env.names, env.sessions, projection, owner, max_deliver=1)
    await runner.process(await fetch_all(runner))


def replayer(env: Setup, projection: LastDue) -> Replayer:
    return Replayer("test", env.sessions, env.js, env.names, {projection.name: projection})


async def seen(env: Setup, callback: str) -> tuple[str, int] | None:
    async with env.sessions() as session:
        row = (
            await session.execute(select(due_seen.c.reason, due_seen.c.n).where(due_seen.c.callback_id == callback))
        ).first()
    return (row.reason, row.n) if row else None


async def letters(env: Setup) -> list[dict[str, object]]:
    async with env.sessions() as session:
        return [dict(r) for r in (await session.execute(select(dead_letter).order_by(dead_letter.c.id))).mappings()]


async def test_a_fixed_handler_replays_the_event_once_and_the_row_goes(env: Setup) -> None:
    projection = LastDue()
    projection.broken = {"bug"}
    await env.store.publish(due("cb-1", "bug"))
    await env.store.publish(due("cb-2"))
    await run_once(env, projection)
    [row] = await letters(env)
    assert row["event_type"] == "CallbackDue" and "cannot handle bug yet" in str(row["reason"])
    assert await seen(env, "cb-1") is None and await seen(env, "cb-2") == ("due", 1)

    projection.broken = set()  # the fix is deployed
    result = await replayer(env, projection).replay(int(str(row["id"])))
    assert result.outcome == "applied", result
    assert await seen(env, "cb-1") == ("bug", 1)
    assert await letters(env) == []
    # Exactly once: the row went in the same transaction as the apply.
    again = await replayer(env, projection).replay(int(str(row["id"])))
    assert again.outcome == "not_found"
    assert await seen(env, "cb-1") == ("bug", 1)


async def test_a_replay_that_fails_again_keeps_the_row_with_the_new_reason(env: Setup) -> None:
    projection = LastDue()
    projection.broken = {"bug"}
    await env.store.publish(due("cb-1", "bug"))
    await run_once(env, projection)
    [before] = await letters(env)
    assert before["replays"] == 0 and before["replayed_at"] is None

    results = await replayer(env, projection).replay_all()
    assert [r.outcome for r in results] == ["failed"]
    assert results[0].reason is not None and "handler failed on replay" in results[0].reason
    [after] = await letters(env)
    assert after["id"] == before["id"] and after["replays"] == 1 and after["replayed_at"] is not None
    assert "handler failed on replay: RuntimeError: cannot handle bug yet" == after["reason"]
    assert await seen(env, "cb-1") is None


async def test_an_event_that_is_not_valid_stays_dead_with_its_reason(env: Setup) -> None:
    projection = LastDue()
    subject = env.names.subject("scheduling", "cb-x", "CallbackDue")
    await env.js.publish(subject, b"\xff not json")  # not a CloudEvent
    bad = Envelope(type="CallbackDue", source="/test", data={"callback_id": "cb-y"})  # fields missing
    await env.js.publish(env.names.subject("scheduling", "cb-y", "CallbackDue"), bad.body(), headers=bad.headers())
    newer = Envelope(type="CallbackDue", source="/test", data=due("cb-z").to_data(), schema_version=2)
    await env.js.publish(env.names.subject("scheduling", "cb-z", "CallbackDue"), newer.body(), headers=newer.headers())
    await run_once(env, projection)
    assert len(await letters(env)) == 3

    results = await replayer(env, projection).replay_all()
    assert [r.outcome for r in results] == ["failed"] * 3
    reasons = [r.reason or "" for r in results]
    assert "missing CloudEvents header" in reasons[0]
    assert "lead_id: Field required" in reasons[1] and "due_at: Field required" in reasons[1]
    assert "schema version 2 is newer than this reader's 1" in reasons[2]
    assert [row["replays"] for row in await letters(env)] == [1, 1, 1]


async def test_an_event_superseded_by_a_later_one_of_its_aggregate_is_replayed_only_when_forced(env: Setup) -> None:
    projection = LastDue()
    projection.broken = {"bug"}
    await env.store.publish(due("cb-1", "bug"))
    await env.store.publish(due("cb-1", "rescheduled"))  # applied after it: cb-1's latest state
    await env.store.publish(due("cb-2", "bug"))
    await env.store.publish(due("cb-2", "bug-too"))  # later, but dead-lettered too: not applied
    await env.store.publish(due("cb-3", "bug"))
    await env.store.publish(due("cb-33"))
    projection.broken = {"bug", "bug-too"}
    await run_once(env, projection)
    assert await seen(env, "cb-1") == ("rescheduled", 1)
    rows = await letters(env)
    assert [(r["subject"], r["stream_seq"]) for r in rows] == [
        (env.names.subject("scheduling", "cb-1", "CallbackDue"), 1),
        (env.names.subject("scheduling", "cb-2", "CallbackDue"), 3),
        (env.names.subject("scheduling", "cb-2", "CallbackDue"), 4),
        (env.names.subject("scheduling", "cb-3", "CallbackDue"), 5),
    ]

    projection.broken = set()
    results = await replayer(env, projection).replay_all()
    assert [r.outcome for r in results] == ["superseded", "applied", "applied", "applied"], results
    assert results[0].reason is not None and "sequence 2" in results[0].reason
    assert await seen(env, "cb-1") == ("rescheduled", 1)  # not put back to the older state
    assert await seen(env, "cb-2") == ("bug-too", 2)  # its two events, in stream order
    assert await seen(env, "cb-3") == ("bug", 1)  # cb-33 is another aggregate
    [kept] = await letters(env)
    assert kept["stream_seq"] == 1 and kept["replays"] == 0 and "cannot handle bug yet" in str(kept["reason"])

    forced = await replayer(env, projection).replay(int(str(kept["id"])), force=True)
    assert forced.outcome == "applied"
    assert await seen(env, "cb-1") == ("bug", 2)
    assert await letters(env) == []


async def test_one_projection_fed_by_two_streams_dead_letters_the_same_sequence_of_each(env: Setup) -> None:
    """common_0004: the unique key is (projection, stream, stream_seq), not (projection, seq)."""
    projection = LastDue(owners=("scheduling", "qa"))
    projection.broken = {"bug"}
    await env.store.publish(due("cb-1", "bug"))
    bad = Envelope(type="CallbackDue", source="/test", data=due("cb-2", "bug").to_data())
    await env.js.publish(env.names.subject("qa", "cb-2", "CallbackDue"), bad.body(), headers=bad.headers())
    await run_once(env, projection, "scheduling")
    await run_once(env, projection, "qa")
    rows = await letters(env)
    assert [(r["stream"], r["stream_seq"]) for r in rows] == [
        (env.names.stream("scheduling"), 1),
        (env.names.stream("qa"), 1),
    ]
    projection.broken = set()
    results = await replayer(env, projection).replay_all()
    assert [r.outcome for r in results] == ["applied", "applied"]
    assert await seen(env, "cb-1") == ("bug", 1) and await seen(env, "cb-2") == ("bug", 1)


async def test_replay_beside_the_running_runner_counts_every_event_once(env: Setup) -> None:
    """The runner keeps applying while dead letters are replayed; two replays of one row race."""
    projection = LastDue()
    projection.broken = {"bug"}
    for i in range(20):
        await env.store.publish(due(f"bug-{i}", "bug"))
    runner = ProjectionRunner(env.js, env.names, env.sessions, projection, "scheduling", max_deliver=1)
    task = asyncio.create_task(runner.run())
    try:
        await eventually(lambda: _ready(runner.stats.dead_lettered == 20), timeout=20)
        projection.broken = set()
        ids = [int(str(r["id"])) for r in await letters(env)]

        async def publish_more() -> None:
            for i in range(100):
                await env.store.publish(due(f"ok-{i}"))

        outcomes = await asyncio.gather(
            publish_more(),
            *(replayer(env, projection).replay(i) for i in ids),
            *(replayer(env, projection).replay(i) for i in ids),  # each row twice, concurrently
        )
        results = [r for r in outcomes if r is not None]
        assert sorted(r.outcome for r in results) == ["applied"] * 20 + ["not_found"] * 20
        await eventually(lambda: _ready(runner.stats.applied == 100), timeout=20)
    finally:
        runner.stop()
        await task
    async with env.sessions() as session:
        total = (await session.execute(select(func.count(), func.sum(due_seen.c.n)))).one()
        checkpoint = await read_checkpoint(session, checkpoint_key("last-due", env.names.stream("scheduling")))
    assert tuple(total) == (120, 120)  # every event once: none lost, none twice
    assert checkpoint == 120 and await letters(env) == []


async def _ready(value: bool) -> bool:
    return value


def _spec(projection: LastDue) -> ServiceSpec[ServiceSettings, None]:
    return ServiceSpec(
        name="dl-test", build_context=no_context, owns_streams=["scheduling"], projections=lambda _rt: [projection]
    )


async def test_the_admin_routes_list_page_show_and_replay(env: Setup) -> None:
    projection = LastDue()
    projection.broken = {"bug"}
    for i in range(5):
        await env.store.publish(due(f"cb-{i}", "bug"))
    await run_once(env, projection)
    settings = ServiceSettings(
        nats_url=env.nats_url, event_namespace=env.names.namespace, database_url=env.database_url
    )
    runtime = await started_runtime(_spec(projection), settings, run_projections=False)
    app = FastAPI()
    app.state.runtime = runtime
    app.include_router(router)
    install_problem_handlers(app)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", auth=AsGateway()
        ) as client:
            first = (await client.get("/v1/admin/dead-letters", params={"limit": 2})).json()
            assert first["service"] == "dl-test" and len(first["items"]) == 2 and first["next_cursor"]
            assert "body" not in first["items"][0] and first["items"][0]["service"] == "dl-test"
            pages = [first]
            while pages[-1]["next_cursor"]:
                resp = await client.get(
                    "/v1/admin/dead-letters", params={"limit": 2, "cursor": pages[-1]["next_cursor"]}
                )
                pages.append(resp.json())
            ids = [item["id"] for page in pages for item in page["items"]]
            assert len(ids) == 5 and ids == sorted(ids) and len(pages) == 3
            assert (await client.get("/v1/admin/dead-letters", params={"projection": "other"})).json()["items"] == []
            bad = await client.get("/v1/admin/dead-letters", params={"cursor": "x"})
            assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["query", "cursor"]

            detail = (await client.get(f"/v1/admin/dead-letters/{ids[0]}")).json()
            assert detail["headers"]["ce-type"] == "com.telemarketing.scheduling.CallbackDue.v1"
            assert detail["event_type"] == "CallbackDue" and '"callback_id":"cb-0"' in detail["body"]
            assert (await client.get("/v1/admin/dead-letters/999999")).status_code == 404

            failed = (await client.post(f"/v1/admin/dead-letters/{ids[0]}/replay")).json()
            assert failed["outcome"] == "failed" and "cannot handle bug yet" in failed["reason"]
            projection.broken = set()
            one = (await client.post(f"/v1/admin/dead-letters/{ids[0]}/replay")).json()
            assert one["outcome"] == "applied"
            assert (await client.post(f"/v1/admin/dead-letters/{ids[0]}/replay")).status_code == 404
            rest = (await client.post("/v1/admin/dead-letters/replay", params={"projection": "last-due"})).json()
            assert (rest["applied"], rest["not_applied"]) == (4, 0)
            assert (await client.get("/v1/admin/dead-letters")).json()["items"] == []
    finally:
        await runtime.stop()
    assert [await seen(env, f"cb-{i}") for i in range(5)] == [("bug", 1)] * 5


def test_the_command_replays_with_its_exit_status(
    nats_url: str, event_namespace: str, test_database: ProvisionedDatabase, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m <service> replay-dead-letters``: run as the command runs (its own event loop)."""
    projection = LastDue()

    async def prepare() -> list[int]:
        env = await _setup(nats_url, event_namespace, test_database.url)
        projection.broken = {"bug"}
        await env.store.publish(due("cb-1", "bug"))
        await env.store.publish(due("cb-2", "still-bug"))
        projection.broken = {"bug", "still-bug"}
        await run_once(env, projection)
        ids = [int(str(r["id"])) for r in await letters(env)]
        await env.nc.close()
        await env.engine.dispose()
        return ids

    ids = asyncio.run(prepare())
    assert len(ids) == 2
    projection.broken = {"still-bug"}  # one fixed, one not
    settings = ServiceSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=test_database.url)
    spec = _spec(projection)
    assert replay_dead_letters_main(spec, settings, ["--id", str(ids[0])]) == 0
    out = capsys.readouterr().out
    assert f"{ids[0]}\tlast-due\tCallbackDue\tapplied" in out and "1 replayed, 0 not replayed" in out
    assert replay_dead_letters_main(spec, settings, ["--projection", "last-due"]) == 1
    out = capsys.readouterr().out
    assert f"{ids[1]}\tlast-due\tCallbackDue\tfailed\thandler failed on replay" in out
    assert replay_dead_letters_main(spec, settings, ["--id", str(ids[0])]) == 1  # gone: replayed once
    assert "not_found" in capsys.readouterr().out
    projection.broken = set()
    assert replay_dead_letters_main(spec, settings, []) == 0
