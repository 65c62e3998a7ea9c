"""Throughput of the event backbone against bare nats-py JetStream, in the same process.

The platform's goal is 1,000 finished calls per second through every service on a 2-core
machine; bare nats-py JetStream reaches about 10,000 messages per second there. Both are
measured here on the same nats-server and reported as a ratio, because this machine is shared
and absolute figures move with the neighbours' load.

- baseline publish: bare ``js.publish`` of N messages, 256 in flight.
- baseline consume: bare pull ``fetch(500)`` + ack of the same N messages.
- platform append: the calls service's ``record_finished_call`` (CallPlaced + CallEnded with
  optimistic concurrency), 256 calls in flight.
- platform projection: the reporting projection applying those events (batched transactions,
  checkpoint in the same transaction) on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

import nats
from common.db import create_engine, migrate, sessionmaker
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import ProjectionRunner
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from benchmarks._support import nats_and_databases

N_BASELINE = int(os.environ.get("BENCH_MESSAGES", "20000"))
N_CALLS = int(os.environ.get("BENCH_CALLS", "5000"))
IN_FLIGHT = 256


def _record(i: int) -> Any:
    from calls.domain.records import FinishedCallRecord

    return FinishedCallRecord.model_validate(
        {
            "call_id": f"c-{i}",
            "campaign": {"id": "cm-1"},
            "agent": {"id": f"a-{i % 50}", "team": f"t-{i % 5}"},
            "lead": {"id": f"l-{i}", "name": "张伟", "phone": "+8613800138000"},
            "placed_at": "2026-11-20T10:00:00+08:00",
            "answered_at": "2026-11-20T10:00:10+08:00",
            "ended_at": "2026-11-20T10:03:10+08:00",
            "hangup_by": "customer",
            "disposition": "interested",
        }
    )


async def _bounded(coros: list[Any]) -> None:
    for i in range(0, len(coros), IN_FLIGHT):
        await asyncio.gather(*coros[i : i + IN_FLIGHT])


async def baseline(url: str) -> dict[str, float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="BASELINE", subjects=["baseline.>"]))
    body = b'{"call_id":"c-1","agent":"a-1","talk_seconds":180}' * 4
    start = time.perf_counter()
    await _bounded([js.publish(f"baseline.{i % 100}", body) for i in range(N_BASELINE)])
    publish_rate = N_BASELINE / (time.perf_counter() - start)
    await js.add_consumer("BASELINE", ConsumerConfig(durable_name="b", ack_policy=AckPolicy.EXPLICIT))
    psub = await js.pull_subscribe_bind("b", stream="BASELINE")
    start = time.perf_counter()
    got = 0
    while got < N_BASELINE:
        msgs = await psub.fetch(500, timeout=5)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    consume_rate = N_BASELINE / (time.perf_counter() - start)
    await nc.close()
    return {"publish_msgs_per_s": round(publish_rate), "consume_msgs_per_s": round(consume_rate)}


async def platform(url: str, database_urls: dict[str, str]) -> dict[str, Any]:
    from calls.handlers import record_finished_call
    from reporting.projection import DailyFigures, metadata

    nc = await nats.connect(url)
    js = nc.jetstream()
    names = EventNames("bench" + uuid.uuid4().hex[:6])
    await ensure_stream(js, names, "calls")
    store = EventStore(js, names, "/bench")
    records = [_record(i) for i in range(N_CALLS)]
    start = time.perf_counter()
    await _bounded([record_finished_call(store, r, pii_key="k") for r in records])
    append_rate = N_CALLS / (time.perf_counter() - start)
    result: dict[str, Any] = {"append_calls_per_s": round(append_rate), "append_events_per_s": round(2 * append_rate)}
    for kind, db_url in database_urls.items():
        engine = create_engine(db_url)
        from pathlib import Path

        import reporting

        await migrate(engine, [Path(reporting.__file__).parent / "migrations" / "versions"])
        _ = metadata
        runner = ProjectionRunner(js, names, sessionmaker(engine), DailyFigures(), "calls", batch_size=500)
        task = asyncio.create_task(runner.run())
        start = time.perf_counter()
        while runner.stats.applied + runner.stats.skipped < 2 * N_CALLS:  # noqa: ASYNC110 - polling a counter
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        runner.stop()
        await task
        await engine.dispose()
        # The next database starts from the stream's first event again.
        await js.delete_consumer(names.stream("calls"), runner.durable)
        result[f"projection_{kind}_events_per_s"] = round(2 * N_CALLS / elapsed)
        result[f"projection_{kind}_calls_per_s"] = round(N_CALLS / elapsed)
    await nc.close()
    return result


def main() -> dict[str, Any]:
    with nats_and_databases() as (url, databases):
        base = asyncio.run(baseline(url))
        plat = asyncio.run(platform(url, databases))
    figures: dict[str, Any] = {"benchmark": "backbone_throughput", "calls": N_CALLS, **base, **plat}
    figures["ratio_append_events_vs_bare_publish"] = round(plat["append_events_per_s"] / base["publish_msgs_per_s"], 3)
    for kind in databases:
        figures[f"ratio_projection_{kind}_vs_bare_consume"] = round(
            plat[f"projection_{kind}_events_per_s"] / base["consume_msgs_per_s"], 3
        )
    figures["goal_calls_per_s"] = 1000
    return figures
