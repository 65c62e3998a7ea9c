"""Building blocks of the chaos scenarios: a client that posts calls the way a dialer does
(retrying what was not accepted), a killer, a wait for every projection to catch up, a check
of every accepted call in every projection, and a comparison of each service's tables with a
clean rebuild from the log."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import nats
from common.db import create_engine
from common.eventstore import EventNames
from common.testing import _admin_sql, _created
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy import MetaData, inspect, text
from sqlalchemy.engine import make_url

from tests.platform import ROOT, SERVICES, RunningPlatform, gateway_client

DATASET = ROOT.parent / "shared" / "datasets" / "qa-dev"
OWNERS = ("leads", "calls", "scheduling", "qa")

# What a rebuild may legitimately differ in, and why (everything else must be equal).
IGNORED_TABLES = {
    "alembic_version": "migration bookkeeping, not a projection",
    "dead_letter": "the runner's bookkeeping; compared separately: the copy's is emptied before the rebuild, "
    "which must dead-letter exactly the same events again",
    "outbox": "publish state of side effects (the older per-service outbox): a rebuild enqueues again and never "
    "publishes; what was published is checked in the log instead (the callback book, the leads stream)",
    "outbox_message": "as outbox (common.outbox): live rows are stamped published and purged after a retention",
    "import_job": "lead imports are commands with their own state, not a projection of the log",
    "import_row": "as import_job",
    "import_fingerprint": "as import_job",
}
IGNORED_COLUMNS = {
    "updated_at": "the wall-clock time of the write, not a fact from the log",
    "checked_at": "when QA ran its rules over the call (a rebuild checks again, later)",
    "holder": "the projection lease: which process held it",
    "lease_until": "the projection lease's expiry",
    "id": "a surrogate key from a sequence (lead_tier_history, lead_assignment): PostgreSQL does not restart a "
    "sequence when a rebuild deletes the rows; the rest of each row is compared as a multiset",
}
# Compared before and after events are published again (duplicates): the checkpoints legitimately
# move past the copies, nothing else may change.
CHECKPOINT_TABLE = "projection_checkpoint"


def say(message: str) -> None:
    print(f"[chaos] {message}", flush=True)


# --- calls in ------------------------------------------------------------------------------


def call_records(prefix: str, count: int, *, leads: int = 97, start: int = 0) -> list[dict[str, Any]]:
    """``count`` finished-call records in the partner's shape, cycling through the labelled
    dataset (successes, refusals, appointments, callbacks, complaints, QA violations), each
    with its own call id (numbered from ``start``); leads recur so repeat calls and per-lead
    state are exercised."""
    templates = [json.loads(p.read_text()) for p in sorted(DATASET.glob("dev-*.json"))]
    if not templates:
        raise RuntimeError(f"no dataset at {DATASET}")
    records = []
    for i in range(start, start + count):
        record = copy.deepcopy(templates[i % len(templates)])
        record.pop("expected", None)
        record["call_id"] = f"{prefix}-{i:05d}"
        record["lead"]["id"] = f"{prefix}-l-{i % leads}"
        with_appointment_time(record)
        records.append(record)
    return records


def with_appointment_time(record: dict[str, Any]) -> dict[str, Any]:
    """The labelled dataset predates ``appointment_at``: an appointment made on a call now says
    when (three days later at 10:00), as a partner's dialer does."""
    if record.get("disposition") == "appointment" and not record.get("appointment_at"):
        placed = dt.datetime.fromisoformat(record["placed_at"])
        record["appointment_at"] = (placed + dt.timedelta(days=3)).replace(hour=10, minute=0).isoformat()
    return record


@dataclass
class Posted:
    accepted: dict[str, int] = field(default_factory=dict)  # call id -> the 2xx it finally got
    accepted_at: dict[str, float] = field(default_factory=dict)  # call id -> time.monotonic() of that 2xx
    statuses: Counter[int] = field(default_factory=Counter)  # every answer, retries included
    server_errors: list[str] = field(default_factory=list)  # 500s: always a defect
    given_up: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        return sum(self.statuses.values()) - len(self.accepted) - len(self.given_up)


def post_calls(
    gateway_url: str,
    records: Sequence[dict[str, Any]],
    *,
    rate: float,
    workers: int = 8,
    give_up_after: float = 180.0,
    stop: threading.Event | None = None,
) -> Posted:
    """Post every record at about ``rate`` per second, each until it is accepted (2xx), as a
    dialer honouring 503/Retry-After does; the same call id every time, so a retry of a call
    that was in fact stored is answered 200 "duplicate" and counted once."""
    posted = Posted()
    lock = threading.Lock()
    start = time.monotonic()

    def one(index: int, record: dict[str, Any], client: httpx.Client) -> None:
        time.sleep(max(0.0, start + index / rate - time.monotonic()))
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            try:
                resp = client.post("/v1/calls", json=record)
            except httpx.HTTPError:
                time.sleep(0.2)
                continue
            with lock:
                posted.statuses[resp.status_code] += 1
                if resp.status_code >= 500 and resp.status_code not in (502, 503, 504):
                    posted.server_errors.append(f"{record['call_id']}: {resp.status_code} {resp.text[:200]}")
            if 200 <= resp.status_code < 300:
                with lock:
                    posted.accepted[record["call_id"]] = resp.status_code
                    posted.accepted_at[record["call_id"]] = time.monotonic()
                return
            if 400 <= resp.status_code < 500:
                raise AssertionError(f"{record['call_id']} refused: {resp.status_code} {resp.text[:300]}")
            time.sleep(float(resp.headers.get("retry-after", "0.2")) if resp.status_code == 503 else 0.2)
        with lock:
            posted.given_up.append(record["call_id"])

    clients = [gateway_client(gateway_url) for _ in range(workers)]
    try:
        with ThreadPoolExecutor(workers) as pool:
            futures = [pool.submit(one, i, r, clients[i % workers]) for i, r in enumerate(records)]
            for future in futures:
                future.result()
    finally:
        for client in clients:
            client.close()
    return posted


def create_leads(gateway_url: str, records: Sequence[dict[str, Any]], *, prefix: int = 139) -> list[str]:
    """A lead in the leads service for each record, owned by the record's agent, and the record
    made to call it (its id and number): the calls then have leads events behind them (created,
    tier changed after the call, opted out after refusals) for every consumer of TM_LEADS."""
    lead_ids = []
    with gateway_client(gateway_url) as client:
        for i, record in enumerate(records):
            phone = f"+86{prefix}{i:08d}"
            body = {"name": "张伟", "phones": [phone], "owner_agent_id": record["agent"]["id"]}
            resp = client.post("/v1/leads", json=body)
            if resp.status_code not in (200, 201):
                raise AssertionError(f"lead for {record['call_id']} refused: {resp.status_code} {resp.text[:300]}")
            lead_id = str(resp.json()["lead_id"])
            record["lead"] = {**record["lead"], "id": lead_id, "phone": phone}
            lead_ids.append(lead_id)
    return lead_ids


def post_concurrently(gateway_url: str, record: dict[str, Any], times: int) -> Counter[int]:
    """The same record posted ``times`` times at once (threads released together by a
    barrier), as a dialer retrying on several connections would. Returns the answers."""
    barrier = threading.Barrier(times)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()

    def one() -> None:
        with gateway_client(gateway_url) as client:
            barrier.wait()
            status = client.post("/v1/calls", json=record).status_code
        with lock:
            statuses[status] += 1

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


# --- failures ------------------------------------------------------------------------------


class Killer(threading.Thread):
    """Kills services with SIGKILL at random moments and starts them again ``down`` seconds
    later, until each has been killed ``kills_per_service`` times or it is stopped."""

    def __init__(
        self,
        platform: RunningPlatform,
        services: Iterable[str],
        *,
        kills_per_service: int,
        every: tuple[float, float] = (0.5, 2.0),
        down: float = 0.5,
        seed: int | None = None,
    ) -> None:
        super().__init__(daemon=True)
        self.platform = platform
        self.left = dict.fromkeys(services, kills_per_service)
        self.every = every
        self.down = down
        self.random = random.Random(seed)
        self.kills: Counter[str] = Counter()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            candidates = [s for s, n in self.left.items() if n > 0]
            if not candidates:
                return
            if self.stopping.wait(self.random.uniform(*self.every)):
                return
            service = self.random.choice(candidates)
            self.platform.kill(service)
            self.kills[service] += 1
            self.left[service] -= 1
            time.sleep(self.down)
            self.platform.start(service)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=30)


def memory(platform: RunningPlatform, services: Iterable[str] = (*SERVICES, "gateway")) -> dict[str, int]:
    """Resident memory (RSS, bytes) of each service's process and its children."""
    import psutil

    sizes = {}
    for service in services:
        process = psutil.Process(platform.procs[service].pid)
        sizes[service] = sum(p.memory_info().rss for p in (process, *process.children(recursive=True)))
    return sizes


# --- catching up ---------------------------------------------------------------------------


def _column_names(conn: Any, table: str) -> list[str]:
    return [col["name"] for col in inspect(conn).get_columns(table)]


async def _checkpoints(database_url: str) -> tuple[dict[str, int], int]:
    """The service's projection checkpoints, and how many outbox rows wait to be published."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT projection, last_seq FROM projection_checkpoint"))).all()
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
            waiting = 0
            for outbox in ("outbox", "outbox_message"):  # a service's own (older) outbox, common.outbox
                if outbox not in tables:
                    continue
                columns = await conn.run_sync(_column_names, outbox)
                unpublished = " WHERE published_at IS NULL" if "published_at" in columns else ""
                count = (await conn.execute(text(f"SELECT count(*) FROM {outbox}{unpublished}"))).scalar()
                waiting += int(count or 0)
            return {str(p): int(s) for p, s in rows}, waiting
    finally:
        await engine.dispose()


async def lag(platform: RunningPlatform) -> tuple[list[str], tuple[int, ...]]:
    """What is still behind (a consumer with pending messages, a checkpoint short of what its
    consumer delivered, an outbox row unpublished), and every stream's last sequence."""
    names = EventNames(platform.env["EVENT_NAMESPACE"])
    checkpoints: dict[str, int] = {}
    behind: list[str] = []
    for service in SERVICES:
        found, waiting = await _checkpoints(platform.database_url(service))
        checkpoints.update(found)
        if waiting:
            behind.append(f"{service}: {waiting} outbox rows unpublished")
    nc = await nats.connect(platform.env["NATS_URL"].split(","))
    try:
        js = nc.jetstream()
        last_seqs = []
        for owner in OWNERS:
            stream = names.stream(owner)
            last_seqs.append((await js.stream_info(stream)).state.last_seq)
            for info in await js.consumers_info(stream):
                name = info.name
                if not info.config.durable_name or name.endswith("-rebuild"):
                    continue
                key = f"{name[: -(len(owner) + 1)]}@{stream}"
                done = checkpoints.get(key, 0)
                delivered = info.delivered.stream_seq if info.delivered else 0
                # A clustered consumer reports its delivered stream sequence past the messages
                # its filter skipped, so what it can have delivered ends at its last match.
                delivered = min(delivered or 0, await _last_match(js, stream, info.config))
                if info.num_pending or done < delivered:
                    behind.append(f"{key}: pending {info.num_pending}, delivered {delivered}, applied {done}")
        return behind, tuple(last_seqs)
    finally:
        await nc.close()


async def _last_match(js: JetStreamContext, stream: str, config: ConsumerConfig) -> int:
    """The stream sequence of the last message the consumer's filter takes (0: none)."""
    last = 0
    for subject in config.filter_subjects or [config.filter_subject or ">"]:
        try:
            last = max(last, (await js.get_last_msg(stream, subject)).seq or 0)
        except NotFoundError:
            pass
    return last


def wait_caught_up(platform: RunningPlatform, timeout: float = 240.0) -> float:
    """Until every projection of every service has applied everything in the log and nothing
    waits in an outbox, twice in a row with no new event in between. Returns the seconds."""
    start = time.monotonic()
    previous: tuple[int, ...] | None = None
    behind: list[str] = []
    while time.monotonic() - start < timeout:
        try:
            behind, last = asyncio.run(lag(platform))
        except Exception as exc:  # a service restarting, a database being created
            behind, last = [f"{type(exc).__name__}: {exc}"], ()
        if not behind and last == previous:
            return time.monotonic() - start
        previous = last if not behind else None
        time.sleep(1.0)
    raise AssertionError(f"projections did not catch up in {timeout}s: {behind[:10]}")


# --- the log, read and published again ---------------------------------------------------


async def _read_stream(js: Any, stream: str, subjects: str) -> list[Any]:
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    psub = await js.pull_subscribe(
        subjects,
        stream=stream,
        config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, mem_storage=True),
    )
    try:
        pending = (await psub.consumer_info()).num_pending or 0
        messages: list[Any] = []
        while pending > 0:
            batch = await psub.fetch(min(pending, 500), timeout=10)
            messages += batch
            pending = batch[-1].metadata.num_pending
        return messages
    finally:
        await psub.unsubscribe()


async def _publish_again(platform: RunningPlatform, owners: Sequence[str]) -> Counter[str]:
    names = EventNames(platform.env["EVENT_NAMESPACE"])
    nc = await nats.connect(platform.env["NATS_URL"].split(","))
    try:
        js = nc.jetstream()
        published: Counter[str] = Counter()
        for owner in owners:
            for msg in await _read_stream(js, names.stream(owner), names.stream_subjects(owner)):
                headers = {k: v for k, v in (msg.headers or {}).items() if not k.lower().startswith("nats-")}
                # The same event (same ce-id, same body), under a message id JetStream has not seen:
                # what it stores when a publisher retries after the duplicate window has passed.
                headers["Nats-Msg-Id"] = f"{headers.get('ce-id', '')}/again-{uuid.uuid4().hex[:8]}"
                ack = await js.publish(msg.subject, msg.data, headers=headers, stream=names.stream(owner))
                if ack.duplicate:
                    raise AssertionError(f"JetStream dropped the copy of {msg.subject} as a duplicate")
                published[str(headers.get("ce-type"))] += 1
        return published
    finally:
        await nc.close()


def publish_log_again(platform: RunningPlatform, owners: Sequence[str] = OWNERS) -> Counter[str]:
    """Every event stored in the owners' streams, published once more with its own ce-id and
    body but a new ``Nats-Msg-Id``: as if each publisher had retried after the 2-minute
    duplicate window. Returns how many of each type were published again."""
    return asyncio.run(_publish_again(platform, owners))


# --- every accepted call, once, everywhere --------------------------------------------------

# Where each service keeps one row per call it has taken in (table, key column, condition).
CALL_ROWS = {
    "calls": ("calls", "call_id", "status = 'ended'"),
    "reporting": ("call_facts", "call_id", "placed = 1"),
    "qa": ("qa_call", "call_id", "1 = 1"),
    "leads": ("call_attempt", "call_id", "1 = 1"),
}


async def _call_counts(database_url: str, table: str, key: str, condition: str) -> Counter[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(f"SELECT {key} FROM {table} WHERE {condition}"))).scalars().all()
        return Counter(str(r) for r in rows)
    finally:
        await engine.dispose()


def check_calls_everywhere(platform: RunningPlatform, accepted: Iterable[str]) -> list[str]:
    """Every accepted call is in each service's per-call table exactly once, and nothing else
    of this run is there; the daily report counts each dial once."""
    wanted = set(accepted)
    problems: list[str] = []
    for service, (table, key, condition) in CALL_ROWS.items():
        counts = asyncio.run(_call_counts(platform.database_url(service), table, key, condition))
        missing = wanted - set(counts)
        twice = [c for c, n in counts.items() if n > 1]
        say(f"{service}.{table}: {len(wanted & set(counts))} of {len(wanted)} accepted calls, once each")
        if missing:
            problems.append(f"{service}.{table} lacks {len(missing)} accepted calls, e.g. {sorted(missing)[:5]}")
        if twice:
            problems.append(f"{service}.{table} holds {len(twice)} calls twice, e.g. {twice[:5]}")
    return problems


async def _scalar(database_url: str, query: str) -> float:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return float((await conn.execute(text(query))).scalar() or 0)
    finally:
        await engine.dispose()


# Counters that must agree with what they count, within a service and across services: a fact
# applied twice (a redelivery, a copy of an event published again) shows as a sum too high.
# (label, service, query) pairs, compared two by two.
COUNTS = (
    (
        ("leads: attempts counted on the leads", "leads", "SELECT sum(attempts) FROM lead_contact"),
        ("leads: calls attempted", "leads", "SELECT count(*) FROM call_attempt"),
    ),
    (
        ("qa: calls seen by sampling", "qa", "SELECT sum(seen) FROM sample_counter"),
        ("qa: connected calls ended", "qa", "SELECT count(*) FROM qa_call WHERE connected AND ended IS NOT NULL"),
    ),
    (
        ("reporting: findings counted", "reporting", "SELECT sum(violations_found) FROM call_facts"),
        ("qa: findings", "qa", "SELECT count(*) FROM violation"),
    ),
    (
        (
            "reporting: fines and deductions counted",
            "reporting",
            "SELECT sum(fines_agent + fines_supervisor + complaint_deductions) FROM call_facts",
        ),
        ("qa: fines and deductions", "qa", "SELECT sum(amount) FROM fine"),
    ),
    (
        ("reporting: callbacks counted", "reporting", "SELECT count(*) FROM callback_facts WHERE scheduled = 1"),
        ("scheduling: callbacks booked", "scheduling", "SELECT count(*) FROM callback"),
    ),
)


def check_counts(platform: RunningPlatform) -> list[str]:
    """Every counter in ``COUNTS`` equals what it counts."""
    problems = []
    for (label_a, service_a, query_a), (label_b, service_b, query_b) in COUNTS:
        a = asyncio.run(_scalar(platform.database_url(service_a), query_a))
        b = asyncio.run(_scalar(platform.database_url(service_b), query_b))
        say(f"{label_a} {a:g}, {label_b} {b:g}")
        if a != b:
            problems.append(f"{label_a} {a:g} but {label_b} {b:g}")
    return problems


def daily_dials(gateway_url: str, days: Iterable[str]) -> int:
    total = 0
    with gateway_client(gateway_url) as client:
        for day in sorted(set(days)):
            resp = client.get("/v1/reports/daily", params={"date": day})
            resp.raise_for_status()
            total += sum(int(row["dials"]) for row in resp.json()["rows"])
    return total


# --- the callback book equals its own log ---------------------------------------------------

# The status a callback has after each of its events.
_STATUS_AFTER = {
    "CallbackScheduled": "scheduled",
    "CallbackDue": "due",
    "CallbackDone": "done",
    "CallbackMissed": "missed",
    "CallbackCancelled": "cancelled",
}


async def _scheduling_log(platform: RunningPlatform) -> dict[str, dict[str, Any]]:
    """Every callback as TM_SCHEDULING tells it: status and due time after its last event."""
    from common.envelope import Envelope
    from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

    names = EventNames(platform.env["EVENT_NAMESPACE"])
    nc = await nats.connect(platform.env["NATS_URL"].split(","))
    try:
        js = nc.jetstream()
        psub = await js.pull_subscribe(
            names.stream_subjects("scheduling"),
            stream=names.stream("scheduling"),
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, mem_storage=True),
        )
        pending = (await psub.consumer_info()).num_pending or 0
        book: dict[str, dict[str, Any]] = {}
        while pending > 0:
            for msg in await psub.fetch(min(pending, 500), timeout=10):
                envelope = Envelope.from_message(msg.headers, msg.data)
                data = envelope.data
                state = book.setdefault(str(data["callback_id"]), {})
                if envelope.type in _STATUS_AFTER:
                    state["status"] = _STATUS_AFTER[envelope.type]
                if envelope.type in ("CallbackScheduled", "CallbackRescheduled"):
                    state["due_at"] = _normal(dt.datetime.fromisoformat(str(data["due_at"])))
                pending = msg.metadata.num_pending
        await psub.unsubscribe()
        return book
    finally:
        await nc.close()


async def _callback_rows(database_url: str) -> dict[str, dict[str, Any]]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT callback_id, status, due_at FROM callback"))).mappings().all()
        return {str(r["callback_id"]): {"status": r["status"], "due_at": _normal(_moment(r["due_at"]))} for r in rows}
    finally:
        await engine.dispose()


def _moment(value: Any) -> Any:
    """A timestamp as raw SQL returns it (SQLite: text) as a datetime."""
    return dt.datetime.fromisoformat(value) if isinstance(value, str) else value


def check_callback_book(platform: RunningPlatform) -> list[str]:
    """Scheduling's callback book is its own aggregate (state-stored, published through an
    outbox), not a projection of other services' events: a rebuild leaves it as it stands. Its
    log is TM_SCHEDULING, so the book must equal that log folded: the same callbacks, each with
    the status and due time its last event gave it (nothing decided and left unpublished,
    nothing published twice into a different state)."""
    log = asyncio.run(_scheduling_log(platform))
    book = asyncio.run(_callback_rows(platform.database_url("scheduling")))
    problems = []
    for callback_id in sorted(set(log) | set(book)):
        if log.get(callback_id) != book.get(callback_id):
            problems.append(f"callback {callback_id}: book {book.get(callback_id)}, log {log.get(callback_id)}")
    say(f"scheduling: {len(book)} callbacks in the book, {len(log)} in TM_SCHEDULING, {len(problems)} differ")
    return problems[:20]


# --- projections equal a rebuild ------------------------------------------------------------


def _copy_database(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        source = Path(parsed.database or "")
        target = source.with_name(f"rebuild-{uuid.uuid4().hex[:8]}.db")
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        return parsed.set(database=str(target)).render_as_string(hide_password=False)
    name = "r_" + uuid.uuid4().hex[:16]
    server = parsed.set(database="postgres").render_as_string(hide_password=False)
    _admin_sql(server, f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
    _created.append((server, name))  # dropped with the test's other databases
    return parsed.set(database=name).render_as_string(hide_password=False)


def _normal(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return round(float(value), 6)
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON kept as text by SQLite
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


@dataclass
class TableDump:
    """A table's rows, normalised; ``key`` names the primary-key columns when they are all compared."""

    key: tuple[str, ...]
    rows: list[dict[str, Any]]


Dump = dict[str, TableDump]


async def dump_tables(database_url: str, *, skip: Iterable[str] = ()) -> Dump:
    """Every table but the ignored ones, every row, without the ignored columns."""
    skipped = set(IGNORED_TABLES) | set(skip)
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            metadata = MetaData()
            await conn.run_sync(metadata.reflect)
            tables: Dump = {}
            for table in metadata.sorted_tables:
                if table.name in skipped:
                    continue
                columns = sorted(c.name for c in table.columns if c.name not in IGNORED_COLUMNS)
                key = tuple(c.name for c in table.primary_key.columns)
                rows = (await conn.execute(table.select())).mappings().all()
                tables[table.name] = TableDump(
                    key=key if key and all(k in columns for k in key) else (),
                    rows=[{c: _normal(row[c]) for c in columns} for row in rows],
                )
            return tables
    finally:
        await engine.dispose()


def diff_tables(service: str, have: Dump, want: Dump, *, have_name: str, want_name: str) -> list[str]:
    """Every difference between two dumps, one line per differing row (``have`` against
    ``want``): rows only one side holds, and for keyed tables the columns that differ."""
    problems: list[str] = []
    for name in sorted(set(have) | set(want)):
        mine = have.get(name, TableDump((), []))
        theirs = want.get(name, TableDump((), []))
        key = mine.key or theirs.key
        lines: list[str] = []
        if key:
            by_key = {tuple(r[k] for k in key): r for r in mine.rows}
            wanted = {tuple(r[k] for k in key): r for r in theirs.rows}
            for k in sorted(set(by_key) | set(wanted), key=repr):
                a, b = by_key.get(k), wanted.get(k)
                if a == b:
                    continue
                if a is None:
                    lines.append(f"  {dict(zip(key, k, strict=True))}: only in {want_name}: {b}")
                elif b is None:
                    lines.append(f"  {dict(zip(key, k, strict=True))}: only in {have_name}: {a}")
                else:
                    cols = {c: (a.get(c), b.get(c)) for c in sorted(set(a) | set(b)) if a.get(c) != b.get(c)}
                    shown = ", ".join(f"{c} {have_name}={x!r} {want_name}={y!r}" for c, (x, y) in cols.items())
                    lines.append(f"  {dict(zip(key, k, strict=True))}: {shown}")
        else:
            count_a = Counter(tuple(sorted(r.items())) for r in mine.rows)
            count_b = Counter(tuple(sorted(r.items())) for r in theirs.rows)
            lines += [f"  {n}x only in {have_name}: {dict(r)}" for r, n in (count_a - count_b).items()]
            lines += [f"  {n}x only in {want_name}: {dict(r)}" for r, n in (count_b - count_a).items()]
        if lines:
            problems.append(f"{service}.{name}: {len(lines)} rows differ ({have_name} vs {want_name})")
            say(f"{service}.{name}: {len(lines)} rows differ ({have_name} vs {want_name}):")
            for line in lines[:50]:
                say(line)
            if len(lines) > 50:
                say(f"  ... and {len(lines) - 50} more")
    return problems


async def dead_letters(database_url: str) -> list[dict[str, Any]]:
    """The dead letters, oldest first: projection, stream, sequence, type and reason."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            query = "SELECT projection, stream, stream_seq, event_type, reason FROM dead_letter ORDER BY id"
            return [dict(r) for r in (await conn.execute(text(query))).mappings().all()]
    finally:
        await engine.dispose()


async def _forget_dead_letters(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DELETE FROM dead_letter"))
    finally:
        await engine.dispose()


def rebuild_copy(platform: RunningPlatform, service: str) -> str:
    """A copy of the service's database, rebuilt from the log by ``python -m <service> rebuild``.
    The copy's dead letters are emptied first (a rebuild leaves the table alone), so what the
    rebuild dead-letters is its own finding."""
    copy_url = _copy_database(platform.database_url(service))
    asyncio.run(_forget_dead_letters(copy_url))
    env = dict(platform._service_env(service), DATABASE_URL=copy_url)
    done = subprocess.run(
        [sys.executable, "-m", service, "rebuild"], env=env, cwd=ROOT, capture_output=True, timeout=600
    )
    if done.returncode:
        raise AssertionError(f"{service} rebuild failed: {done.stderr.decode(errors='replace')[-3000:]}")
    return copy_url


def _letter_keys(letters: Iterable[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {(d["projection"], d["stream"], int(d["stream_seq"]), d["event_type"]) for d in letters}


def compare_with_rebuild(platform: RunningPlatform, services: Iterable[str] = SERVICES) -> tuple[list[str], int]:
    """Each service (stopped) against a rebuild of a copy of its database: every table, every
    row, and the same events dead-lettered. Returns the differences (each differing row is
    printed) and the number of rows compared."""
    problems: list[str] = []
    rows_compared = 0
    services = list(services)
    # The rebuilds are separate processes on separate databases: run together, they take the
    # time of the slowest rather than the sum.
    with ThreadPoolExecutor(len(services)) as pool:
        rebuilt_urls = dict(zip(services, pool.map(lambda s: rebuild_copy(platform, s), services), strict=True))
    for service in services:
        live_url = platform.database_url(service)
        rebuilt_url = rebuilt_urls[service]
        live = asyncio.run(dump_tables(live_url))
        rebuilt = asyncio.run(dump_tables(rebuilt_url))
        problems += diff_tables(service, live, rebuilt, have_name="live", want_name="rebuild")
        live_letters, rebuilt_letters = asyncio.run(dead_letters(live_url)), asyncio.run(dead_letters(rebuilt_url))
        if _letter_keys(live_letters) != _letter_keys(rebuilt_letters):
            only_live = sorted(_letter_keys(live_letters) - _letter_keys(rebuilt_letters))
            only_rebuilt = sorted(_letter_keys(rebuilt_letters) - _letter_keys(live_letters))
            problems.append(
                f"{service}: dead letters differ: only live {only_live[:10]}, only after a rebuild {only_rebuilt[:10]}"
            )
        service_rows = sum(len(t.rows) for t in rebuilt.values())
        rows_compared += service_rows
        say(f"{service}: {len(live)} tables, {service_rows} rows compared with a rebuild from the log")
    return problems, rows_compared


def check_no_dead_letters(platform: RunningPlatform, services: Iterable[str] = SERVICES) -> list[str]:
    """Where every input is valid, a dead letter is an event some projection never applied."""
    problems = []
    for service in services:
        for letter in asyncio.run(dead_letters(platform.database_url(service))):
            problems.append(
                f"{service}: dead-lettered {letter['event_type']} {letter['stream']}#{letter['stream_seq']} "
                f"({letter['projection']}): {str(letter['reason'])[:200]}"
            )
    return problems


def snapshot(platform: RunningPlatform, services: Iterable[str] = SERVICES) -> dict[str, Dump]:
    """Every projection table of every service (checkpoints left out: they move with every event)."""
    return {s: asyncio.run(dump_tables(platform.database_url(s), skip=[CHECKPOINT_TABLE])) for s in services}


def diff_snapshots(before: dict[str, Dump], after: dict[str, Dump]) -> list[str]:
    problems: list[str] = []
    for service in sorted(set(before) | set(after)):
        problems += diff_tables(
            service, after.get(service, {}), before.get(service, {}), have_name="after", want_name="before"
        )
    return problems


def stop_services(platform: RunningPlatform, services: Sequence[str] = SERVICES) -> None:
    """SIGTERM and wait: the databases are then quiet for copying."""
    for service in services:
        proc = platform.procs[service]
        if proc.poll() is None:
            proc.terminate()
    for service in services:
        platform.procs[service].wait(timeout=30)
