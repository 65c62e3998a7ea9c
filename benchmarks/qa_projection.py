"""QA's projection in this process, no broker: finished calls per second and CPU per call.

``BENCH_QA_CALLS`` (3,000) CallEnded events as the calls service publishes them (20 turns from
the QA service's own test transcripts: a bare name, an ambiguous sale, a clean call; 50 agents,
so sampling draws and the review queue fills) are handed to ``QaChecks.apply_batch`` in runs of
``BENCH_QA_BATCH`` (500, the runner's batch size), each run in one transaction as the runner
applies it, on a fresh migrated SQLite database and, with TEST_DATABASE_URL, on PostgreSQL. What
is measured is the projection alone: the runner's fetch, decoding and checkpoint are left out, so
the figure is what QA's own code costs per call (rules, rows, outbox). The rule engine alone is
``make bench ONLY=qa_rules``.

``BENCH_QA_PROFILE=1`` also prints the top frames of a cProfile of the SQLite run (by cumulative and by own time).
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common.db import create_engine, migrate, sessionmaker
from common.envelope import Envelope
from common.events.base import DomainEvent
from common.outbox import outbox_message
from common.projection import EventContext
from sqlalchemy import func, select

from benchmarks._support import databases, profiled

CALLS = int(os.environ.get("BENCH_QA_CALLS", "3000"))
BATCH = int(os.environ.get("BENCH_QA_BATCH", "500"))
PROFILE = os.environ.get("BENCH_QA_PROFILE", "0") == "1"
TURNS = 20
FILLER = [
    ("agent", "我这边再跟您核对一下登记的地址信息。"),
    ("customer", "嗯,地址没有变。"),
]


def calls(n: int, prefix: str = "c") -> list[tuple[DomainEvent, EventContext]]:
    """n finished calls with their contexts, as the runner hands them to the projection."""
    from qa.testing import AMBIGUOUS_SALE, BARE_NAME, CLEAN, call_ended

    shapes = [(BARE_NAME, "appointment", None), (AMBIGUOUS_SALE, "success", ["sale"]), (CLEAN, "no_interest", None)]
    start = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    out: list[tuple[DomainEvent, EventContext]] = []
    for i in range(n):
        spec, disposition, flags = shapes[i % len(shapes)]
        # Neutral exchanges before the closing pair, up to 20 turns (the partner's shape).
        padded = spec[:-2] + FILLER * ((TURNS - len(spec)) // 2) + spec[-2:]
        event = call_ended(
            f"{prefix}-{i}",
            padded,
            disposition=disposition,
            flags=flags,
            placed_at=start + timedelta(hours=(i // 50) % 12, minutes=i % 50),
            agent=f"a-{i % 50}",
            answered=i % 10 != 9,
        )
        envelope = Envelope(
            type="CallEnded",
            source="/calls",
            data={},
            subject=f"bench.calls.{prefix}-{i}.CallEnded",
            correlation_id=uuid.uuid4().hex,
            extra_headers={"traceparent": f"00-{uuid.uuid4().hex}{uuid.uuid4().hex[:16]}-{uuid.uuid4().hex[:16]}-01"},
        )
        out.append((event, EventContext(envelope, "BENCH_CALLS", i + 1, envelope.subject or "")))
    return out


async def run_on(database_url: str, items: list[tuple[DomainEvent, EventContext]]) -> dict[str, Any]:
    import qa.projection
    from qa.projection import QaChecks
    from qa.rules.policy import load_policy
    from qa.tables import review_item, violation
    from qa.testing import PII_KEY

    engine = create_engine(database_url)
    await migrate(engine, [Path(qa.projection.__file__).parent / "migrations" / "versions"])
    sessions = sessionmaker(engine)
    projection = QaChecks(load_policy(), PII_KEY)
    # Warm the compiled policy and regexes on calls outside the measured ones.
    async with sessions() as session, session.begin():
        await projection.apply_batch(session, calls(3, "warm"))
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(items), BATCH):
        async with sessions() as session, session.begin():
            await projection.apply_batch(session, items[i : i + BATCH])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    async with sessions() as session:
        counts = {
            name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in (("violations", violation), ("review_items", review_item), ("outbox", outbox_message))
        }
    await engine.dispose()
    return {
        "calls_per_s": round(len(items) / wall),
        "cpu_ms_per_call": round(cpu * 1000 / len(items), 3),
        **counts,
    }


def main() -> dict[str, Any]:
    items = calls(CALLS)
    result: dict[str, Any] = {"calls": CALLS, "batch": BATCH, "load_average_at_start": os.getloadavg()[0]}
    with databases("qa-bench") as urls:
        for kind, url in urls.items():
            with profiled(PROFILE and kind == "sqlite"):
                result[kind] = asyncio.run(run_on(url, calls(CALLS) if kind != "sqlite" else items))
    result["load_average_at_end"] = os.getloadavg()[0]
    return result
