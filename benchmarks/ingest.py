"""A finished call's whole way through the platform (issue 13): ``make bench ONLY=ingest``.

Every service and the gateway run as their own processes, as ``make run`` starts them
(``tests.platform.start_platform``), on SQLite and again on PostgreSQL (a fresh database per
service) when TEST_DATABASE_URL points at a PostgreSQL server. Finished calls in the partner's
shape (the labelled dataset's calls, padded to 20 turns, each with its own call id, their
dispositions making scheduling, QA and leads work) are posted to the gateway with an admin
token by a concurrent client.

Figures, per database:
- ``bare``: nats-py publish (256 in flight) and pull fetch+ack rates on the same nats-server in
  the same run, so the platform's figure is also a ratio (the machine is shared; absolute
  figures move with the neighbours).
- ``throughput``: calls per second from the first POST until every projection and reactor of
  every service has caught up (every durable consumer's pending at zero and every checkpoint at
  what it was delivered, every outbox drained, no stream growing between two looks), and the
  calls are visible: the daily report counts every dial, QA holds findings, scheduling
  callbacks. With the CPU each process spent per call and the stage that finished last.
- ``steady_<rate>``: calls posted at a steady rate; p50/p99/max from the POST to its 202 and
  from the 202 to the call being applied in each service (the first look at which each of the
  service's projections of TM_CALLS has its checkpoint at or past the call's CallEnded).
- ``rss_peak_mb``: per process over the whole run.
- ``profile``: the slowest service started again under pyinstrument while calls are posted;
  its top frames by own time (asyncio's idle wait left out). SQLite runs in aiosqlite's thread,
  which a main-thread profiler sees as waiting.

Sizes are environment variables (a quick run: BENCH_INGEST_CALLS=600
BENCH_INGEST_STEADY_SECONDS=4 BENCH_INGEST_BASELINE=5000 BENCH_INGEST_DATABASES=sqlite).
``BENCH_INGEST_RESULTS`` names the Markdown file the table is appended to (default
benchmarks/RESULTS.md; empty: none). ``BENCH_INGEST_BATCH=100``: the throughput phase posts that
many calls per ``POST /v1/calls/batch`` (the steady rates still post one call per request; a
20-turn call is about 3 KB, so a batch stays under the 1 MiB body limit up to about 300).

The soak (issue 13's memory goal) instead of the run above: BENCH_INGEST_SOAK_SECONDS=600
BENCH_INGEST_SOAK_RATE=200 posts at a steady asked rate for that long after a warm-up
(BENCH_INGEST_SOAK_WARMUP_SECONDS, 60) and samples every process's RSS and its anonymous part
every BENCH_INGEST_SOAK_SAMPLE_SECONDS (5): per process the RSS at the soak's start and end, its
peak and its slope (MB/min, least squares over the second half), with the rate achieved.
"""

from __future__ import annotations

import asyncio
import bisect
import copy
import datetime as dt
import json
import os
import platform as host
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import psutil
from common.eventstore import EventNames
from common.testing import NatsServerProcess, _admin_sql
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from sqlalchemy.engine import make_url

import tests.platform
from tests.chaos.harness import call_records, daily_dials
from tests.platform import ROOT, SERVICES, RunningPlatform, auth_headers, start_platform

CALLS = int(os.environ.get("BENCH_INGEST_CALLS", "3000"))
CONCURRENCY = int(os.environ.get("BENCH_INGEST_CONCURRENCY", "32"))
STEADY_SECONDS = float(os.environ.get("BENCH_INGEST_STEADY_SECONDS", "10"))
RATES = [float(r) for r in os.environ.get("BENCH_INGEST_RATES", "50,200").split(",") if r]
BASELINE = int(os.environ.get("BENCH_INGEST_BASELINE", "20000"))
DATABASES = os.environ.get("BENCH_INGEST_DATABASES", "sqlite,postgresql").split(",")
PROFILE = os.environ.get("BENCH_INGEST_PROFILE", "1") == "1"
RESULTS = os.environ.get("BENCH_INGEST_RESULTS", str(Path(__file__).with_name("RESULTS.md")))
CATCH_UP_TIMEOUT = float(os.environ.get("BENCH_INGEST_TIMEOUT", "600"))
BATCH = int(os.environ.get("BENCH_INGEST_BATCH", "0"))  # calls per POST /v1/calls/batch; 0: POST /v1/calls each
TURNS = 20
LOOK_EVERY = 0.02  # seconds between two looks at every service's checkpoints


# --- the calls -------------------------------------------------------------------------------


def with_turns(record: dict[str, Any], turns: int = TURNS) -> dict[str, Any]:
    """The labelled calls have 6 to 17 turns; a partner's are longer. Neutral exchanges (the
    agent checking a detail, the customer answering) are inserted before the closing pair, so
    the rules still read the call's own opening, offer and closing."""
    record = copy.deepcopy(record)
    spoken = record["turns"]
    if not spoken:
        return record
    cut = max(len(spoken) - 2, 1)
    start = float(spoken[cut - 1].get("end_s", 0.0))
    end = float(spoken[cut].get("start_s", start)) if cut < len(spoken) else start + 20
    filler = []
    missing = max(turns - len(spoken), 0)
    step = max(end - start, 0.0) / (missing + 1)
    for k in range(missing):
        t = start + step * k
        agent = k % 2 == 0
        filler.append(
            {
                "speaker": "agent" if agent else "customer",
                "start_s": round(t, 2),
                "end_s": round(t + step * 0.9, 2),
                "text": "我这边再跟您核对一下登记的地址信息。" if agent else "嗯,地址没有变。",
            }
        )
    record["turns"] = spoken[:cut] + filler + spoken[cut:]
    return record


def batches(bodies: Sequence[bytes], size: int) -> list[bytes]:
    """The calls as ``POST /v1/calls/batch`` bodies of ``size`` records each."""
    return [b'{"calls":[' + b",".join(bodies[i : i + size]) + b"]}" for i in range(0, len(bodies), size)]


def records(prefix: str, count: int, start: int = 0) -> list[bytes]:
    return [
        json.dumps(with_turns(r), ensure_ascii=False).encode()
        for r in call_records(prefix, count, leads=max(count // 3, 1), start=start)
    ]


# --- a lean HTTP/1.1 client (the load generator shares the 2 cores; httpx costs ~1 ms a call) --


class Connection:
    def __init__(self, host_port: tuple[str, int], token: str, path: str = "/v1/calls") -> None:
        self.host_port = host_port
        self.head = (
            "POST {p} HTTP/1.1\r\nHost: {h}\r\nContent-Type: application/json\r\nAuthorization: {t}\r\nContent-Length: "
        ).format(p=path, h=f"{host_port[0]}:{host_port[1]}", t=token)
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> tuple[int, bytes]:
        for attempt in range(3):
            try:
                if self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(*self.host_port)
                assert self.reader is not None
                self.writer.write(f"{self.head}{len(body)}\r\n\r\n".encode() + body)
                head = await self.reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                status = int(lines[0].split(" ", 2)[1])
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:] if ln)}
                if "content-length" in headers:
                    payload = await self.reader.readexactly(int(headers["content-length"]))
                else:  # chunked
                    payload = b""
                    while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                        payload += await self.reader.readexactly(size + 2)
                    await self.reader.readuntil(b"\r\n")
                if headers.get("connection") == "close":
                    await self.close()
                return status, payload
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = self.reader = None


@dataclass
class Posted:
    sent_at: list[float] = field(default_factory=list)
    answered_at: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


async def post_all(
    gateway_url: str, bodies: Sequence[bytes], *, concurrency: int, rate: float | None = None, batch: bool = False
) -> Posted:
    """Post every body (retrying 429/503 as a dialer would); ``rate``: on a steady schedule
    (open loop), else as fast as ``concurrency`` connections go. ``batch``: the bodies are
    batches for ``POST /v1/calls/batch``, each of whose records must be accepted."""
    host_port = (gateway_url.split("//")[1].split(":")[0], int(gateway_url.rsplit(":", 1)[1]))
    token = auth_headers()["Authorization"]
    posted = Posted(sent_at=[0.0] * len(bodies), answered_at=[0.0] * len(bodies))
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(len(bodies)):
        queue.put_nowait(i)
    start = time.monotonic()

    async def worker() -> None:
        conn = Connection(host_port, token, "/v1/calls/batch" if batch else "/v1/calls")
        try:
            while not queue.empty():
                i = queue.get_nowait()
                if rate:
                    await asyncio.sleep(max(0.0, start + i / rate - time.monotonic()))
                posted.sent_at[i] = time.monotonic()
                while True:
                    status, payload = await conn.post(bodies[i])
                    posted.statuses[status] = posted.statuses.get(status, 0) + 1
                    if status in (429, 502, 503, 504):
                        await asyncio.sleep(0.1)
                        continue
                    if status >= 300:
                        raise AssertionError(f"call refused: {status} {payload[:300]!r}")
                    if batch and json.loads(payload)["rejected"]:
                        raise AssertionError(f"records of a batch rejected: {payload[:600]!r}")
                    break
                posted.answered_at[i] = time.monotonic()
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return posted


# --- watching every service -------------------------------------------------------------------


class Reader:
    """Reads a service's database without disturbing it: SQLite opened read-only in autocommit
    (the services' engine would begin every transaction with BEGIN IMMEDIATE, taking the write
    lock for a look), PostgreSQL through one asyncpg connection."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.sqlite: sqlite3.Connection | None = None
        self.pg: Any = None

    async def open(self) -> None:
        if self.url.drivername.startswith("sqlite"):
            self.sqlite = sqlite3.connect(f"file:{self.url.database}?mode=ro", uri=True, isolation_level=None)
        else:
            import asyncpg

            self.pg = await asyncpg.connect(
                host=self.url.host or "127.0.0.1",
                port=self.url.port or 5432,
                user=self.url.username or "postgres",
                password=self.url.password,
                database=self.url.database,
            )

    async def rows(self, query: str) -> list[tuple[Any, ...]]:
        if self.sqlite is not None:
            return list(self.sqlite.execute(query).fetchall())
        return [tuple(r) for r in await self.pg.fetch(query)]

    async def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            await self.pg.close()


@dataclass
class Look:
    at: float
    checkpoints: dict[str, int]  # projection@stream -> last sequence applied


class Watcher(threading.Thread):
    """Looks at every service's checkpoints every LOOK_EVERY seconds, at its unpublished outbox
    rows and every process's memory every quarter second, until stopped."""

    def __init__(self, platform: RunningPlatform, processes: dict[str, psutil.Process]) -> None:
        super().__init__(daemon=True)
        self.platform = platform
        self.processes = processes
        self.looks: dict[str, list[Look]] = {s: [] for s in SERVICES}
        self.unpublished: dict[str, int] = dict.fromkeys(SERVICES, 0)
        self.rss_peak: dict[str, int] = dict.fromkeys(processes, 0)
        self.stopping = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._watch())
        except BaseException as exc:
            self.error = exc

    async def _watch(self) -> None:
        readers = {s: Reader(self.platform.database_url(s)) for s in SERVICES}
        for reader in readers.values():
            await reader.open()
        last_slow = 0.0
        try:
            while not self.stopping.is_set():
                for service, reader in readers.items():
                    rows = await reader.rows("SELECT projection, last_seq FROM projection_checkpoint")
                    self.looks[service].append(Look(time.monotonic(), {str(p): int(s) for p, s in rows}))
                if time.monotonic() - last_slow > 0.25:
                    last_slow = time.monotonic()
                    for service, reader in readers.items():
                        found = await reader.rows("SELECT count(*) FROM outbox_message WHERE published_at IS NULL")
                        self.unpublished[service] = int(found[0][0])
                    self.sample_memory()
                await asyncio.sleep(LOOK_EVERY)
        finally:
            for reader in readers.values():
                await reader.close()

    def sample_memory(self) -> None:
        for name, proc in self.processes.items():
            try:
                self.rss_peak[name] = max(self.rss_peak[name], proc.memory_info().rss)
            except psutil.Error:
                pass

    def checkpoints(self) -> dict[str, int]:
        latest: dict[str, int] = {}
        for looks in self.looks.values():
            if looks:
                latest.update(looks[-1].checkpoints)
        return latest

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)

    def visible_at(self, service: str, keys: Sequence[str], seq: int, after: float) -> float | None:
        """The first look after ``after`` at which each of ``keys`` had applied ``seq``."""
        looks = self.looks[service]
        i = bisect.bisect_left([look.at for look in looks], after)
        for look in looks[i:]:
            if all(look.checkpoints.get(k, 0) >= seq for k in keys):
                return look.at
        return None

    def settled_at(self, service: str, since: float) -> float:
        """When the service's checkpoints last moved (after ``since``)."""
        looks = [look for look in self.looks[service] if look.at >= since]
        for prev, look in zip(reversed(looks[:-1]), reversed(looks), strict=False):
            if prev.checkpoints != look.checkpoints:
                return look.at
        return since


async def call_projections(nats_url: str, names: EventNames, watcher: Watcher) -> dict[str, list[str]]:
    """Each service's checkpoint keys of the projections that apply CallEnded (from the durable
    consumers' filters; the service is the one whose checkpoint table holds the key)."""
    nc = await nats.connect(nats_url)
    try:
        stream = names.stream("calls")
        keys: dict[str, list[str]] = {s: [] for s in SERVICES}
        for info in await nc.jetstream().consumers_info(stream):
            filters = info.config.filter_subjects or [info.config.filter_subject or ">"]
            if not info.config.durable_name or not any(f.endswith(("CallEnded", ">")) for f in filters):
                continue
            key = f"{info.name[: -len('-calls')]}@{stream}"
            for service, looks in watcher.looks.items():
                if looks and key in looks[-1].checkpoints:
                    keys[service].append(key)
        return keys
    finally:
        await nc.close()


async def call_ended_seqs(nats_url: str, names: EventNames, call_ids: Sequence[str]) -> list[int]:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        stream = names.stream("calls")
        return [(await js.get_last_msg(stream, names.subject("calls", c, "CallEnded"))).seq or 0 for c in call_ids]
    finally:
        await nc.close()


async def behind(js: Any, names: EventNames, watcher: Watcher) -> tuple[list[str], tuple[int, ...]]:
    """As tests.chaos.harness.lag, from the watcher's looks: a consumer with pending messages, a
    checkpoint short of what its consumer delivered, an outbox row unpublished; and every
    stream's last sequence."""
    late = [f"{s}: {n} outbox rows unpublished" for s, n in watcher.unpublished.items() if n]
    checkpoints = watcher.checkpoints()
    last_seqs = []
    for owner in ("leads", "calls", "scheduling", "qa"):
        stream = names.stream(owner)
        last_seqs.append((await js.stream_info(stream)).state.last_seq)
        for info in await js.consumers_info(stream):
            if not info.config.durable_name or info.name.endswith("-rebuild"):
                continue
            key = f"{info.name[: -(len(owner) + 1)]}@{stream}"
            delivered = info.delivered.stream_seq if info.delivered else 0
            if info.num_pending or checkpoints.get(key, 0) < (delivered or 0):
                late.append(f"{key}: pending {info.num_pending}, delivered {delivered}, applied {checkpoints.get(key)}")
    return late, tuple(last_seqs)


async def caught_up(nats_url: str, names: EventNames, watcher: Watcher, timeout: float) -> float:
    """Until every projection has applied everything in the log and nothing waits in an outbox,
    twice in a row with no new event in between (tests.chaos.harness.wait_caught_up, looking
    every 0.1 s): the time (monotonic) of the first of those two looks."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    deadline = time.monotonic() + timeout
    previous: tuple[tuple[int, ...], float] | None = None
    late: list[str] = []
    try:
        while time.monotonic() < deadline:
            at = time.monotonic()
            await asyncio.sleep(0.3)  # the watcher's next looks at checkpoints and outboxes
            late, last = await behind(js, names, watcher)
            if not late and previous is not None and previous[0] == last:
                return previous[1]
            previous = (last, at) if not late else None
        raise AssertionError(f"not caught up in {timeout}s: {late[:10]}")
    finally:
        await nc.close()


async def scalar(database_url: str, query: str) -> int:
    reader = Reader(database_url)
    await reader.open()
    try:
        return int((await reader.rows(query))[0][0] or 0)
    finally:
        await reader.close()


# --- bare NATS --------------------------------------------------------------------------------


async def bare_rates(url: str, n: int) -> dict[str, float]:
    nc = await nats.connect(url)
    js = nc.jetstream()
    stream = "BARE_" + uuid.uuid4().hex[:6].upper()
    await js.add_stream(StreamConfig(name=stream, subjects=[f"{stream.lower()}.>"]))
    body = b"x" * 2000  # about a finished call's CallEnded
    start = time.perf_counter()
    for i in range(0, n, 256):
        await asyncio.gather(*(js.publish(f"{stream.lower()}.{k % 100}", body) for k in range(i, min(i + 256, n))))
    publish = n / (time.perf_counter() - start)
    await js.add_consumer(stream, ConsumerConfig(durable_name="bare", ack_policy=AckPolicy.EXPLICIT))
    psub = await js.pull_subscribe_bind("bare", stream=stream)
    start = time.perf_counter()
    got = 0
    while got < n:
        msgs = await psub.fetch(500, timeout=5)
        for m in msgs:
            await m.ack()
        got += len(msgs)
    consume = n / (time.perf_counter() - start)
    await js.delete_stream(stream)
    await nc.close()
    return {"publish_msgs_per_s": round(publish), "fetch_ack_msgs_per_s": round(consume)}


# --- one run ----------------------------------------------------------------------------------


def percentiles(values: Sequence[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
    }


def processes_of(platform: RunningPlatform, server: NatsServerProcess) -> dict[str, psutil.Process]:
    procs = {name: psutil.Process(p.pid) for name, p in platform.procs.items()}
    assert server.proc is not None
    procs["nats-server"] = psutil.Process(server.proc.pid)
    procs["client"] = psutil.Process()
    return procs


def cpu_seconds(procs: dict[str, psutil.Process]) -> dict[str, float]:
    out = {}
    for name, proc in procs.items():
        try:
            t = proc.cpu_times()
            out[name] = t.user + t.system
        except psutil.Error:
            out[name] = 0.0
    return out


def databases_for(kind: str, pg_server: str | None) -> tuple[Callable[[str], str], Callable[[], None]]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="bench-ingest-")
        return (lambda s: f"sqlite:///{folder}/{s}.db"), (lambda: None)
    assert pg_server
    made: list[str] = []

    def fresh(service: str) -> str:
        name = f"bench_{service}_{uuid.uuid4().hex[:6]}"
        _admin_sql(pg_server, f'CREATE DATABASE "{name}"')
        made.append(name)
        return make_url(pg_server).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        for name in made:
            _admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return fresh, drop


def start_with_retries(url: str, namespace: str, database_for: Callable[[str], str]) -> RunningPlatform:
    """start_platform, tried three times: on the shared machine five services importing at once
    can take longer than its 60 s wait for readiness."""
    # Readiness waited for up to 4 minutes: leads alone imports phonenumbers' geodata for
    # seconds, and the neighbours' load stretches that. (The timeout is the first default;
    # any later ones are kept.)
    tests.platform.wait_ready.__defaults__ = (240.0, *(tests.platform.wait_ready.__defaults__ or ())[1:])
    for attempt in range(3):
        try:
            return start_platform(url, namespace, database_for)
        except TimeoutError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def run_one(kind: str, pg_server: str | None) -> dict[str, Any]:
    server = NatsServerProcess()
    server.start()
    database_for, drop = databases_for(kind, pg_server)
    namespace = "bench" + uuid.uuid4().hex[:6]
    names = EventNames(namespace)
    result: dict[str, Any] = {"database": kind, "calls": CALLS, "concurrency": CONCURRENCY, "batch": BATCH}
    platform: RunningPlatform | None = None
    watcher: Watcher | None = None
    try:
        result["bare"] = asyncio.run(bare_rates(server.url, BASELINE))
        platform = start_with_retries(server.url, namespace, database_for)
        procs = processes_of(platform, server)
        watcher = Watcher(platform, procs)
        watcher.start()

        # Throughput: as fast as the platform takes them, until everything has caught up.
        bodies = records("t", CALLS)
        before = cpu_seconds(procs)
        t0 = time.monotonic()
        sent = batches(bodies, BATCH) if BATCH else bodies
        posted = asyncio.run(post_all(platform.gateway_url, sent, concurrency=CONCURRENCY, batch=bool(BATCH)))
        posting_done = time.monotonic()
        done = asyncio.run(caught_up(server.url, names, watcher, CATCH_UP_TIMEOUT))
        after = cpu_seconds(procs)
        days = {json.loads(b)["placed_at"][:10] for b in bodies}
        dials = daily_dials(platform.gateway_url, days)
        findings = asyncio.run(scalar(platform.database_url("qa"), "SELECT count(*) FROM violation"))
        callbacks = asyncio.run(scalar(platform.database_url("scheduling"), "SELECT count(*) FROM callback"))
        attempts = asyncio.run(scalar(platform.database_url("leads"), "SELECT count(*) FROM call_attempt"))
        if dials != CALLS or not findings or not callbacks or attempts != CALLS:
            raise AssertionError(f"not all visible: {dials} dials, {findings} findings, {callbacks} callbacks")
        rate = CALLS / (done - t0)
        settled = {s: round(watcher.settled_at(s, t0) - t0, 2) for s in SERVICES}
        result["throughput"] = {
            "calls_per_s": round(rate, 1),
            "ratio_to_bare_publish": round(rate / result["bare"]["publish_msgs_per_s"], 3),
            "accepted_per_s": round(CALLS / (posting_done - t0), 1),
            "seconds": round(done - t0, 2),
            "statuses": posted.statuses,
            "settled_s": settled,
            "last_to_settle": max(settled, key=lambda s: settled[s]),
            "cpu_ms_per_call": {n: round((after[n] - before[n]) * 1000 / CALLS, 2) for n in procs},
            "visible": {"daily_dials": dials, "findings": findings, "callbacks": callbacks, "attempts": attempts},
        }
        print(json.dumps({"database": kind, "throughput": result["throughput"]}), flush=True)

        # Latency at steady rates.
        keys = asyncio.run(call_projections(server.url, names, watcher))
        offset = CALLS
        for rate_wanted in RATES:
            count = int(rate_wanted * STEADY_SECONDS)
            bodies = records("s", count, start=offset)
            offset += count
            ids = [json.loads(b)["call_id"] for b in bodies]
            begin = time.monotonic()
            posted = asyncio.run(
                post_all(platform.gateway_url, bodies, concurrency=max(CONCURRENCY, 64), rate=rate_wanted)
            )
            achieved = count / (max(posted.answered_at) - begin)
            asyncio.run(caught_up(server.url, names, watcher, CATCH_UP_TIMEOUT))
            seqs = asyncio.run(call_ended_seqs(server.url, names, ids))
            steady: dict[str, Any] = {
                "wanted_per_s": rate_wanted,
                "achieved_per_s": round(achieved, 1),
                "post_to_202": percentiles([a - s for s, a in zip(posted.sent_at, posted.answered_at, strict=True)]),
            }
            everywhere: list[float] = []
            per_call_max = [0.0] * count
            for service in SERVICES:
                delays = []
                for i, seq in enumerate(seqs):
                    seen = watcher.visible_at(service, keys[service], seq, posted.sent_at[i])
                    if seen is not None:
                        delay = max(seen - posted.answered_at[i], 0.0)
                        delays.append(delay)
                        per_call_max[i] = max(per_call_max[i], delay)
                steady[f"visible_{service}"] = percentiles(delays)
            everywhere = per_call_max
            steady["visible_everywhere"] = percentiles(everywhere)
            result[f"steady_{int(rate_wanted)}"] = steady
            print(json.dumps({"database": kind, f"steady_{int(rate_wanted)}": steady}), flush=True)

        watcher.sample_memory()
        result["rss_peak_mb"] = {n: round(v / 2**20) for n, v in watcher.rss_peak.items()}
        if PROFILE and kind == DATABASES[0]:
            slowest = os.environ.get("BENCH_INGEST_PROFILE_SERVICE") or bottleneck(result["throughput"])
            result["profile"] = profile(platform, server, names, watcher, slowest, offset)
        return result
    finally:
        if watcher is not None:
            watcher.stop()
        if platform is not None:
            platform.stop()
        server.cleanup()
        drop()


def bottleneck(throughput: dict[str, Any]) -> str:
    """The consumer that caught up last; when every service caught up within a second of the
    last 202 (the consumers kept pace, taking calls in was the limit), the one spending the
    most CPU per call."""
    settled: dict[str, float] = throughput["settled_s"]
    posting = CALLS / throughput["accepted_per_s"]
    last = max(settled, key=lambda s: settled[s])
    if settled[last] > posting + 1.0:
        return last
    cpu: dict[str, float] = throughput["cpu_ms_per_call"]
    return max(SERVICES, key=lambda s: cpu[s])


# --- the profile --------------------------------------------------------------------------------


IDLE = {"select", "poll", "_run_once", "run_forever", "_worker", "wait", "acquire"}
SKIP = {"_find_and_load", "migrate", "run_migrations"}
SYNTHETIC = {"[self]", "[await]", "[out-of-context]", "[root]"}


def profile(
    platform: RunningPlatform, server: NatsServerProcess, names: EventNames, watcher: Watcher, service: str, offset: int
) -> dict[str, Any]:
    """Start ``service`` again under pyinstrument, post calls until it has caught up, stop it
    (SIGTERM: the profile is written on the way out) and list its top frames by own time."""
    from pyinstrument.session import Session

    out = Path(tempfile.mkdtemp(prefix="bench-profile-")) / f"{service}.pyisession"
    proc = platform.procs[service]
    proc.terminate()
    proc.wait(timeout=30)
    env = platform._service_env(service)
    log = open(platform.logs / f"{service}.profile.log", "ab")
    platform.procs[service] = subprocess.Popen(
        [sys.executable, "-m", "pyinstrument", "-r", "pyisession", "-o", str(out), "-i", "0.002", "-m", service],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from tests.platform import wait_ready

    wait_ready(platform.service_urls[service] + "/readyz")
    count = max(CALLS // 2, 200)
    bodies = records("p", count, start=offset)
    t0 = time.monotonic()
    asyncio.run(post_all(platform.gateway_url, bodies, concurrency=CONCURRENCY))
    done = asyncio.run(caught_up(server.url, names, watcher, CATCH_UP_TIMEOUT))
    # SIGINT: uvicorn stops, then raises the signal again, which pyinstrument takes as the end
    # of the program and writes its profile (SIGTERM raised again would kill it first).
    platform.procs[service].send_signal(signal.SIGINT)
    platform.procs[service].wait(timeout=60)
    if not out.exists():
        return {"service": service, "error": f"no profile written; see {platform.logs}/{service}.profile.log"}
    return {
        "service": service,
        "calls": count,
        "calls_per_s_while_profiled": round(count / (done - t0), 1),
        **summarize(Session.load(str(out))),
    }


def summarize(session: Any) -> dict[str, Any]:
    """A pyinstrument session's busy time (the event loop's wait left out): the frames that
    spend it themselves (mostly libraries' leaves), and the platform's own functions (libs/,
    services/) with everything they call."""
    own: dict[str, float] = {}
    ours: dict[str, float] = {}
    total = 0.0

    def idle(label: str) -> bool:
        return label.split(" ")[0] in IDLE or label.startswith("run (runners.py")

    def walk(frame: Any, stack: tuple[str, ...], mine: frozenset[str]) -> None:
        nonlocal total
        if frame.function in SKIP:  # start-up: imports and migrations, not the work measured
            return
        if frame.identifier in SYNTHETIC:  # [self]: own time of the frame above; [await]: idle
            if frame.identifier == "[self]" and stack and not idle(stack[-1]):
                spend(stack[-1], frame.time, mine)
            return
        label = f"{frame.function} ({Path(frame.file_path or '?').name}:{frame.line_no})"
        path = frame.file_path or ""
        if "/libs/" in path or "/services/" in path:
            mine = mine | {label}
        if not frame.children and not idle(label):
            spend(label, frame.time, mine)
        for child in frame.children:
            walk(child, (*stack, label), mine)

    def spend(label: str, seconds: float, mine: frozenset[str]) -> None:
        nonlocal total
        own[label] = own.get(label, 0.0) + seconds
        total += seconds
        for function in mine:
            ours[function] = ours.get(function, 0.0) + seconds

    root = session.root_frame()
    if root is not None:
        walk(root, (), frozenset())
    busy = total or 1.0
    return {
        "busy_s": round(total, 2),
        "top_own_time": [
            {"frame": k, "share": round(v / busy, 3)} for k, v in sorted(own.items(), key=lambda kv: -kv[1])[:15]
        ],
        "top_platform_inclusive": [
            {"frame": k, "share": round(v / busy, 3)} for k, v in sorted(ours.items(), key=lambda kv: -kv[1])[:25]
        ],
    }


# --- the table ----------------------------------------------------------------------------------


def commit() -> str:
    if os.environ.get("BENCH_INGEST_COMMIT"):  # measured on a snapshot of that commit
        return os.environ["BENCH_INGEST_COMMIT"]
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def table(results: list[dict[str, Any]]) -> str:
    machine = f"{host.machine()}, {psutil.cpu_count()} cores, {round(psutil.virtual_memory().total / 2**30)} GB"
    lines = [
        f"#### ingest, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}, {machine}",
        "",
        f"`make bench ONLY=ingest`: {CALLS} calls ({TURNS} turns) by {CONCURRENCY} connections"
        + (f", {BATCH} calls per POST /v1/calls/batch" if BATCH else "")
        + "; steady "
        f"{', '.join(str(int(r)) for r in RATES)} calls/s for {STEADY_SECONDS:g} s; load average at the end "
        f"{os.getloadavg()[0]:.1f} (the machine is shared).",
        "",
        "| figure | " + " | ".join(r["database"] for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label: str, *path: str, fmt: Callable[[Any], str] = str) -> None:
        cells = []
        for r in results:
            value: Any = r
            try:
                for key in path:
                    value = value[key]
                cells.append(fmt(value))
            except (KeyError, TypeError):
                cells.append("")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    row("bare publish msgs/s", "bare", "publish_msgs_per_s")
    row("bare fetch+ack msgs/s", "bare", "fetch_ack_msgs_per_s")
    row("**calls/s, first POST to all caught up**", "throughput", "calls_per_s", fmt=lambda v: f"**{v}**")
    row("ratio to bare publish", "throughput", "ratio_to_bare_publish")
    row("calls/s accepted (202)", "throughput", "accepted_per_s")
    row("last to catch up", "throughput", "last_to_settle")
    for s in SERVICES:
        row(f"{s}: caught up at s", "throughput", "settled_s", s)
    for n in (*SERVICES, "gateway", "nats-server", "client"):
        row(f"CPU ms per call: {n}", "throughput", "cpu_ms_per_call", n)
    for rate in RATES:
        key = f"steady_{int(rate)}"
        row(f"{int(rate)}/s: achieved", key, "achieved_per_s")
        row(f"{int(rate)}/s: POST to 202 p50/p99/max ms", key, "post_to_202", fmt=_ppm)
        for s in (*SERVICES, "everywhere"):
            row(f"{int(rate)}/s: 202 to visible in {s}", key, f"visible_{s}", fmt=_ppm)
    for n in (*SERVICES, "gateway", "nats-server"):
        row(f"peak RSS MB: {n}", "rss_peak_mb", n)
    for r in results:
        if "profile" in r:
            p = r["profile"]
            lines += ["", f"Profile of {p['service']} ({r['database']}, pyinstrument, own time, idle left out):", ""]
            lines += [f"- {f['share']:.1%} {f['frame']}" for f in p.get("top_own_time", [])[:12]]
            lines += ["", "The platform's own functions, with what they call:", ""]
            lines += [f"- {f['share']:.1%} {f['frame']}" for f in p.get("top_platform_inclusive", [])[:20]]
    return "\n".join(lines) + "\n"


def _ppm(p: dict[str, float]) -> str:
    return f"{p['p50_ms']:g} / {p['p99_ms']:g} / {p['max_ms']:g}" if p else "n/a"


# --- the soak: memory over a long steady run (issue 13: under 300 MB, no growth) -------------------

SOAK_SECONDS = float(os.environ.get("BENCH_INGEST_SOAK_SECONDS", "0"))
SOAK_RATE = float(os.environ.get("BENCH_INGEST_SOAK_RATE", "200"))
SOAK_WARMUP_SECONDS = float(os.environ.get("BENCH_INGEST_SOAK_WARMUP_SECONDS", "60"))
SOAK_SAMPLE_SECONDS = float(os.environ.get("BENCH_INGEST_SOAK_SAMPLE_SECONDS", "5"))
SOAK_CHUNK = 300  # calls generated at a time (a 10-minute run's bodies would not fit in memory at once)


@dataclass
class SoakPosted:
    accepted: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    post_to_202: list[float] = field(default_factory=list)


async def post_steadily(gateway_url: str, seconds: float, rate: float, prefix: str) -> SoakPosted:
    """Post finished calls for ``seconds`` on a steady schedule of ``rate`` per second (open loop,
    CONCURRENCY connections): call n is due at start + n / rate and is sent when it is due and a
    connection is free, so when the platform takes fewer than ``rate`` the achieved rate is what
    it takes. Bodies are made SOAK_CHUNK at a time, each chunk with its own leads (a lead gets
    three calls, as in the throughput run; ids begin with ``prefix``), so nothing grows in the client either."""
    host_port = (gateway_url.split("//")[1].split(":")[0], int(gateway_url.rsplit(":", 1)[1]))
    token = auth_headers()["Authorization"]
    posted = SoakPosted()
    start = time.monotonic()
    end = start + seconds
    bodies: list[bytes] = []
    next_call = 0

    def take() -> tuple[int, bytes]:
        nonlocal bodies, next_call
        if not bodies:
            bodies = records(f"{prefix}{next_call // SOAK_CHUNK}", SOAK_CHUNK, start=next_call)[::-1]
        next_call += 1
        return next_call - 1, bodies.pop()

    async def worker() -> None:
        conn = Connection(host_port, token)
        try:
            while True:
                n, body = take()
                due = start + n / rate
                if due >= end:
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                if time.monotonic() >= end:
                    return
                sent = time.monotonic()
                while True:
                    status, payload = await conn.post(body)
                    posted.statuses[status] = posted.statuses.get(status, 0) + 1
                    if status in (429, 502, 503, 504):
                        await asyncio.sleep(0.1)
                        continue
                    if status >= 300:
                        raise AssertionError(f"call refused: {status} {payload[:300]!r}")
                    break
                posted.accepted += 1
                posted.post_to_202.append(time.monotonic() - sent)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return posted


class MemorySampler(threading.Thread):
    """Every process's resident set size every SOAK_SAMPLE_SECONDS seconds (psutil), until stopped,
    and its anonymous part (RssAnon in /proc/<pid>/status: the heap, not pages of files such as
    SQLite's mapped WAL index or the nats-server's message blocks), which is where a leak shows."""

    def __init__(self, processes: dict[str, psutil.Process]) -> None:
        super().__init__(daemon=True)
        self.processes = processes
        self.samples: dict[str, list[tuple[float, float]]] = {n: [] for n in processes}  # (s, MB)
        self.anonymous: dict[str, list[tuple[float, float]]] = {n: [] for n in processes}
        self.stopping = threading.Event()

    def run(self) -> None:
        start = time.monotonic()
        while True:
            at = time.monotonic() - start
            for name, proc in self.processes.items():
                try:
                    self.samples[name].append((at, proc.memory_info().rss / 2**20))
                    self.anonymous[name].append((at, anonymous_rss_kb(proc.pid) / 2**10))
                except (psutil.Error, OSError, ValueError):
                    pass
            if self.stopping.wait(SOAK_SAMPLE_SECONDS):
                return

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


def anonymous_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    raise ValueError(f"no RssAnon for {pid}")


def rss_trend(samples: Sequence[tuple[float, float]]) -> dict[str, float]:
    """RSS at the start and end of the soak, its peak, and its slope in MB per minute by least
    squares over the second half of the samples (after the first half's settling: caches and
    pools filling up are not growth; what still rises in the second half is)."""
    if len(samples) < 4:
        return {}
    half = samples[len(samples) // 2 :]
    ts = [t / 60 for t, _ in half]
    mbs = [mb for _, mb in half]
    mean_t, mean_mb = statistics.fmean(ts), statistics.fmean(mbs)
    spread = sum((t - mean_t) ** 2 for t in ts)
    slope = sum((t - mean_t) * (mb - mean_mb) for t, mb in zip(ts, mbs, strict=True)) / spread if spread else 0.0
    return {
        "start_mb": round(samples[0][1], 1),
        "end_mb": round(samples[-1][1], 1),
        "peak_mb": round(max(mb for _, mb in samples), 1),
        "slope_mb_per_min": round(slope, 3),
    }


def soak_one(kind: str, pg_server: str | None) -> dict[str, Any]:
    """The platform as in run_one, warmed up for SOAK_WARMUP_SECONDS at the soak's rate, then
    SOAK_SECONDS at SOAK_RATE with every process's RSS sampled; then until everything has caught up
    (so the run also shows the platform kept what it took)."""
    server = NatsServerProcess()
    server.start()
    database_for, drop = databases_for(kind, pg_server)
    namespace = "soak" + uuid.uuid4().hex[:6]
    names = EventNames(namespace)
    result: dict[str, Any] = {"database": kind, "asked_per_s": SOAK_RATE, "seconds": SOAK_SECONDS}
    platform: RunningPlatform | None = None
    sampler: MemorySampler | None = None
    watcher: Watcher | None = None
    try:
        platform = start_with_retries(server.url, namespace, database_for)
        procs = processes_of(platform, server)
        procs.pop("client")
        warm = asyncio.run(post_steadily(platform.gateway_url, SOAK_WARMUP_SECONDS, SOAK_RATE, "w"))
        result["warmup_calls"] = warm.accepted
        sampler = MemorySampler(procs)
        sampler.start()
        before = cpu_seconds(procs)
        t0 = time.monotonic()
        posted = asyncio.run(post_steadily(platform.gateway_url, SOAK_SECONDS, SOAK_RATE, "k"))
        elapsed = time.monotonic() - t0
        sampler.stop()
        after = cpu_seconds(procs)
        result.update(
            calls=posted.accepted,
            achieved_per_s=round(posted.accepted / elapsed, 1),
            statuses=posted.statuses,
            post_to_202=percentiles(posted.post_to_202),
            cpu_share={n: round((after[n] - before[n]) / elapsed, 2) for n in procs},
            rss=dict(sorted((n, rss_trend(s)) for n, s in sampler.samples.items())),
            rss_anonymous={n: rss_trend(s) for n, s in sampler.anonymous.items()},
            samples=len(next(iter(sampler.samples.values()))),
        )
        watcher = Watcher(platform, processes_of(platform, server))
        watcher.start()
        t1 = time.monotonic()
        try:
            result["caught_up_after_s"] = round(
                asyncio.run(caught_up(server.url, names, watcher, CATCH_UP_TIMEOUT)) - t1, 1
            )
        except AssertionError as exc:
            result["caught_up_after_s"] = f"not within {CATCH_UP_TIMEOUT:g} s: {exc}"
        print(json.dumps({"soak": result}), flush=True)
        return result
    finally:
        if sampler is not None and sampler.is_alive():
            sampler.stop()
        if watcher is not None:
            watcher.stop()
        if platform is not None:
            platform.stop()
        server.cleanup()
        drop()


def soak_table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"#### ingest soak, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, commit {commit()}",
        "",
        f"`BENCH_INGEST_SOAK_SECONDS={SOAK_SECONDS:g} BENCH_INGEST_SOAK_RATE={SOAK_RATE:g} make bench ONLY=ingest`: "
        f"warm-up {SOAK_WARMUP_SECONDS:g} s, RSS sampled every {SOAK_SAMPLE_SECONDS:g} s, slope by least squares "
        f"over the second half; load average at the end {os.getloadavg()[0]:.1f}.",
        "",
    ]
    for r in results:
        lines += [
            f"{r['database']}: asked {r['asked_per_s']:g} calls/s, achieved {r['achieved_per_s']} "
            f"({r['calls']} calls in {r['seconds']:g} s after {r['warmup_calls']} in the warm-up); "
            f"POST to 202 {_ppm(r['post_to_202'])} ms; caught up {r['caught_up_after_s']} s after the last POST.",
            "",
            "| process | RSS at start MB | at end MB | peak MB | slope MB/min (2nd half) "
            "| anonymous RSS start / end MB, slope MB/min | CPU (cores) |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, trend in r["rss"].items():
            anon = r.get("rss_anonymous", {}).get(name) or {}
            anonymous = f"{anon['start_mb']} / {anon['end_mb']}, {anon['slope_mb_per_min']}" if anon else ""
            if trend:
                lines.append(
                    f"| {name} | {trend['start_mb']} | {trend['end_mb']} | {trend['peak_mb']} | "
                    f"{trend['slope_mb_per_min']} | {anonymous} | {r['cpu_share'].get(name, '')} |"
                )
        lines.append("")
    return "\n".join(lines)


def main() -> dict[str, Any]:
    pg_server = os.environ.get("TEST_DATABASE_URL")
    if SOAK_SECONDS:  # the soak instead of the throughput run
        soaked = [
            soak_one(k, pg_server) for k in DATABASES if k != "postgresql" or (pg_server or "").startswith("postgres")
        ]
        if RESULTS:
            with Path(RESULTS).open("a") as f:
                f.write(soak_table(soaked) + "\n")
        return {"ingest_soak": soaked}
    results = []
    for kind in DATABASES:
        if kind == "postgresql" and not (pg_server and pg_server.startswith("postgres")):
            continue
        results.append(run_one(kind, pg_server))
    if RESULTS:
        path = Path(RESULTS)
        head = "" if path.exists() else "# Benchmark results\n\nNewest last. Each run names its commit.\n\n"
        with path.open("a") as f:
            f.write(head + table(results) + "\n")
    return {"ingest": results}
