"""Scheduling's projection in this process, no broker: finished calls per second and CPU per call.

``BENCH_SCHED_CALLS`` (3,000) finished calls, each a ``CallPlaced`` and its ``CallEnded`` as the
calls service publishes them, to ``BENCH_SCHED_LEADS`` (600) leads known beforehand (each lead
called about five times, so a batch holds several calls of one lead and a call often finds the
callback the lead's previous call booked), with the dispositions of a working day (no answer,
busy, callback with an agreed time, refused, interested, appointment, success, nothing to book),
are handed to ``SchedulingProjection.apply_batch`` in runs of ``BENCH_SCHED_BATCH`` (500 events,
the runner's batch size), each run in one transaction as the runner applies it, on a fresh
migrated SQLite database and, with TEST_DATABASE_URL, on PostgreSQL. What is measured is the
projection alone: the runner's fetch, decoding and checkpoint are left out, so the figure is
what scheduling's own code costs per finished call (decisions, rows, outbox).

``BENCH_SCHED_PROFILE=1`` also prints the top frames of a cProfile of the SQLite run.
``BENCH_SCHED_DUMP=<file>`` writes the SQLite run's leads, callbacks and outbox rows (in outbox
order, without the rows' own ids and insertion times) as JSON, to compare two versions' results.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import json
import os
import pstats
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common.db import create_engine, migrate, sessionmaker
from common.envelope import Envelope
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.leads import LeadCreated, LeadNumber, LeadProfile
from common.outbox import outbox_message
from common.projection import EventContext
from sqlalchemy import func, select

from benchmarks._support import databases

CALLS = int(os.environ.get("BENCH_SCHED_CALLS", "3000"))
LEADS = int(os.environ.get("BENCH_SCHED_LEADS", "600"))
BATCH = int(os.environ.get("BENCH_SCHED_BATCH", "500"))
PROFILE = os.environ.get("BENCH_SCHED_PROFILE", "0") == "1"
DUMP = os.environ.get("BENCH_SCHED_DUMP", "")
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, a Friday
# (disposition, answered): the mix of a working day's outcomes.
OUTCOMES = [
    ("no_answer", False),
    ("no_answer", False),
    ("busy", False),
    ("callback", True),
    ("refused", True),
    ("interested", True),
    ("appointment", True),
    ("success", True),
    ("no_interest", True),
    ("wrong_person", True),
]


def _context(event: DomainEvent, stream: str, seq: int) -> EventContext:
    """The same ids, correlation ids and trace context on every run, so two versions' tables can
    be compared (``BENCH_SCHED_DUMP``)."""
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{stream}/{seq}").hex
    envelope = Envelope(
        type=event.event_type,
        source="/bench",
        data={},
        subject=f"bench.{event.aggregate_id()}.{event.event_type}",
        id=key,
        correlation_id="corr-" + key,
        extra_headers={"traceparent": f"00-{key}-{key[:16]}-01"},
    )
    return EventContext(envelope, stream, seq, envelope.subject or "")


def leads(n: int) -> list[tuple[DomainEvent, EventContext]]:
    out: list[tuple[DomainEvent, EventContext]] = []
    for i in range(n):
        event = LeadCreated(
            lead_id=f"l-{i}",
            numbers=[
                LeadNumber(
                    number_id=f"n-{i}",
                    masked="138****8000",
                    number_digest=f"d-{i}",
                    region="CN",
                    timezone="Asia/Shanghai",
                )
            ],
            profile=LeadProfile(timezone="Asia/Shanghai"),
            owner_agent_id=f"a-{i % 50}" if i % 3 else None,
            owner_team_id="t-1",
            created_at=START - timedelta(days=1),
        )
        out.append((event, _context(event, "BENCH_LEADS", i + 1)))
    return out


def calls(n: int, n_leads: int, prefix: str = "c") -> list[tuple[DomainEvent, EventContext]]:
    """n finished calls (CallPlaced, CallEnded) with their contexts, in stream order."""
    out: list[tuple[DomainEvent, EventContext]] = []
    for i in range(n):
        disposition, answered = OUTCOMES[(i * 7 + i // n_leads) % len(OUTCOMES)]
        placed_at = START + timedelta(seconds=20 * i)
        ended_at = placed_at + timedelta(minutes=3 if answered else 1)
        refs: dict[str, Any] = {
            "campaign": CampaignRef(id="broadband"),
            "agent": AgentRef(id=f"a-{i % 50}", team="t-1"),
            "customer": CustomerRef(lead_id=f"l-{i % n_leads}", phone_masked="138****8000"),
        }
        placed = CallPlaced(call_id=f"{prefix}-{i}", placed_at=placed_at, **refs)
        ended = CallEnded(
            call_id=f"{prefix}-{i}",
            placed_at=placed_at,
            answered_at=placed_at + timedelta(seconds=10) if answered else None,
            ended_at=ended_at,
            hangup_by="customer",
            disposition=disposition,
            callback_at=ended_at + timedelta(hours=2 + i % 30) if disposition in ("callback", "appointment") else None,
            talk_seconds=170.0 if answered else 0.0,
            dropped=False,
            **refs,
        )
        out.append((placed, _context(placed, "BENCH_CALLS", 2 * i + 1)))
        out.append((ended, _context(ended, "BENCH_CALLS", 2 * i + 2)))
    return out


async def run_on(database_url: str, items: list[tuple[DomainEvent, EventContext]]) -> dict[str, Any]:
    import scheduling.projection
    from scheduling.policies import PolicyStore
    from scheduling.projection import SchedulingProjection
    from scheduling.tables import callback, lead_state

    engine = create_engine(database_url)
    await migrate(engine, [Path(scheduling.projection.__file__).parent / "migrations" / "versions"])
    sessions = sessionmaker(engine)
    projection = SchedulingProjection(PolicyStore())
    # The leads first (not measured): the calls find them known, as in a running centre.
    known = leads(LEADS)
    for i in range(0, len(known), BATCH):
        async with sessions() as session, session.begin():
            await projection.apply_batch(session, known[i : i + BATCH])
    profiler = cProfile.Profile() if PROFILE and database_url.startswith("sqlite") else None
    if profiler:
        profiler.enable()
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(items), BATCH):
        async with sessions() as session, session.begin():
            await projection.apply_batch(session, items[i : i + BATCH])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if profiler:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        print(out.getvalue(), flush=True)
    finished = len(items) // 2
    async with sessions() as session:
        counts = {
            name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in (("callbacks", callback), ("leads", lead_state), ("outbox", outbox_message))
        }
        counts["open_callbacks"] = (
            await session.execute(
                select(func.count()).select_from(callback).where(callback.c.status.in_(("scheduled", "due")))
            )
        ).scalar_one()
        if DUMP and database_url.startswith("sqlite"):
            tables = {
                "leads": select(lead_state).order_by(lead_state.c.lead_id),
                "callbacks": select(callback).order_by(callback.c.callback_id),
                "outbox": select(outbox_message).order_by(outbox_message.c.id),
            }
            counts["rows"] = {
                name: [
                    {k: v for k, v in row.items() if (name, k) not in {("outbox", "id"), ("outbox", "created_at")}}
                    for row in (await session.execute(query)).mappings()
                ]
                for name, query in tables.items()
            }
    await engine.dispose()
    return {
        "calls_per_s": round(finished / wall),
        "events_per_s": round(len(items) / wall),
        "cpu_ms_per_call": round(cpu * 1000 / finished, 3),
        **counts,
    }


def main() -> dict[str, Any]:
    items = calls(CALLS, LEADS)
    result: dict[str, Any] = {
        "calls": CALLS,
        "leads": LEADS,
        "batch": BATCH,
        "load_average_at_start": os.getloadavg()[0],
    }
    with databases("scheduling-bench") as urls:
        for kind, url in urls.items():
            result[kind] = asyncio.run(run_on(url, items))
            if "rows" in result[kind]:
                Path(DUMP).write_text(json.dumps(result[kind].pop("rows"), default=str, sort_keys=True, indent=0))
    result["load_average_at_end"] = os.getloadavg()[0]
    return result
