"""Rebuild rates of two projections at the ends of the range (issue 13): reporting's
``DailyFigures`` (reads a few fields of each event, leaves the transcript unread) and the calls
service's ``CallsReadModel`` (stores every call with its transcript, so reads every field).

BENCH_REBUILD_CALLS calls (default 20,000) are published as their owners publish them (the
events of ``benchmarks.reporting_volume.call_of``: a CallEnded carries a BENCH_REBUILD_TURNS-turn
transcript, default 20), then each projection is rebuilt with ``ProjectionRunner.rebuild``, as
``python -m <service> rebuild`` runs it, on SQLite and (TEST_DATABASE_URL) PostgreSQL. Figures:
events/s (wall clock, first fetch to last commit) and this process's CPU per event (the runner,
the projection, aiosqlite's thread; not the servers'), the steadier figure on a shared machine.

BENCH_REBUILD_PROJECTIONS=reporting or calls for one; BENCH_DATABASES=sqlite or postgresql for
one; BENCH_PROFILE=1 prints a pyinstrument profile of each rebuild (its own CPU inflated).
BENCH_REPEAT=n rebuilds each n times (a range rather than one draw of the machine's load).
Run on an older checkout with PYTHONPATH at its libs/common/src and services/*/src first (the
code measured is whatever ``common``, ``reporting`` and ``calls`` import).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from common.db import create_engine, migrate, sessionmaker
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import Projection, ProjectionRunner

from benchmarks._support import nats_and_databases
from benchmarks.reporting_volume import _bounded, call_of, fresh_databases

REBUILD_CALLS = int(os.environ.get("BENCH_REBUILD_CALLS", "20000"))
REBUILD_TURNS = int(os.environ.get("BENCH_REBUILD_TURNS", "20"))
ONLY_PROJECTIONS = [p for p in os.environ.get("BENCH_REBUILD_PROJECTIONS", "").split(",") if p]
ONLY_DATABASES = [d for d in os.environ.get("BENCH_DATABASES", "").split(",") if d]
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))


def projections() -> dict[str, tuple[Any, list[Path]]]:
    """Name -> (projection, its migrations)."""
    import calls.projection
    import reporting.projection
    from calls.projection import CallsReadModel
    from reporting.projection import DailyFigures

    chosen: dict[str, tuple[Any, list[Path]]] = {
        "reporting": (DailyFigures(), [Path(reporting.projection.__file__).parent / "migrations" / "versions"]),
        "calls": (CallsReadModel(), [Path(calls.projection.__file__).parent / "migrations" / "versions"]),
    }
    return {k: v for k, v in chosen.items() if not ONLY_PROJECTIONS or k in ONLY_PROJECTIONS}


async def rebuild_once(js: Any, names: EventNames, db_url: str, projection: Projection) -> tuple[int, float, float]:
    """(events applied, wall seconds, CPU seconds) of one rebuild of every stream."""
    engine = create_engine(db_url)
    applied, seconds, cpu = 0, 0.0, 0.0
    profiler: Any = None
    if PROFILE:
        from pyinstrument import Profiler

        profiler = Profiler(async_mode="disabled")
        profiler.start()
    for index, owner in enumerate(projection.subscriptions):
        runner = ProjectionRunner(js, names, sessionmaker(engine), projection, owner, batch_size=500)
        start, cpu_start = time.perf_counter(), time.process_time()
        applied += await runner.rebuild(progress=False, reset=index == 0)
        seconds += time.perf_counter() - start
        cpu += time.process_time() - cpu_start
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr, flush=True)
    await engine.dispose()
    return applied, seconds, cpu


async def rebuild_rates(nats_url: str, databases: dict[str, str]) -> dict[str, Any]:
    try:  # as the services connect
        from common.broker import connect
    except ImportError:  # an older checkout measured: nats-py's own client
        from nats import connect  # type: ignore[assignment]
    nc = await connect(servers=[nats_url])
    js = nc.jetstream(timeout=30)
    names = EventNames("rates" + uuid.uuid4().hex[:6])
    for owner in ("calls", "scheduling", "qa", "leads"):
        await ensure_stream(js, names, owner)
    store = EventStore(js, names, "/bench")
    events = [
        e for n in range(REBUILD_CALLS) for e in call_of(n, date(2026, 11, 20), validated=True, turns=REBUILD_TURNS)
    ]
    await _bounded([store.publish(e) for e in events], width=64)  # fewer publish timeouts on a loaded machine
    result: dict[str, Any] = {"events_published": len(events), "transcript_turns": REBUILD_TURNS}
    chosen = projections()
    for kind, db_url in databases.items():
        engine = create_engine(db_url)
        await migrate(engine, sorted({p for _proj, paths in chosen.values() for p in paths}))
        await engine.dispose()
        for name, (projection, _paths) in chosen.items():
            runs = [await rebuild_once(js, names, db_url, projection) for _ in range(REPEAT)]
            rates = [round(applied / seconds) for applied, seconds, _cpu in runs]
            cpus = [round(cpu * 1e6 / applied, 1) for applied, _seconds, cpu in runs]
            result[f"{name}_{kind}_events"] = runs[0][0]
            result[f"{name}_{kind}_events_per_s"] = rates if REPEAT > 1 else rates[0]
            result[f"{name}_{kind}_cpu_us_per_event"] = cpus if REPEAT > 1 else cpus[0]
            print({k: v for k, v in result.items() if k.startswith(f"{name}_{kind}")}, file=sys.stderr, flush=True)
    await nc.close()
    return result


def main() -> dict[str, Any]:
    figures: dict[str, Any] = {"benchmark": "rebuild_rates", "calls": REBUILD_CALLS, "goal_events_per_s": 20000}
    with nats_and_databases() as (url, databases):
        chosen = {k: v for k, v in databases.items() if not ONLY_DATABASES or k in ONLY_DATABASES}
        with fresh_databases(chosen) as fresh:
            figures.update(asyncio.run(rebuild_rates(url, fresh)))
    figures["load_average"] = os.getloadavg()[0]
    return figures


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
