"""The reporting tables at volume: latency through the service's HTTP API whatever the day's
calls, and the projection's rebuild rate (issues 13 and 16).

1. Load: BENCH_VOLUME_CALLS finished calls (default 1,000,000) for 500 agents in 20 teams (each
   agent on two of 10 campaigns) over BENCH_VOLUME_DAYS days (60), with what a day brings on the
   scheduling and QA streams (a callback scheduled, due and done for one call in ten; a finding
   confirmed and fined for one in twenty, the sale voided when there was one; a complaint for
   one in a hundred). Batches of 500 events go straight into the projection
   (``DailyFigures.apply_batch``, one transaction each, as the runner applies them), not through
   NATS, so the load is fast; the load rate is reported (the projection's own cost per event).
2. Latency through the HTTP API (the service's ASGI app in process, as the gateway reaches it):
   the daily table by agent, team and campaign, the weekly table, and the 60-day trend by day
   and by week: p50/p99 over BENCH_REQUESTS requests each.
3. A peak day: calls added to one more day step by step (BENCH_PEAK_CALLS, cumulative, default
   10,000, 100,000, 1,000,000 calls that day), the daily table's latency after each step: the
   figure that shows whether a table's cost grows with the day's volume (goal p99 < 50 ms at
   1M calls a day). Every step goes through the projection unless BENCH_PEAK_BULK_ABOVE is set:
   a step that brings the day past that many calls then adds its calls in bulk, exactly as the
   projection would have: ``call_of``'s figures and rollup key repeat every PERIOD (7,000) calls
   (agents and their two campaigns every 1,000, dispositions every 7, callbacks every 10,
   findings every 20, complaints every 100), so any 7,000 consecutive calls add the same rows to
   ``daily_figures``. The step's remainder (calls beyond whole periods) goes through the
   projection onto the peak day, one period through the projection onto a scratch day, and the
   scratch day's rollup rows times the number of whole periods are added to the peak day's rows
   in one ``INSERT … SELECT … ON CONFLICT DO UPDATE`` (then removed from the scratch day). The
   daily table's query path is unchanged: it reads ``daily_figures``, which then holds what the
   projection would have written for that many calls (its ``totals.dials`` checked on every
   request); only ``call_facts`` holds fewer rows for the day than a real day's (the tables do
   not read it). The 1M load through the projection takes long on a busy 2-core machine.
4. Rebuild: BENCH_REBUILD_CALLS calls (default 20,000) published to a nats-server as their
   owners publish them (CallEnded carrying a BENCH_REBUILD_TURNS-turn transcript, default 20, as
   partners post them), then ``ProjectionRunner.rebuild`` of each stream, as ``python -m
   reporting rebuild`` runs it: events/s per stream and overall (goal 20,000). The runner's
   decode of the same messages alone (envelope + pydantic) is measured too: the ceiling the
   projection's writes cannot raise.

On SQLite and, when TEST_DATABASE_URL points at PostgreSQL, on PostgreSQL (BENCH_DATABASES=sqlite or
postgresql for one). BENCH_VOLUME_CALLS=0 BENCH_PEAK_CALLS= measures the rebuild only;
BENCH_REBUILD_CALLS=0 skips it. The code measured is
whatever ``reporting`` imports: with PYTHONPATH at an older checkout's services/reporting/src
the same benchmark measures that version (its load goes through its own projection).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from common.db import create_engine, migrate, sessionmaker
from common.envelope import Envelope
from common.events.base import DomainEvent, decode
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.qa import ComplaintFiled, FineAssessed, SaleVoided, ViolationConfirmed, ViolationFound
from common.events.scheduling import CallbackDone, CallbackDue, CallbackScheduled
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import EventContext, ProjectionRunner
from common.service import create_app
from common.testing import AsGateway, _admin_sql
from sqlalchemy import Date, bindparam, text
from sqlalchemy.engine import make_url

from benchmarks._support import nats_and_databases

VOLUME_CALLS = int(os.environ.get("BENCH_VOLUME_CALLS", "1000000"))
VOLUME_DAYS = int(os.environ.get("BENCH_VOLUME_DAYS", "60"))
PEAK_CALLS = [int(n) for n in os.environ.get("BENCH_PEAK_CALLS", "10000,100000,1000000").split(",") if n]
# Steps that bring the peak day past this many calls are loaded in bulk (0: none; see 3. above).
PEAK_BULK_ABOVE = int(os.environ.get("BENCH_PEAK_BULK_ABOVE", "0"))
REBUILD_CALLS = int(os.environ.get("BENCH_REBUILD_CALLS", "20000"))
REBUILD_TURNS = int(os.environ.get("BENCH_REBUILD_TURNS", "20"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "100"))
ONLY_DATABASES = [d for d in os.environ.get("BENCH_DATABASES", "").split(",") if d]
AGENTS, TEAMS, CAMPAIGNS = 500, 20, 10
BATCH = 500
FIRST_DAY = date(2026, 11, 20) - timedelta(days=VOLUME_DAYS - 1)
PEAK_DAY = date(2026, 11, 21)
SCRATCH_DAY = PEAK_DAY + timedelta(days=30)  # a period's calls for the bulk load, after every measured day
# call_of(n)'s rollup key and figures depend on n only through n % 1000 (agent, campaign), n % 7
# (disposition), n % 10, n % 20 and n % 100 (callback, finding, complaint): lcm 7,000.
PERIOD = 7000
DISPOSITIONS = [  # (name, flags, talk seconds)
    ("no_answer", [], 0.0),
    ("busy", [], 0.0),
    ("no_interest", ["human_answered", "customer_contact"], 45.0),
    ("interested", ["human_answered", "customer_contact", "interested"], 150.0),
    ("success", ["human_answered", "customer_contact", "interested", "sale", "final"], 240.0),
    ("wrong_person", ["human_answered", "unworkable"], 15.0),
    ("no_interest", ["human_answered", "customer_contact"], 20.0),
]
SHANGHAI_OFFSET = "+08:00"
TURN = "您好,我是中国移动的客户经理小李,请问是张先生吗?"


def call_of(n: int, day: date, *, validated: bool = False, turns: int = 0) -> list[DomainEvent]:
    """The events of call number ``n`` (placed on ``day``) on the three streams."""
    agent_no = n % AGENTS
    agent, team = f"a-{agent_no:03d}", f"t-{agent_no % TEAMS:02d}"
    campaign = f"cm-{(agent_no + (n // AGENTS) % 2) % CAMPAIGNS}"
    name, flags, talk = DISPOSITIONS[n % len(DISPOSITIONS)]
    placed = datetime.fromisoformat(f"{day.isoformat()}T09:00:00{SHANGHAI_OFFSET}") + timedelta(seconds=n % 32000)
    ended = placed + timedelta(seconds=talk + 12)
    build: Any = (lambda cls, **kw: cls(**kw)) if validated else (lambda cls, **kw: cls.model_construct(**kw))
    common: dict[str, Any] = {
        "call_id": f"c-{n}",
        "campaign": build(CampaignRef, id=campaign),
        "agent": build(AgentRef, id=agent, team=team),
        "customer": build(CustomerRef, lead_id=f"l-{n}"),
        "placed_at": placed,
    }
    transcript = [
        {"speaker": "agent" if t % 2 == 0 else "customer", "start_s": t * 6.0, "end_s": t * 6.0 + 5, "text": TURN}
        for t in range(turns if flags else 0)
    ]
    events: list[DomainEvent] = [
        build(CallPlaced, **common),
        build(
            CallEnded,
            **common,
            answered_at=placed + timedelta(seconds=12) if flags else None,
            ended_at=ended,
            hangup_by="customer",
            disposition=name,
            disposition_flags=flags,
            talk_seconds=talk,
            **({"turns": transcript} if transcript else {}),
        ),
    ]
    ids = {"agent_id": agent, "team_id": team, "campaign_id": campaign}
    if n % 10 == 0:
        due = datetime(day.year, day.month, day.day, 6, tzinfo=UTC) + timedelta(seconds=n % 20000)
        cb = {"callback_id": f"cb-{n}", "lead_id": f"l-{n}"}
        events += [
            build(CallbackScheduled, **cb, **ids, reason="callback", due_at=due, requested_at=due, scheduled_at=placed),
            build(CallbackDue, **cb, **ids, due_at=due, reason="callback"),
            build(CallbackDone, **cb, call_id=f"c-{n}", agent_id=agent, done_at=due),
        ]
    if n % 20 == 0:
        v = {"violation_id": f"v-{n}", "call_id": f"c-{n}", "rule": "QA-01", "agent_id": agent, "team_id": team}
        events += [
            build(ViolationFound, **v, severity="minor", campaign_id=campaign, call_day=day),
            build(ViolationConfirmed, **v, reviewer="qa-1", confirmed_at=ended),
            build(FineAssessed, **v, fine_id=f"f-{n}", payee="agent", payee_id=agent, amount=10, assessed_at=ended),
        ]
        if name == "success":
            events.append(
                build(SaleVoided, call_id=f"c-{n}", violation_id=f"v-{n}", rule="QA-11", **ids, voided_at=ended)
            )
    if n % 100 == 0:
        events.append(
            build(ComplaintFiled, complaint_id=f"k-{n}", call_id=f"c-{n}", kind="misleading", **ids, filed_at=ended)
        )
    return events


def calls_over(first_call: int, count: int, days: list[date]) -> Iterator[DomainEvent]:
    """``count`` calls numbered from ``first_call``, spread evenly over ``days`` in day order."""
    per_day, extra = divmod(count, len(days))
    n = first_call
    for index, day in enumerate(days):
        for _ in range(per_day + (1 if index < extra else 0)):
            yield from call_of(n, day)
            n += 1


async def load(projection: Any, sessions: Any, events: Iterator[DomainEvent], seq: list[int]) -> tuple[int, float]:
    """Apply ``events`` in batches of 500 through the projection; (events, seconds)."""
    applied, elapsed = 0, 0.0
    batch: list[tuple[DomainEvent, EventContext]] = []

    async def flush() -> None:
        nonlocal applied, elapsed
        start = time.perf_counter()
        async with sessions() as session, session.begin():
            await projection.apply_batch(session, batch)
        elapsed += time.perf_counter() - start
        applied += len(batch)
        batch.clear()

    for event in events:
        seq[0] += 1
        envelope = Envelope(type=event.event_type, source="/bench", data={}, id=f"e-{seq[0]}")
        batch.append((event, EventContext(envelope, "BENCH", seq[0], "bench")))
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    return applied, elapsed


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
    }


async def timed(client: httpx.AsyncClient, path: str, params: dict[str, str], check: Any = None) -> dict[str, float]:
    samples = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        resp = await client.get(path, params=params)
        samples.append(time.perf_counter() - start)
        resp.raise_for_status()
        if check is not None:
            check(resp.json())
    return percentiles(samples)


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


async def measure_api(client: httpx.AsyncClient, result: dict[str, Any], kind: str) -> None:
    day = date(2026, 11, 20)
    result[f"{kind}_daily_by_agent"] = await timed(client, "/v1/reports/daily", {"date": day.isoformat()})
    for level in ("team", "campaign"):
        result[f"{kind}_daily_by_{level}"] = await timed(
            client, "/v1/reports/daily", {"date": day.isoformat(), "group_by": level}
        )
    result[f"{kind}_weekly_by_agent"] = await timed(client, "/v1/reports/weekly", {"week": week_of(day)})
    trend = {"metric": "connect_rate", "from": FIRST_DAY.isoformat(), "to": day.isoformat()}
    probe = await client.get("/v1/reports/trend", params=trend)
    if probe.status_code == 200:  # an older version has no trend
        result[f"{kind}_trend_{VOLUME_DAYS}d_by_day"] = await timed(client, "/v1/reports/trend", trend)
        result[f"{kind}_trend_{VOLUME_DAYS}d_by_week"] = await timed(
            client, "/v1/reports/trend", {**trend, "by": "week"}
        )
        result[f"{kind}_trend_{VOLUME_DAYS}d_one_team"] = await timed(
            client, "/v1/reports/trend", {**trend, "team": "t-03"}
        )
        result[f"{kind}_ranking_by_connect_rate"] = await timed(
            client, "/v1/reports/ranking", {"metric": "connect_rate", "date": day.isoformat()}
        )


async def volume(url: str, kind: str, db_url: str, nats_url: str) -> dict[str, Any]:
    import reporting.projection
    from reporting.projection import DailyFigures
    from reporting.service import SPEC
    from reporting.settings import ReportingSettings

    result: dict[str, Any] = {}
    engine = create_engine(db_url)
    await migrate(engine, [Path(reporting.projection.__file__).parent / "migrations" / "versions"])
    sessions = sessionmaker(engine)
    projection = DailyFigures()
    seq = [0]
    days = [FIRST_DAY + timedelta(days=d) for d in range(VOLUME_DAYS)]
    events, seconds = await load(projection, sessions, calls_over(0, VOLUME_CALLS, days), seq)
    result[f"{kind}_load_events"] = events
    result[f"{kind}_load_events_per_s"] = round(events / seconds) if seconds else None
    settings = ReportingSettings(nats_url=nats_url, event_namespace="bench" + uuid.uuid4().hex[:6], database_url=db_url)
    app = create_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://reporting", auth=AsGateway(), timeout=120
        ) as client:
            totals = (await client.get("/v1/reports/daily", params={"date": "2026-11-20"})).json()["totals"]
            result[f"{kind}_calls_on_2026_11_20"] = totals["dials"]
            await measure_api(client, result, kind)
            # The peak day, step by step: the daily table's latency as the day's calls grow.
            loaded = 0
            for step in PEAK_CALLS:
                first = VOLUME_CALLS + loaded
                if PEAK_BULK_ABOVE and step > PEAK_BULK_ABOVE and step - loaded > PERIOD:
                    started = time.perf_counter()
                    await load_in_bulk(projection, sessions, first, step - loaded, seq)
                    result[f"{kind}_peak_day_{step}_calls_bulk_load_s"] = round(time.perf_counter() - started, 1)
                else:
                    await load(projection, sessions, calls_over(first, step - loaded, [PEAK_DAY]), seq)
                loaded = step

                def check(body: dict[str, Any], want: int = step) -> None:
                    assert body["totals"]["dials"] == want, (body["totals"]["dials"], want)

                result[f"{kind}_peak_day_{step}_calls_daily_by_agent"] = await timed(
                    client, "/v1/reports/daily", {"date": PEAK_DAY.isoformat()}, check
                )
    await engine.dispose()
    return result


async def load_in_bulk(projection: Any, sessions: Any, first: int, count: int, seq: list[int]) -> None:
    """Calls ``first`` .. ``first + count - 1`` onto the peak day's rollup as the projection would
    put them there (see 3. in the module's docstring): the calls beyond whole periods through the
    projection, one period through the projection onto SCRATCH_DAY, whose rollup rows times the
    number of whole periods are then added to PEAK_DAY's and removed."""
    from reporting.domain.rollup import FIGURES, KEY_COLUMNS
    from reporting.projection import daily_figures

    periods, rest = divmod(count, PERIOD)
    # The last ``rest`` calls have the residues of the first ``rest``: numbered after the periods.
    await load(projection, sessions, calls_over(first + periods * PERIOD, rest, [PEAK_DAY]), seq)
    await load(projection, sessions, calls_over(first, PERIOD, [SCRATCH_DAY]), seq)
    keys, figures = ", ".join(KEY_COLUMNS), ", ".join(FIGURES)
    others = ", ".join(KEY_COLUMNS[1:])
    times = ", ".join(f"{f} * :periods" for f in FIGURES)
    adds = ", ".join(f"{f} = {daily_figures.name}.{f} + excluded.{f}" for f in FIGURES)
    day = Date()
    async with sessions() as session, session.begin():
        await session.execute(
            text(
                f"INSERT INTO {daily_figures.name} ({keys}, {figures}) "
                f"SELECT :peak, {others}, {times} FROM {daily_figures.name} WHERE day = :scratch "
                f"ON CONFLICT ({keys}) DO UPDATE SET {adds}"
            ).bindparams(bindparam("peak", type_=day), bindparam("scratch", type_=day)),
            {"peak": PEAK_DAY, "scratch": SCRATCH_DAY, "periods": periods},
        )
        await session.execute(
            text(f"DELETE FROM {daily_figures.name} WHERE day = :scratch").bindparams(bindparam("scratch", type_=day)),
            {"scratch": SCRATCH_DAY},
        )


def _bounded(coros: list[Any], width: int = 256) -> Any:
    async def run() -> None:
        for i in range(0, len(coros), width):
            await asyncio.gather(*coros[i : i + width])

    return run()


async def rebuild_rate(nats_url: str, databases: dict[str, str]) -> dict[str, Any]:
    from reporting.projection import DailyFigures

    result: dict[str, Any] = {}
    try:  # as the service connects (python -m reporting rebuild)
        from common.broker import connect
    except ImportError:  # an older checkout measured (PYTHONPATH): nats-py's own client
        from nats import connect  # type: ignore[assignment]
    nc = await connect(servers=[nats_url])
    js = nc.jetstream(timeout=30)
    names = EventNames("rebuild" + uuid.uuid4().hex[:6])
    for owner in ("calls", "scheduling", "qa"):
        await ensure_stream(js, names, owner)
    store = EventStore(js, names, "/bench")
    events = [
        e for n in range(REBUILD_CALLS) for e in call_of(n, date(2026, 11, 20), validated=True, turns=REBUILD_TURNS)
    ]
    await _bounded([store.publish(e) for e in events])
    result["rebuild_events"] = len(events)
    result["rebuild_transcript_turns"] = REBUILD_TURNS

    # The runner's decode alone (CloudEvents envelope + the pydantic model), over the calls stream.
    stream = names.stream("calls")
    sample = []
    for seq in range(1, min(5001, (await js.stream_info(stream)).state.last_seq + 1)):
        msg = await js.get_msg(stream, seq)
        sample.append((msg.headers, msg.data or b""))
    start = time.perf_counter()
    for headers, data in sample:
        decode(Envelope.from_message(headers, data))
    result["decode_only_calls_events_per_s"] = round(len(sample) / (time.perf_counter() - start))

    import reporting.projection
    from common.db import migrate as migrate_db

    for kind, db_url in databases.items():
        engine = create_engine(db_url)
        await migrate_db(engine, [Path(reporting.projection.__file__).parent / "migrations" / "versions"])
        projection = DailyFigures()
        total_applied, total_seconds, total_cpu = 0, 0.0, 0.0
        for index, owner in enumerate(projection.subscriptions):
            runner = ProjectionRunner(js, names, sessionmaker(engine), projection, owner, batch_size=BATCH)
            start, cpu = time.perf_counter(), time.process_time()
            applied = await runner.rebuild(progress=False, reset=index == 0)
            seconds = time.perf_counter() - start
            result[f"rebuild_{kind}_{owner}_events_per_s"] = round(applied / seconds)
            total_applied += applied
            total_seconds += seconds
            total_cpu += time.process_time() - cpu
        result[f"rebuild_{kind}_events_per_s"] = round(total_applied / total_seconds)
        # This process's CPU (the runner, the projection, SQLite's thread; not the PostgreSQL or
        # NATS servers') per event: steadier than events/s on a shared machine, where the wall
        # clock counts the neighbours' time slices too.
        result[f"rebuild_{kind}_cpu_us_per_event"] = round(total_cpu * 1e6 / total_applied, 1)
        await engine.dispose()
    await nc.close()
    return result


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {
        "benchmark": "reporting_volume",
        "calls": VOLUME_CALLS,
        "days": VOLUME_DAYS,
        "agents": AGENTS,
        "teams": TEAMS,
        "campaigns": CAMPAIGNS,
        "peak_day_calls": PEAK_CALLS,
        "peak_bulk_above": PEAK_BULK_ABOVE,
        "requests_each": REQUESTS,
        "goal_daily_p99_ms": 50,
        "goal_rebuild_events_per_s": 20000,
    }
    with nats_and_databases() as (url, databases):
        chosen = {k: v for k, v in databases.items() if not ONLY_DATABASES or k in ONLY_DATABASES}
        for kind, db_url in chosen.items() if VOLUME_CALLS or PEAK_CALLS else ():
            figures.update(asyncio.run(volume(url, kind, db_url, url)))
            # Progress on stderr (stdout carries the one JSON line).
            print({k: v for k, v in figures.items() if k.startswith(kind)}, file=sys.stderr, flush=True)
        if REBUILD_CALLS:
            with fresh_databases(chosen) as fresh:
                figures.update(asyncio.run(rebuild_rate(url, fresh)))
    return figures


@contextmanager
def fresh_databases(databases: dict[str, str]) -> Iterator[dict[str, str]]:
    """Empty databases of the same kinds for the rebuild (its reset is not what is measured)."""
    fresh, created = {}, []
    for kind, db_url in databases.items():
        if kind == "sqlite":
            fresh[kind] = db_url.replace("bench.db", "rebuild.db")
        else:
            name = "bench_rebuild_" + uuid.uuid4().hex[:8]
            _admin_sql(db_url, f'CREATE DATABASE "{name}"')
            created.append((db_url, name))
            fresh[kind] = make_url(db_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield fresh
    finally:
        for server, name in created:
            _admin_sql(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    import json

    print(json.dumps(main(), ensure_ascii=False))
