"""Erasure of a lead's personal data (issue 12), proven on the whole platform: every service as its
own process, a nats-server of the test's own (so its JetStream files on disk can be read too) and
SQLite databases in files.

A lead with a distinctive name and number is created, calls to it are posted whose transcript has
the customer say the name and the number aloud and the agent address them by name (a QA-01
finding, confirmed, so a fine), then the lead's personal data is erased. Every projection is
rebuilt from the first event, and then every table of every database, every database file on disk
(SQLite files and their -wal), every message of every stream (headers and body, raw bytes), the
JetStream store's files and the services' logs are searched for the name and the number in every
encoding we could think of: nothing is found. The daily table is the same before and after.

Before the erasure the same search finds the name and number in the leads and calls databases:
the search itself is shown to work."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from common.db import create_engine
from common.privacy import name_digest, number_digest
from common.settings import ServiceSettings
from common.testing import NatsServerProcess, ProvisionedDatabase
from sqlalchemy import MetaData

from tests.platform import ROOT, SERVICES, RunningPlatform, gateway_client, start_platform, wait_ready

pytestmark = pytest.mark.e2e

NAME = "澹台明澈"  # a rare compound surname: found nowhere unless it leaked
GIVEN = "明澈"
SURNAME = "澹台"
E164 = "+8613912345678"
NATIONAL = "13912345678"
MASKED = "139****5678"
DAY = "2026-11-20"


def needles() -> dict[str, bytes]:
    """The name and number as bytes, in every form they could take."""
    key = ServiceSettings().pii_key
    texts = {
        "name": NAME,
        "given name": GIVEN,
        "surname": SURNAME,
        "e164": E164,
        "national number": NATIONAL,
        "masked number": MASKED,
        "spaced number": "139 1234 5678",
        "dashed number": "139-1234-5678",
        "number digest": number_digest(key, E164),
        "name digest": name_digest(key, NAME) or "",
    }
    out: dict[str, bytes] = {}
    for label, text in texts.items():
        out[f"{label} utf-8"] = text.encode()
        if not text.isascii():
            out[f"{label} gb18030"] = text.encode("gb18030")
            out[f"{label} utf-16-le"] = text.encode("utf-16-le")
            out[f"{label} utf-16-be"] = text.encode("utf-16-be")
            out[f"{label} json escape"] = json.dumps(text)[1:-1].encode()
            out[f"{label} json escape upper"] = json.dumps(text)[1:-1].upper().replace("\\U", "\\u").encode()
        out[f"{label} base64"] = base64.b64encode(text.encode()).rstrip(b"=")
    return out


def found_in(blob: bytes, where: str, hits: list[str]) -> None:
    for label, needle in needles().items():
        if needle in blob:
            hits.append(f"{label} in {where}")


def call_record(
    call_id: str, lead_id: str, *, answered: bool, hour: int, who: tuple[str, str, str] = (NAME, E164, NATIONAL)
) -> dict[str, Any]:
    """A finished call to the lead whose name, E.164 and national number are ``who``, the
    customer saying them aloud."""
    day = DAY
    name, e164, national = who
    surname = name[:2] if name == NAME else name[:1]
    turns: list[dict[str, Any]] = []
    if answered:
        turns = [
            {"speaker": "agent", "start_s": 0.0, "end_s": 4.0, "text": f"{name},你好,我是中国移动的客户经理小李。"},
            {"speaker": "customer", "start_s": 4.2, "end_s": 9.0, "text": f"我是{name},我的电话是{national}。"},
            {"speaker": "agent", "start_s": 9.5, "end_s": 12.0, "text": f"好的{surname}先生,尾号{national[-4:]}对吧?"},
            {"hold": True, "start_s": 20.0, "end_s": 30.0},
            {"speaker": "customer", "start_s": 31.0, "end_s": 33.0, "text": "对,就是这个号码。"},
            {"speaker": "agent", "start_s": 34.0, "end_s": 37.0, "text": "祝您生活愉快,请您先挂机。"},
        ]
    return {
        "call_id": call_id,
        "direction": "outbound",
        "campaign": {
            "id": "broadband-2026q4",
            "brand": "中国移动",
            "authorized_brands": ["中国移动"],
            "allowed_caller_carriers": ["China Mobile"],
            "price_on_phone": False,
        },
        "agent": {"id": "a-erase", "team": "t-1", "supervisor": "s-1"},
        "lead": {"id": lead_id, "name": name, "phone": e164, "birth_year": 1980},
        "caller_number": "+8613900139000",
        "placed_at": f"{day}T{hour:02d}:03:00+08:00",
        "answered_at": f"{day}T{hour:02d}:03:12+08:00" if answered else None,
        "ended_at": f"{day}T{hour:02d}:06:12+08:00" if answered else f"{day}T{hour:02d}:03:40+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested" if answered else "no_answer",
        "callback_at": None,
        "notes": f"客户{name}说手机{national}可以联系" if answered else None,
        "turns": turns,
    }


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    value: Any = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not reached in {timeout}s: {what}; last: {value!r}"[:3000])


# --- where to look --------------------------------------------------------------------------


async def search_tables(database_url: str, service: str, hits: list[str]) -> int:
    """Every row of every table, each value as text and its JSON form. Returns the rows read."""
    engine = create_engine(database_url)
    rows_read = 0
    try:
        async with engine.connect() as conn:
            metadata = MetaData()
            await conn.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                for row in (await conn.execute(table.select())).mappings():
                    rows_read += 1
                    text = "\x00".join(str(v) for v in row.values())
                    blob = text.encode() + json.dumps(dict(row), default=str, ensure_ascii=True).encode()
                    key = ",".join(str(row[c.name]) for c in table.primary_key.columns)
                    found_in(blob, f"{service}.{table.name}[{key}]", hits)
    finally:
        await engine.dispose()
    return rows_read


async def search_streams(nats_url: str, namespace: str, hits: list[str]) -> int:
    """Every message of every stream of the namespace (the event streams and the key bucket's),
    headers and body, as stored. Returns the messages read."""
    nc = await nats.connect(nats_url)
    read = 0
    try:
        js = nc.jetstream()
        prefix = namespace.upper().replace("-", "_").replace(".", "_")
        for info in await js.streams_info():
            name = info.config.name or ""
            if not (name.startswith(prefix) or name.startswith(f"KV_{prefix}")):
                continue
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                try:
                    msg = await js.get_msg(name, seq)
                except nats.js.errors.NotFoundError:
                    continue  # purged
                read += 1
                headers = json.dumps(msg.headers or {}, ensure_ascii=False).encode()
                found_in(headers + b"\x00" + (msg.data or b""), f"stream {name} #{seq}", hits)
    finally:
        await nc.close()
    return read


def search_files(paths: list[Path], hits: list[str]) -> int:
    read = 0
    for path in paths:
        if path.is_file():
            read += path.stat().st_size
            found_in(path.read_bytes(), f"file {path.name}", hits)
    return read


def database_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith((".db", ".db-wal", ".db-shm", ".db-journal")))


# --- the platform ---------------------------------------------------------------------------


@pytest.fixture
def own_nats() -> Iterator[NatsServerProcess]:
    server = NatsServerProcess()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def platform(
    own_nats: NatsServerProcess, event_namespace: str, tmp_path: Path, any_database: ProvisionedDatabase
) -> Iterator[RunningPlatform]:
    """On SQLite the databases are files in ``tmp_path`` (searched byte by byte); on PostgreSQL
    every table is searched (what VACUUM leaves in its files: docs/architecture.md)."""

    def database_for(service: str) -> str:
        return f"sqlite:///{tmp_path}/{service}.db" if any_database.kind == "sqlite" else any_database.fresh()

    running = start_platform(own_nats.url, event_namespace, database_for)
    yield running
    running.stop()


def daily(client: httpx.Client) -> list[dict[str, Any]]:
    resp = client.get("/v1/reports/daily", params={"date": DAY})
    assert resp.status_code == 200, resp.text
    rows: list[dict[str, Any]] = resp.json()["rows"]
    return rows


def rebuild(platform: RunningPlatform, service: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", service, "rebuild"],
        env=platform._service_env(service),
        cwd=ROOT,
        capture_output=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    return done.stdout.decode()


@pytest.mark.timeout(900)  # five services started, rebuilt one by one and two started again
def test_an_erased_lead_is_found_nowhere_and_every_figure_stays(
    platform: RunningPlatform,
    own_nats: NatsServerProcess,
    event_namespace: str,
    tmp_path: Path,
    any_database: ProvisionedDatabase,
) -> None:
    on_files = any_database.kind == "sqlite"
    with gateway_client(platform.gateway_url) as client:
        created = client.post("/v1/leads", json={"name": NAME, "phones": [E164], "owner_agent_id": "a-erase"})
        assert created.status_code == 201, created.text
        lead_id = created.json()["lead_id"]
        other = client.post("/v1/leads", json={"name": "李四", "phones": ["+8613700137000"]})
        assert other.status_code == 201, other.text
        other_id = other.json()["lead_id"]

        calls = [
            call_record("c-erase-1", lead_id, answered=True, hour=10),
            call_record("c-erase-2", lead_id, answered=False, hour=11),
            call_record("c-keep-1", other_id, answered=True, hour=14, who=("李四", "+8613700137000", "13700137000")),
        ]
        for record in calls:
            resp = client.post("/v1/calls", json=record)
            assert resp.status_code == 202, resp.text
        # A transcript arriving after the call (ASR), with the name again.
        resp = client.post(
            "/v1/calls/c-erase-1/transcript",
            json={"turns": [{"speaker": "customer", "start_s": 0.0, "end_s": 3.0, "text": f"{NAME},{E164}"}]},
        )
        assert resp.status_code in (200, 202), resp.text

        # QA finds the bare full name (QA-01) in the call, quoting it; an inspector confirms: a fine.
        def qa01() -> dict[str, Any] | None:
            items = client.get("/v1/violations", params={"call_id": "c-erase-1"}).json()["items"]
            return next((v for v in items if v["rule"] == "QA-01"), None)

        finding = wait_for(qa01, what="the QA-01 finding")
        detail = client.get(f"/v1/violations/{finding['violation_id']}").json()
        assert SURNAME in json.dumps(detail, ensure_ascii=False)  # QA quotes what was said
        with gateway_client(platform.gateway_url, role="qa") as inspector:
            confirmed = inspector.post(f"/v1/violations/{finding['violation_id']}/confirm", json={"reviewer": "qa-1"})
        assert confirmed.status_code == 200, confirmed.text

        def settled() -> list[dict[str, Any]] | None:
            rows = daily(client)
            mine = [r for r in rows if r["agent_id"] == "a-erase"]
            ready = mine and mine[0]["dials"] == 3 and mine[0]["fines_agent"] > 0
            return rows if ready else None

        before = wait_for(settled, what="the daily table with the fine")
        shown = client.get("/v1/calls/c-erase-1").json()
        assert NAME in json.dumps(shown, ensure_ascii=False)  # readable before the erasure

        # The search finds what is there: the name and number before the erasure.
        hits: list[str] = []
        for service in ("leads", "calls", "qa"):
            asyncio.run(search_tables(platform.database_url(service), service, hits))
        assert any("leads.lead_pii" in h for h in hits) and any("calls.calls" in h for h in hits), hits
        assert any(h.startswith("name utf-8 in qa.") for h in hits), hits
        if on_files:
            file_hits: list[str] = []
            search_files(database_files(tmp_path), file_hits)
            assert any("leads.db" in h for h in file_hits) and any("calls.db" in h for h in file_hits), file_hits
        # ... but never on the bus: the events carry it sealed.
        stream_hits: list[str] = []
        assert asyncio.run(search_streams(own_nats.url, event_namespace, stream_hits)) > 10
        assert stream_hits == []

        # Erase: unknown lead is a problem-details 404; the lead's: 202, then 200 (done before).
        unknown = client.delete("/v1/leads/ld-no-such-lead/personal-data")
        assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("application/problem+json")
        erased = client.delete(f"/v1/leads/{lead_id}/personal-data")
        assert erased.status_code == 202, erased.text
        assert erased.json() == {"lead_id": lead_id, "status": "erased"}
        again = client.delete(f"/v1/leads/{lead_id}/personal-data")
        assert again.status_code == 200 and again.json()["status"] == "unchanged"

        # Every service scrubs what it holds as the event reaches it.
        def scrubbed() -> bool:
            call = client.get("/v1/calls/c-erase-1").json()
            texts = [t.get("text") for t in call.get("transcript") or [] if "text" in t]
            evidence = client.get(f"/v1/violations/{finding['violation_id']}").json().get("evidence")
            return bool(texts) and set(texts) == {"[erased]"} and evidence == "[erased]"

        wait_for(scrubbed, what="calls and QA scrubbed")
        lead = client.get(f"/v1/leads/{lead_id}").json()
        assert lead["name"] is None and NATIONAL not in json.dumps(lead)
        kept = client.get("/v1/calls/c-keep-1").json()
        assert "[erased]" not in json.dumps(kept, ensure_ascii=False)  # another lead's calls stay readable
        time.sleep(2)  # scheduling's and leads' projections too (no API shows them)

        live_hits: list[str] = []
        for service in SERVICES:
            asyncio.run(search_tables(platform.database_url(service), service, live_hits))
        assert live_hits == [], f"in the live tables after the erasure: {live_hits}"
        search_files(database_files(tmp_path), live_hits)
        assert live_hits == [], f"in the live database files after the erasure: {live_hits}"

    # Every projection of every service rebuilt from the first event, the services stopped.
    platform.stop()
    with ThreadPoolExecutor(len(SERVICES)) as pool:  # separate processes and databases: side by side
        for output in pool.map(lambda service: rebuild(platform, service), SERVICES):
            print(output)

    hits = []
    rows = sum(asyncio.run(search_tables(platform.database_url(s), s, hits)) for s in SERVICES)
    messages = asyncio.run(search_streams(own_nats.url, event_namespace, hits))
    files = database_files(tmp_path)
    size = search_files(files, hits)
    store = sorted(p for p in own_nats.store.rglob("*") if p.is_file())
    store_size = search_files(store, hits)
    logs = sorted(platform.logs.glob("*.log"))
    search_files(logs, hits)
    print(
        f"searched {rows} rows in {len(SERVICES)} databases, {messages} stream messages, "
        f"{len(files)} database files ({size} bytes), {len(store)} JetStream store files ({store_size} bytes), "
        f"{len(logs)} logs, for {len(needles())} encodings of the name and number"
    )
    assert rows > 50 and messages > 10 and store_size > 0
    if on_files:
        assert {p.name for p in files} >= {f"{s}.db" for s in SERVICES}
    assert hits == [], hits

    # The figures are exactly what they were, read from the rebuilt projections (only the two
    # services asked are started again: the machine is shared).
    for service in ("reporting", "calls"):
        platform.start(service)
    for service in ("reporting", "calls"):
        wait_ready(platform.service_urls[service] + "/readyz")
    # (the gateway was stopped with the rest: the services are asked directly, as the gateway would)
    with httpx.Client(base_url=platform.service_urls["reporting"], timeout=30, auth=_as_gateway()) as reporting:
        after = daily(reporting)
    assert after == before
    with httpx.Client(base_url=platform.service_urls["calls"], timeout=30, auth=_as_gateway()) as calls_api:
        call = calls_api.get("/v1/calls/c-erase-1").json()
        assert call["talk_seconds"] == 180.0 and call["disposition"] == "interested"
        assert {t.get("text") for t in call["transcript"] if "text" in t} == {"[erased]"}


def _as_gateway() -> httpx.Auth:
    from common.testing import AsGateway

    return AsGateway()
