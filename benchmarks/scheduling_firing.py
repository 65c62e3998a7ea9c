"""Scheduling: 100,000 pending callbacks spread over one day, fired by two replicas on an
accelerated clock. How late is each ``CallbackDue``, is any published twice, how much memory
does a replica use?

1. Seed: the N callbacks are booked the way the projection books a ``CallEnded`` "callback"
   (the same rule, placement and row), bulk-inserted into the service's database: the agreed
   times spread over the day, with a bench campaign policy whose 24-hour window does not bunch
   them at 09:00. (Pushing 100,000 events through the projection would take minutes here, at
   ~0.8 ms per SQLite statement; ingestion speed is not what this measures.) The callbacks then
   live only in the database.
2. Fire: two fresh replicas (separate processes, same database, same NATS) start with the same
   simulated clock (``CLOCK_START`` / ``CLOCK_ORIGIN`` / ``CLOCK_SPEED``): the day runs
   ``BENCH_SPEED`` times faster than real time, so the day's load is compressed that many
   times (720: a day in two minutes, ~830 callbacks a second against ~1.2 a second in real life).
3. Measure, in this process: a core NATS subscription on ``*.CallbackDue`` timestamps each
   publish; **lateness** = arrival − the real instant the simulated clock reached ``due_at``
   (real seconds: the delay the service adds; the simulated figure is that times the speed).
   **Duplicates** = ``CallbackDue`` messages per callback in the stream (what any consumer
   sees) minus one; copies that two replicas published but JetStream's duplicate window dropped
   are counted separately. **Memory** = peak RSS of each replica process (psutil).

Database: SQLite (a temporary file) by default; PostgreSQL when ``TEST_DATABASE_URL`` points to
one (a fresh database is created on it).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nats
import psutil
from common.db import create_engine
from common.eventstore import EventNames, ensure_stream
from common.testing import NatsServerProcess, _admin_sql, free_port
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

N = int(os.environ.get("BENCH_CALLBACKS", "100000"))
SPEED = float(os.environ.get("BENCH_SPEED", "720"))
ROOT = Path(__file__).resolve().parent.parent
SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 11, 18, tzinfo=SH)
_POLICY_PATH = Path(tempfile.mkdtemp(prefix="bench-policy-")) / "policy.yaml"
POLICY = """
version: "bench.1"
default:
  window: {periods: ["00:00-24:00"], weekdays: [mon, tue, wed, thu, fri, sat, sun], calendar: null}
campaigns: {}
"""


async def _database(tmp: Path) -> str:
    server = os.environ.get("TEST_DATABASE_URL")
    if server and make_url(server).get_backend_name() == "postgresql":
        name = "bench_" + uuid.uuid4().hex[:12]
        await asyncio.to_thread(_admin_sql, server, f'CREATE DATABASE "{name}"')
        return make_url(server).set(database=name).render_as_string(hide_password=False)
    return f"sqlite:///{tmp / 'scheduling.db'}"


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "scheduling"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _due_times() -> list[datetime]:
    span = 86400 - 120
    return [DAY + timedelta(seconds=60 + span * i / N + (hash(i) % 1000) / 1000) for i in range(N)]


async def _count(engine: Any, sql: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(sql)).scalar_one())


async def _seed(engine: Any, dues: list[datetime]) -> None:
    """Book N callbacks exactly as ``SchedulingProjection`` books a "callback" call."""
    from common.db import migrate
    from common.timeutil import as_utc
    from scheduling.domain.policy import load_document, resolve
    from scheduling.domain.rules import CallOutcome, LeadHistory, decide, place
    from scheduling.handlers import callback_id_for
    from scheduling.service import SPEC
    from scheduling.tables import callback, lead_state

    await migrate(engine, SPEC.migrations)
    policy = resolve(load_document(_POLICY_PATH), "bench")
    window = policy.window.window(None)
    ended = DAY - timedelta(hours=2)
    rows: list[dict[str, Any]] = []
    leads: list[dict[str, Any]] = []
    for i, due in enumerate(dues):
        o = CallOutcome(
            call_id=f"c-{i}",
            lead_id=f"l-{i}",
            direction="outbound",
            disposition="callback",
            placed_at=ended,
            answered_at=ended,
            ended_at=ended,
            callback_at=due,
        )
        decision = decide(o, LeadHistory(), policy, SH)
        assert decision.wanted is not None
        placed = place(decision.wanted, window, SH, decision.history)
        assert placed.due_at == due and placed.adjustment is None
        rows.append(
            {
                "callback_id": callback_id_for(o.call_id),
                "lead_id": o.lead_id,
                "agent_id": f"a-{i % 200}",
                "team_id": "t-1",
                "campaign_id": "bench",
                "reason": decision.wanted.reason,
                "status": "scheduled",
                "due_at": as_utc(placed.due_at),
                "requested_at": as_utc(due),
                "adjustment": None,
                "exact": True,
                "attempt": 1,
                "cycle": 1,
                "revision": 1,
                "released": False,
                "timezone": "Asia/Shanghai",
                "source_call_id": o.call_id,
                "policy_version": policy.version,
                "created_at": as_utc(ended),
            }
        )
        leads.append(
            {
                "lead_id": o.lead_id,
                "timezone": "Asia/Shanghai",
                "opted_out": False,
                "no_answer_attempts": 0,
                "cycle": 1,
                "redials": 0,
            }
        )
    async with engine.begin() as conn:
        for start in range(0, N, 5000):
            await conn.execute(callback.insert(), rows[start : start + 5000])
            await conn.execute(lead_state.insert(), leads[start : start + 5000])


async def _run() -> dict[str, Any]:
    from scheduling.tables import callback

    tmp = Path(tempfile.mkdtemp(prefix="bench-sched-"))
    _POLICY_PATH.write_text(POLICY)
    server = NatsServerProcess()
    server.start()
    namespace = "b" + uuid.uuid4().hex[:10]
    database_url = await _database(tmp)
    names = EventNames(namespace)
    base_env = {
        **os.environ,
        "NATS_URL": server.url,
        "EVENT_NAMESPACE": namespace,
        "DATABASE_URL": database_url,
        "POLICY_FILE": str(_POLICY_PATH),
        "LOG_LEVEL": "WARNING",
        "HTTP_HOST": "127.0.0.1",
    }
    nc = await nats.connect(server.url)
    js = nc.jetstream(timeout=30)
    for owner in ("calls", "leads", "scheduling"):
        await ensure_stream(js, names, owner)
    engine = create_engine(database_url)
    dues = _due_times()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        # 1. seed the due index
        t0 = time.perf_counter()
        await _seed(engine, dues)
        seed_seconds = time.perf_counter() - t0
        booked = await _count(engine, select(func.count()).select_from(callback))
        assert booked == N, booked

        # 2. fire: two replicas, one simulated clock
        arrivals: dict[str, float] = {}
        deliveries = Counter[str]()

        async def on_due(msg: Any) -> None:
            now = time.time()
            cb = json.loads(msg.data)["callback_id"]
            deliveries[cb] += 1
            arrivals.setdefault(cb, now)

        sub = await nc.subscribe(names.type_filter("scheduling", "CallbackDue"), cb=on_due, pending_msgs_limit=-1)
        origin = time.time() + 12
        clock_env = {"CLOCK_START": DAY.isoformat(), "CLOCK_ORIGIN": repr(origin), "CLOCK_SPEED": repr(SPEED)}
        replicas = [
            _start({**base_env, **clock_env, "HTTP_PORT": str(free_port())}, tmp / f"replica{i}.log") for i in range(2)
        ]
        procs.extend(replicas)
        watched = [psutil.Process(p.pid) for p in replicas]
        peak = [0, 0]
        end_real = origin + 86400 / SPEED + 10
        while time.time() < end_real and len(arrivals) < N:
            for i, proc in enumerate(watched):
                try:
                    peak[i] = max(peak[i], proc.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            await asyncio.sleep(0.2)
        ready_late = time.time() > origin and any(p.poll() is not None for p in replicas)
        for proc in replicas:
            _stop(proc)
        await sub.unsubscribe()

        # lateness: arrival − the real instant the simulated clock reached due_at
        from scheduling.handlers import callback_id_for

        due_by_id = {callback_id_for(f"c-{i}"): dues[i] for i in range(N)}
        late_real = [arrivals[cb] - (origin + (due_by_id[cb] - DAY).total_seconds() / SPEED) for cb in arrivals]

        # duplicates as consumers see them: CallbackDue messages in the stream per callback
        psub = await js.pull_subscribe(
            names.type_filter("scheduling", "CallbackDue"),
            stream=names.stream("scheduling"),
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, mem_storage=True),
        )
        in_stream = Counter[str]()
        pending = (await psub.consumer_info()).num_pending or 0
        while pending > 0:
            msgs = await psub.fetch(min(pending, 1000), timeout=10)
            for m in msgs:
                in_stream[json.loads(m.data)["callback_id"]] += 1
            pending = msgs[-1].metadata.num_pending
        await psub.unsubscribe()
        fired = await _count(engine, select(func.count()).select_from(callback).where(callback.c.fired_at.isnot(None)))

        result = {
            "callbacks": N,
            "speed": SPEED,
            "database": make_url(database_url).get_backend_name(),
            "seed_s": round(seed_seconds, 1),
            "due_received": len(arrivals),
            "fired_in_db": fired,
            "lateness_real_s": {
                "p50": round(_percentile(late_real, 0.50), 4),
                "p99": round(_percentile(late_real, 0.99), 4),
                "max": round(max(late_real, default=float("nan")), 4),
            },
            "lateness_simulated_s": {
                "p50": round(_percentile(late_real, 0.50) * SPEED, 1),
                "p99": round(_percentile(late_real, 0.99) * SPEED, 1),
            },
            "duplicates_in_stream": sum(c - 1 for c in in_stream.values() if c > 1),
            "callbacks_in_stream": len(in_stream),
            "copies_dropped_by_dedup_window": sum(c - 1 for c in deliveries.values() if c > 1),
            "peak_rss_mb": [round(p / 2**20, 1) for p in peak],
            "replica_exited_early": ready_late,
        }
        result["goals_met"] = bool(
            _percentile(late_real, 0.99) < 1.0
            and result["duplicates_in_stream"] == 0
            and len(arrivals) == N
            and max(peak) / 2**20 < 200
        )
        return result
    finally:
        for proc in procs:
            _stop(proc)
        await engine.dispose()
        await nc.close()
        server.cleanup()
        if database_url.startswith("postgresql"):
            try:
                server_url = os.environ["TEST_DATABASE_URL"]
                await asyncio.to_thread(
                    _admin_sql,
                    server_url,
                    f'DROP DATABASE IF EXISTS "{make_url(database_url).database}" WITH (FORCE)',
                )
            except Exception:
                pass


def main() -> dict[str, Any]:
    result = asyncio.run(_run())
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
