"""Throughput of the reporting projections against bare nats-py consumption, in the same process.

20,000 finished calls (BENCH_CALLS) as the calls service publishes them (CallPlaced + CallEnded
with disposition flags), plus the scheduling and QA events a day brings with them (a callback
scheduled, due and done for one call in ten, a finding confirmed and fined for one call in
twenty, a few voided sales and complaints), are published first; then the reporting service's
projection runners (one per stream, as the service runs them) apply everything, on SQLite and,
when TEST_DATABASE_URL is set, on PostgreSQL. The baseline is a bare pull ``fetch(500)`` + ack
of the same number of messages on the same nats-server. The figure that matters is the ratio
(this machine is shared; absolute rates move with the neighbours' load) and calls per second
against the platform's goal of 1,000. The daily and weekly queries' latency over the result is
reported too.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from common.db import create_engine, migrate, sessionmaker
from common.events.base import DomainEvent, event_class, registered_types
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.scheduling import CallbackDone, CallbackDue, CallbackScheduled
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import ProjectionRunner
from nats.js.api import AckPolicy, ConsumerConfig

from benchmarks._support import nats_and_databases

N_CALLS = int(os.environ.get("BENCH_CALLS", "20000"))
IN_FLIGHT = 256
DISPOSITIONS = [  # (name, flags, talk seconds)
    ("no_answer", [], 0.0),
    ("busy", [], 0.0),
    ("no_interest", ["human_answered", "customer_contact"], 45.0),
    ("interested", ["human_answered", "customer_contact", "interested"], 150.0),
    ("success", ["human_answered", "customer_contact", "interested", "sale", "final"], 240.0),
    ("wrong_person", ["human_answered", "unworkable"], 15.0),
]


def _qa(event_type: str, **fields: Any) -> DomainEvent | None:
    if event_type not in registered_types():
        return None
    return event_class(event_type).model_validate(fields)


def day_of_events(n: int) -> list[DomainEvent]:
    """What n finished calls of one day bring on the three streams."""
    events: list[DomainEvent | None] = []
    start = datetime.fromisoformat("2026-11-20T09:00:00+08:00")
    for i in range(n):
        agent, team, campaign = f"a-{i % 200}", f"t-{i % 20}", f"cm-{i % 5}"
        name, flags, talk = DISPOSITIONS[i % len(DISPOSITIONS)]
        placed = start + timedelta(seconds=i)
        common: dict[str, Any] = {
            "call_id": f"c-{i}",
            "campaign": CampaignRef(id=campaign),
            "agent": AgentRef(id=agent, team=team),
            "customer": CustomerRef(lead_id=f"l-{i}"),
            "placed_at": placed,
        }
        events.append(CallPlaced(**common))
        events.append(
            CallEnded(
                **common,
                answered_at=placed if flags else None,
                ended_at=placed + timedelta(seconds=talk),
                hangup_by="customer",
                disposition=name,
                disposition_flags=flags,
                talk_seconds=talk,
            )
        )
        if i % 10 == 0:
            due = datetime(2026, 11, 20, 6, tzinfo=UTC) + timedelta(seconds=i)
            ids = {"callback_id": f"cb-{i}", "lead_id": f"l-{i}"}
            events.append(
                CallbackScheduled(
                    **ids,
                    agent_id=agent,
                    team_id=team,
                    campaign_id=campaign,
                    reason="callback",
                    due_at=due,
                    requested_at=due,
                    scheduled_at=placed,
                )
            )
            events.append(
                CallbackDue(**ids, agent_id=agent, team_id=team, campaign_id=campaign, due_at=due, reason="callback")
            )
            events.append(CallbackDone(**ids, call_id=f"c-{i}", agent_id=agent, done_at=due))
        if i % 20 == 0:
            v = {"violation_id": f"v-{i}", "call_id": f"c-{i}", "rule": "QA-01", "agent_id": agent, "team_id": team}
            events.append(
                _qa("ViolationFound", **v, severity="minor", campaign_id=campaign, call_day=date(2026, 11, 20))
            )
            events.append(_qa("ViolationConfirmed", **v, reviewer="qa-1", confirmed_at=placed))
            events.append(
                _qa("FineAssessed", **v, fine_id=f"f-{i}", payee="agent", payee_id=agent, amount=10, assessed_at=placed)
            )
            if name == "success":
                events.append(
                    _qa(
                        "SaleVoided",
                        call_id=f"c-{i}",
                        violation_id=f"v-{i}",
                        rule="QA-11",
                        agent_id=agent,
                        voided_at=placed,
                    )
                )
        if i % 100 == 0:
            events.append(
                _qa(
                    "ComplaintFiled",
                    complaint_id=f"k-{i}",
                    call_id=f"c-{i}",
                    kind="misleading",
                    agent_id=agent,
                    filed_at=placed,
                )
            )
    return [e for e in events if e is not None]


async def _bounded(coros: list[Any]) -> None:
    for i in range(0, len(coros), IN_FLIGHT):
        await asyncio.gather(*coros[i : i + IN_FLIGHT])


async def bare_consume(js: Any, stream: str, count: int) -> float:
    """Messages per second of a bare pull consumer (fetch 500, ack each) over ``count`` messages."""
    durable = "bare-" + uuid.uuid4().hex[:6]
    await js.add_consumer(stream, ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT))
    psub = await js.pull_subscribe_bind(durable, stream=stream)
    start = time.perf_counter()
    got = 0
    while got < count:
        msgs = await psub.fetch(500, timeout=5)
        for msg in msgs:
            await msg.ack()
        got += len(msgs)
    rate = got / (time.perf_counter() - start)
    await psub.unsubscribe()
    await js.delete_consumer(stream, durable)
    return rate


async def run(url: str, database_urls: dict[str, str]) -> dict[str, Any]:
    from reporting.projection import DailyFigures
    from reporting.queries import report_table

    nc = await nats.connect(url)
    js = nc.jetstream(timeout=30)
    names = EventNames("bench" + uuid.uuid4().hex[:6])
    for owner in ("calls", "scheduling", "qa"):
        await ensure_stream(js, names, owner)
    store = EventStore(js, names, "/bench")
    events = day_of_events(N_CALLS)
    await _bounded([store.publish(e) for e in events])
    total = len(events)
    result: dict[str, Any] = {"events": total}
    # The baseline: the calls stream, the bulk of the events, consumed bare.
    calls_stream = names.stream("calls")
    calls_count = (await js.stream_info(calls_stream)).state.messages
    result["bare_consume_msgs_per_s"] = round(await bare_consume(js, calls_stream, calls_count))
    import reporting.projection

    migrations = [Path(reporting.projection.__file__).parent / "migrations" / "versions"]
    for kind, db_url in database_urls.items():
        engine = create_engine(db_url)
        await migrate(engine, migrations)
        projection = DailyFigures()
        runners = [
            ProjectionRunner(js, names, sessionmaker(engine), projection, owner, batch_size=500)
            for owner in projection.subscriptions
        ]
        start = time.perf_counter()
        tasks = [asyncio.create_task(r.run()) for r in runners]
        while sum(r.stats.applied + r.stats.skipped + r.stats.dead_lettered for r in runners) < total:
            await asyncio.sleep(0.02)
            if time.perf_counter() - start > 600:
                raise RuntimeError(f"projection stalled: {[(r.owner, r.stats) for r in runners]}")
        elapsed = time.perf_counter() - start
        for r in runners:
            r.stop()
        await asyncio.gather(*tasks)
        for r in runners:  # the next database starts from the first event again
            await js.delete_consumer(r.stream, r.durable)
        assert sum(r.stats.dead_lettered for r in runners) == 0, "events dead-lettered"
        result[f"projection_{kind}_events_per_s"] = round(total / elapsed)
        result[f"projection_{kind}_calls_per_s"] = round(N_CALLS / elapsed)
        result[f"ratio_projection_{kind}_vs_bare_consume"] = round(
            total / elapsed / result["bare_consume_msgs_per_s"], 3
        )
        async with sessionmaker(engine)() as session:
            for label, first, last in (
                ("daily", date(2026, 11, 20), date(2026, 11, 20)),
                ("weekly", date(2026, 11, 16), date(2026, 11, 22)),
            ):
                start = time.perf_counter()
                _rows, totals = await report_table(session, first, last, "agent")
                result[f"query_{kind}_{label}_by_agent_ms"] = round((time.perf_counter() - start) * 1000, 1)
            assert totals["dials"] == N_CALLS, totals
        await engine.dispose()
    await nc.close()
    return result


def main() -> dict[str, Any]:
    with nats_and_databases() as (url, databases):
        figures = asyncio.run(run(url, databases))
    return {"benchmark": "reporting_throughput", "calls": N_CALLS, **figures, "goal_calls_per_s": 1000}


if __name__ == "__main__":
    import json

    print(json.dumps(main(), ensure_ascii=False))
