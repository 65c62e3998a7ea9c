"""The leads service's consumption of finished calls in this process, no broker: calls per second
and CPU per call.

``BENCH_LEADS_CALLS`` (3,000) CallEnded events to ``BENCH_LEADS_LEADS`` (600) leads known to the
read model (two numbers each; every 20th lead merged into the next, so its calls count for the
survivor) are handed to ``CallOutcomes.apply_batch`` (the call-attempt read model and the
reactor that queues each call's command for its lead in the outbox) in runs of
``BENCH_LEADS_BATCH`` (500, the runner's batch size), each run in one transaction as the runner
applies it, on a fresh migrated SQLite database and, with TEST_DATABASE_URL, on PostgreSQL. The
calls name their number three ways (its id, its digest, only the masked number), end with a
working day's dispositions (no answer, refused, do-not-call, sale, callback; some customers
refuse three times), every 50th is delivered twice, and QA's refusal finding (QA-04) came first
for every 40th. What is measured is the projection alone: the runner's fetch, decoding and
checkpoint, and the drainer running the queued commands after the commit, are left out.

``BENCH_LEADS_PROFILE=1`` also prints the top frames of a cProfile of the SQLite run's measured
part (the calls applied; not the imports and the leads set up before).
``BENCH_LEADS_DUMP=<file>`` writes every row the projection wrote (SQLite run; time of writing
left out) as JSON, so two versions of the code can be compared on the same events.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from common.db import create_engine, migrate, sessionmaker
from common.envelope import Envelope, deterministic_event_id
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, SpeechTurn
from common.events.leads import LeadCreated, LeadMergedInto, LeadNumber, LeadProfile
from common.events.qa import ViolationFound
from common.eventstore import EventStore
from common.outbox import outbox_message
from common.projection import EventContext
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks._support import databases, profiled

CALLS = int(os.environ.get("BENCH_LEADS_CALLS", "3000"))
LEADS = int(os.environ.get("BENCH_LEADS_LEADS", "600"))
BATCH = int(os.environ.get("BENCH_LEADS_BATCH", "500"))
PROFILE = os.environ.get("BENCH_LEADS_PROFILE", "0") == "1"
DUMP = os.environ.get("BENCH_LEADS_DUMP", "")
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
REFUSALS = ["不需要,谢谢", "我说了不需要", "真的不需要,别再打了"]
# (disposition, connected, what the customer says): a working day's mix.
OUTCOMES: list[tuple[str, bool, list[str]]] = [
    ("no_answer", False, []),
    ("no_answer", False, []),
    ("callback", True, ["下午再打吧"]),
    ("refused", True, ["不需要"]),
    ("success", True, ["好的,可以"]),
    ("no_interest", True, REFUSALS),
    ("do_not_call", True, ["以后别打了"]),
    ("busy", False, []),
]
Items = list[tuple[DomainEvent, EventContext]]


def _ctx(event: DomainEvent, stream: str, seq: int) -> EventContext:
    envelope = Envelope(
        type=event.event_type,
        source="/bench",
        data={},
        subject=f"bench.x.{event.aggregate_id()}.{event.event_type}",
        id=deterministic_event_id("leads-bench", stream, str(seq)),
        correlation_id=f"corr-{stream}-{seq}",
        extra_headers={"traceparent": f"00-{seq:032x}-{seq:016x}-01"},
    )
    return EventContext(envelope, stream, seq, envelope.subject or "")


def _number(lead: int, n: int) -> LeadNumber:
    return LeadNumber(
        number_id=f"n-{lead}-{n}",
        masked=f"138****{lead % 10000:04d}" if n == 0 else f"139****{lead % 10000:04d}",
        number_digest=f"digest-{lead}-{n}",
        carrier="China Mobile",
        region="CN",
        timezone="Asia/Shanghai",
    )


def leads_events() -> Items:
    """The leads the calls are made to, and the merges (every 20th lead into the next)."""
    events: list[DomainEvent] = [
        LeadCreated(
            lead_id=f"l-{i}",
            numbers=[_number(i, 0), _number(i, 1)],
            profile=LeadProfile(industry="retail", region="北京"),
            owner_agent_id=f"a-{i % 50}",
            tier="intent",
            created_at=START - timedelta(days=1),
        )
        for i in range(LEADS)
    ]
    events += [
        LeadMergedInto(lead_id=f"l-{i}", into_lead_id=f"l-{i + 1}", merged_at=START - timedelta(hours=1))
        for i in range(0, LEADS - 1, 20)
    ]
    return [(e, _ctx(e, "BENCH_LEADS", seq)) for seq, e in enumerate(events, 1)]


def _call(i: int) -> CallEnded:
    lead = (i * 7) % LEADS
    disposition, connected, says = OUTCOMES[i % len(OUTCOMES)]
    number = _number(lead, i % 2)
    way = i % 3  # how the call names the number dialled: its id, its digest, the masked number
    customer: dict[str, Any] = {"lead_id": f"l-{lead}", "phone_masked": number.masked}
    if way == 0:
        customer["number_id"] = number.number_id
    elif way == 1:
        customer["number_digest"] = number.number_digest
    ended = START + timedelta(seconds=30 * i)
    placed = ended - timedelta(minutes=3)
    return CallEnded(
        call_id=f"c-{i}",
        campaign=CampaignRef(id="k-1"),
        agent=AgentRef(id=f"a-{i % 50}", team="t-1"),
        customer=CustomerRef(**customer),
        placed_at=placed,
        answered_at=placed + timedelta(seconds=10) if connected else None,
        ended_at=ended,
        hangup_by="customer",
        disposition=disposition,
        turns=[
            SpeechTurn(speaker="customer", start_s=float(t), end_s=float(t) + 1, text=text)
            for t, text in enumerate(says)
        ],
    )


def qa_findings() -> Items:
    """QA's refusal finding for every 40th call, arriving before its CallEnded."""
    events = [
        ViolationFound(violation_id=f"v-{i}", call_id=f"c-{i}", rule="QA-04", severity="major", agent_id=f"a-{i % 50}")
        for i in range(0, CALLS, 40)
    ]
    return [(e, _ctx(e, "BENCH_QA", seq)) for seq, e in enumerate(events, 1)]


def calls() -> Items:
    """The finished calls in stream order; every 50th is delivered again right after."""
    events: list[DomainEvent] = []
    for i in range(CALLS):
        event = _call(i)
        events.append(event)
        if i % 50 == 49:
            events.append(event)
    return [(e, _ctx(e, "BENCH_CALLS", seq)) for seq, e in enumerate(events, 1)]


async def _dump(sessions: async_sessionmaker[AsyncSession], path: str) -> None:
    from leads.tables import call_attempt, call_reaction, lead_contact, qa_refusal

    async with sessions() as session:
        out: dict[str, Any] = {}
        for table, key, leave_out in (
            (call_attempt, call_attempt.c.call_id, ()),
            (lead_contact, lead_contact.c.lead_id, ()),
            (call_reaction, call_reaction.c.call_id, ("reacted_at",)),
            (qa_refusal, qa_refusal.c.call_id, ("found_at",)),
            (outbox_message, outbox_message.c.id, ("id", "created_at")),
        ):
            rows = (await session.execute(select(table).order_by(key))).mappings()
            out[table.name] = [{k: v for k, v in row.items() if k not in leave_out} for row in rows]
    await asyncio.to_thread(Path(path).write_text, json.dumps(out, ensure_ascii=False, default=str, indent=1))


async def run_on(database_url: str, dump: str = "") -> dict[str, Any]:
    import leads.projection
    from leads.handlers import LeadsContext
    from leads.projection import CallOutcomes, LeadsView
    from leads.settings import LeadsSettings
    from leads.tables import call_attempt, call_reaction, lead_contact

    engine = create_engine(database_url)
    await migrate(engine, [Path(leads.projection.__file__).parent / "migrations" / "versions"])
    sessions = sessionmaker(engine)
    settings = LeadsSettings(database_url=database_url)
    # The projection never uses the event store (the drainer does, after the commit).
    outcomes = CallOutcomes(LeadsContext(cast(EventStore, None), sessions, settings))
    async with sessions() as session, session.begin():
        await LeadsView().apply_batch(session, leads_events())
    async with sessions() as session, session.begin():
        await outcomes.apply_batch(session, qa_findings())
    items = calls()
    with profiled(PROFILE and database_url.startswith("sqlite")):
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(items), BATCH):
            async with sessions() as session, session.begin():
                await outcomes.apply_batch(session, items[i : i + BATCH])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    async with sessions() as session:
        counts = {
            name: (await session.execute(select(func.count()).select_from(table))).scalar_one()
            for name, table in (
                ("call_attempts", call_attempt),
                ("lead_contacts", lead_contact),
                ("reactions", call_reaction),
                ("outbox", outbox_message),
            )
        }
    if dump:
        await _dump(sessions, dump)
    await engine.dispose()
    return {
        "calls_per_s": round(CALLS / wall),
        "cpu_ms_per_call": round(cpu * 1000 / CALLS, 3),
        **counts,
    }


def main() -> dict[str, Any]:
    result: dict[str, Any] = {
        "calls": CALLS,
        "leads": LEADS,
        "batch": BATCH,
        "load_average_at_start": os.getloadavg()[0],
    }
    with databases("leads-bench") as urls:
        for kind, url in urls.items():
            result[kind] = asyncio.run(run_on(url, DUMP if kind == "sqlite" else ""))
    result["load_average_at_end"] = os.getloadavg()[0]
    return result
