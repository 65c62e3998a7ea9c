"""Poison events on every subject some service consumes, with the whole platform running: each is
dead-lettered with its reason and shown at the gateway's ``GET /v1/admin/dead-letters``, valid
events published after them are applied (the streams keep flowing), and events that failed for
a reason that was then fixed are replayed with one command.

Four kinds of poison on each consumed ``<owner stream>/<event type>``: not a CloudEvent (no
``ce-`` headers, a body that is not JSON), an unknown event type, a newer schema version than
the reader's, invalid fields. A projection can never apply them, so replay leaves them dead
(their reason updated); the replay that succeeds is of valid events whose handler failed (a
database trigger refusing one call's row in reporting, dropped afterwards: the "fix")."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import nats
import pytest
from calls.projection import CallsReadModel, GuardLeads
from common.db import create_engine
from common.envelope import Envelope
from common.events.base import event_class
from common.eventstore import EventNames
from common.projection import checkpoint_key
from common.testing import ProvisionedDatabase
from leads.projection import CallOutcomes, LeadsView
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from qa.projection import QaChecks
from reporting.projection import DailyFigures
from scheduling.projection import SchedulingProjection
from sqlalchemy import text
from sqlalchemy.engine import make_url

from tests.platform import ROOT, RunningPlatform, gateway_client, start_platform, wait_ready

pytestmark = pytest.mark.e2e

# Every projection of every service, by the service that runs it. The test checks against each
# service's /readyz that these are exactly the runners it runs, so a new projection is noticed.
PROJECTIONS: dict[str, Sequence[tuple[str, dict[str, Sequence[str]]]]] = {
    "leads": [(LeadsView.name, LeadsView.subscriptions), (CallOutcomes.name, CallOutcomes.subscriptions)],
    "calls": [(CallsReadModel.name, CallsReadModel.subscriptions), (GuardLeads.name, GuardLeads.subscriptions)],
    "scheduling": [(SchedulingProjection.name, SchedulingProjection.subscriptions)],
    "qa": [(QaChecks.name, QaChecks.subscriptions)],
    "reporting": [(DailyFigures.name, DailyFigures().subscriptions)],
}

# kind -> what the dead letter's reason must say
POISON = {
    "not-a-cloudevent": "missing CloudEvents header(s)",
    "unknown-type": "UnknownEventType: NoSuchEvent",
    "newer-version": "is newer than this reader's",
    "invalid-fields": "Field required",
}
BLOCKED_CALL = "c-poison-blocked"


@dataclass(frozen=True)
class Runner:
    service: str
    projection: str
    owner: str
    types: frozenset[str]

    @property
    def durable(self) -> str:
        return f"{self.projection}-{self.owner}"


def runners() -> list[Runner]:
    return [
        Runner(service, name, owner, frozenset(types))
        for service, projections in PROJECTIONS.items()
        for name, subscriptions in projections
        for owner, types in subscriptions.items()
    ]


def say(message: str) -> None:
    print(f"[poison] {message}", flush=True)


@pytest.fixture
def platform(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> Iterator[RunningPlatform]:
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


# --- publishing and reading the log ------------------------------------------------------


def poison_message(kind: str, event_type: str) -> tuple[dict[str, str] | None, bytes]:
    if kind == "not-a-cloudevent":
        return None, b"\xff\xfe<not json at all>"
    if kind == "unknown-type":
        envelope = Envelope(type="NoSuchEvent", source="/poison", data={"x": 1})
    elif kind == "newer-version":
        version = event_class(event_type).schema_version + 1
        envelope = Envelope(type=event_type, source="/poison", data={}, schema_version=version)
    else:
        assert any(f.is_required() for f in event_class(event_type).model_fields.values()), event_type
        envelope = Envelope(type=event_type, source="/poison", data={"not_a_field": 1})
    return envelope.headers(), envelope.body()


async def publish_poison(
    nats_url: str, names: EventNames, subjects: Sequence[tuple[str, str]]
) -> tuple[dict[str, int], dict[tuple[str, str], int]]:
    """Four poison messages on each (owner, event type); returns each stream's last sequence
    and the sequence of the last poison message of each (owner, event type)."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    last: dict[tuple[str, str], int] = {}
    try:
        for n, (owner, event_type) in enumerate(subjects):
            for kind in POISON:
                headers, body = poison_message(kind, event_type)
                ack = await js.publish(names.subject(owner, f"poison-{kind}-{n}", event_type), body, headers=headers)
                last[(owner, event_type)] = ack.seq
        ends = {owner: (await js.stream_info(names.stream(owner))).state.last_seq for owner, _ in subjects}
        return ends, last
    finally:
        await nc.close()


async def read_after(nats_url: str, names: EventNames, owner: str, after: int) -> list[tuple[int, str]]:
    """(sequence, event type) of every message of a stream after ``after``."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    stream = names.stream(owner)
    try:
        last = (await js.stream_info(stream)).state.last_seq
        if last <= after:
            return []
        psub = await js.pull_subscribe(
            names.stream_subjects(owner),
            stream=stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.BY_START_SEQUENCE, opt_start_seq=after + 1
            ),
        )
        out: list[tuple[int, str]] = []
        while not out or out[-1][0] < last:
            out += [(m.metadata.sequence.stream, m.subject.rsplit(".", 1)[1]) for m in await psub.fetch(100, timeout=5)]
        await psub.unsubscribe()
        return out
    finally:
        await nc.close()


async def query(url: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return list((await conn.execute(text(sql), params)).all())
    finally:
        await engine.dispose()


async def execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    finally:
        await engine.dispose()


def block_call_statements(url: str) -> tuple[list[str], list[str]]:
    """A trigger making reporting's handler fail for one call (a transient fault of the handler,
    not of the database: an integrity error), and what removes it."""
    if make_url(url).get_backend_name() == "postgresql":
        return (
            [
                "CREATE FUNCTION poison_block_call() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.call_id = '{BLOCKED_CALL}' THEN RAISE EXCEPTION 'blocked by the poison test' "
                "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER poison_block_call BEFORE INSERT OR UPDATE ON call_facts "
                "FOR EACH ROW EXECUTE FUNCTION poison_block_call()",
            ],
            ["DROP TRIGGER poison_block_call ON call_facts", "DROP FUNCTION poison_block_call()"],
        )
    return (
        [
            f"CREATE TRIGGER poison_block_call BEFORE INSERT ON call_facts WHEN NEW.call_id = '{BLOCKED_CALL}' "
            "BEGIN SELECT RAISE(ABORT, 'blocked by the poison test'); END"
        ],
        ["DROP TRIGGER poison_block_call"],
    )


# --- the gateway ---------------------------------------------------------------------------


def all_dead_letters(client: httpx.Client) -> tuple[list[dict[str, Any]], list[str]]:
    """Every page of the gateway's merged list, and the services reported unavailable."""
    items: list[dict[str, Any]] = []
    unavailable: set[str] = set()
    params: dict[str, Any] = {"limit": 50}
    while True:
        resp = client.get("/v1/admin/dead-letters", params=params)
        assert resp.status_code == 200, resp.text
        page = resp.json()
        items += page["items"]
        unavailable |= set(page["unavailable"])
        if not page["next_cursor"]:
            return items, sorted(unavailable)
        params = {"limit": 50, "cursor": page["next_cursor"]}


def wait_for(predicate: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not reached in {timeout}s; last: {value}")


def a_call(call_id: str, agent: str, *, callback: bool = False) -> dict[str, Any]:
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
        "agent": {"id": agent, "team": "t-1", "supervisor": "s-1"},
        "lead": {"id": f"l-{call_id}", "name": "张伟", "phone": "+8613800138000", "birth_year": 1980},
        "caller_number": "+8613900139000",
        "placed_at": "2026-11-20T10:03:00+08:00",
        "answered_at": "2026-11-20T10:03:12+08:00",
        "ended_at": "2026-11-20T10:06:12+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "callback" if callback else "interested",
        "callback_at": "2026-11-23T10:00:00+08:00" if callback else None,
        "turns": [],
    }


def daily_row(client: httpx.Client, agent: str) -> dict[str, Any] | None:
    resp = client.get("/v1/reports/daily", params={"date": "2026-11-20"})
    assert resp.status_code == 200, resp.text
    return next((r for r in resp.json()["rows"] if r["agent_id"] == agent), None)


# --- the scenario ----------------------------------------------------------------------------


def test_poison_on_every_consumed_subject_is_dead_lettered_shown_and_the_fixed_ones_replayed(
    platform: RunningPlatform, nats_url: str, event_namespace: str
) -> None:
    names = EventNames(event_namespace)
    every = runners()
    # The runners this test knows are exactly the ones the services run.
    for service in PROJECTIONS:
        ready = httpx.get(platform.service_urls[service] + "/readyz", timeout=5).json()
        assert set(ready["checks"]["projections"]) == {r.durable for r in every if r.service == service}, service
    subjects = sorted({(r.owner, t) for r in every for t in r.types})
    say(f"{len(every)} runners in 5 services consume {len(subjects)} (stream, event type) subjects")

    boundary, last_poison = asyncio.run(publish_poison(nats_url, names, subjects))
    published = len(subjects) * len(POISON)
    expected = {r: len(r.types) * len(POISON) for r in every}
    say(f"published {published} poison events; {sum(expected.values())} dead letters expected (one per consumer)")

    # Valid events after the poison, through the public API, on every stream.
    client = gateway_client(platform.gateway_url)
    lead = client.post("/v1/leads", json={"name": "李娜", "phones": ["+8613700137000"], "owner_agent_id": "a-p1"})
    assert lead.status_code == 201, lead.text
    lead_id = lead.json()["lead_id"]
    for call in (a_call("c-poison-after-1", "a-p1"), a_call("c-poison-after-2", "a-p1", callback=True)):
        resp = client.post("/v1/calls", json=call)
        assert resp.status_code in (200, 201, 202), resp.text

    # Every runner reaches the end of its stream: poison passed, valid events applied. The log is
    # read again on each look: scheduling's callback and QA's findings follow the calls later.
    after: dict[str, list[tuple[int, str]]] = {}
    valid_after: dict[Runner, list[int]] = {}

    def caught_up() -> list[str]:
        after.update({o: asyncio.run(read_after(nats_url, names, o, seq)) for o, seq in boundary.items()})
        valid_after.update({r: [s for s, t in after[r.owner] if t in r.types] for r in every})
        behind = [f"no valid {o} event after the poison yet" for o in ("leads", "calls", "scheduling") if not after[o]]
        for r in every:
            last = max([*valid_after[r], *(last_poison[(r.owner, t)] for t in r.types)])
            key = checkpoint_key(r.projection, names.stream(r.owner))
            rows = asyncio.run(
                query(
                    platform.database_url(r.service),
                    "SELECT last_seq FROM projection_checkpoint WHERE projection = :k",
                    k=key,
                )
            )
            if not rows or rows[0][0] < last:
                behind.append(f"{r.durable}: {rows[0][0] if rows else None} < {last}")
        return behind

    wait_for(lambda: not caught_up() or None, timeout=90)
    applied_after = sum(len(v) for v in valid_after.values())
    say(
        "valid events after the poison: "
        + ", ".join(f"{o} {len(v)}" for o, v in after.items())
        + f"; applied by their consumers {applied_after} times"
    )
    assert client.get(f"/v1/leads/{lead_id}").status_code == 200
    assert wait_for(lambda: client.get("/v1/calls/c-poison-after-2").status_code == 200)
    assert wait_for(lambda: (daily_row(client, "a-p1") or {}).get("connected") == 2)

    # Every poison event is at the gateway, once per consumer, with its reason; nothing valid is.
    items, unavailable = all_dead_letters(client)
    assert unavailable == []
    per_runner = Counter(f"{d['projection']}-{d['stream']}" for d in items)
    for r in every:
        assert per_runner[f"{r.projection}-{names.stream(r.owner)}"] == expected[r], r
    assert len(items) == sum(expected.values())
    for d in items:
        kind = next(k for k in POISON if f".poison-{k}-" in d["subject"])
        assert POISON[kind] in d["reason"], d
        assert d["service"] in PROJECTIONS and d["stream_seq"] <= boundary[d["subject"].split(".")[1]]
    say(f"dead-lettered {len(items)} ({dict(Counter(d['service'] for d in items))}), each with its reason")

    # One row in full, through the gateway.
    one = items[0]
    shown = client.get(f"/v1/admin/dead-letters/{one['service']}/{one['id']}")
    assert shown.status_code == 200 and "body" in shown.json() and shown.json()["subject"] == one["subject"]
    assert client.get("/v1/admin/dead-letters/nosuch/1").status_code == 404

    # A service that is down is reported, not fatal.
    platform.kill("qa")
    try:
        resp = client.get("/v1/admin/dead-letters", params={"limit": 1000})
        assert resp.status_code == 200
        assert resp.json()["unavailable"] == ["qa"] and resp.json()["services"]["qa"]["status"] == "unavailable"
        assert {d["service"] for d in resp.json()["items"]} == set(PROJECTIONS) - {"qa"}
    finally:
        platform.start("qa")
        wait_ready(platform.service_urls["qa"] + "/readyz")

    # Poison replayed stays dead: its reason is updated and the replay counted.
    failed = client.post(f"/v1/admin/dead-letters/{one['service']}/{one['id']}/replay")
    assert failed.status_code == 200 and failed.json()["outcome"] == "failed", failed.text
    again = client.get(f"/v1/admin/dead-letters/{one['service']}/{one['id']}").json()
    assert again["replays"] == 1 and POISON[next(k for k in POISON if k in one["subject"])] in again["reason"]

    # A handler that fails for one call (reporting), then is fixed and replayed with one command.
    reporting_db = platform.database_url("reporting")
    block, unblock = block_call_statements(reporting_db)
    asyncio.run(execute(reporting_db, *block))
    assert client.post("/v1/calls", json=a_call(BLOCKED_CALL, "a-blocked")).status_code in (200, 201, 202)
    assert client.post("/v1/calls", json=a_call("c-poison-after-3", "a-p2")).status_code in (200, 201, 202)

    def blocked_letters() -> list[dict[str, Any]]:
        return [d for d in all_dead_letters(client)[0] if f".{BLOCKED_CALL}." in d["subject"]]

    blocked = wait_for(lambda: len(blocked_letters()) >= 2 and blocked_letters(), timeout=60)
    assert {d["service"] for d in blocked} == {"reporting"}
    assert all("blocked by the poison test" in d["reason"] and "after 5 tries" in d["reason"] for d in blocked)
    assert wait_for(lambda: daily_row(client, "a-p2"))  # the stream kept flowing past them
    assert daily_row(client, "a-blocked") is None

    asyncio.run(execute(reporting_db, *unblock))  # the fix
    env = dict(platform.env, SERVICE_NAME="reporting", DATABASE_URL=reporting_db)
    command = [sys.executable, "-m", "reporting", "replay-dead-letters", "--projection", DailyFigures.name]
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    shown_lines = [line for line in done.stdout.splitlines() if "\tapplied" in line or "\t" not in line]
    say(f"$ python -m reporting replay-dead-letters --projection {DailyFigures.name}\n" + "\n".join(shown_lines))
    outcomes = {int(line.split("\t")[0]): line.split("\t")[3] for line in done.stdout.splitlines() if "\t" in line}
    assert {outcomes[d["id"]] for d in blocked} == {"applied"}, done.stdout + done.stderr
    poison_in_reporting = [d for d in items if d["service"] == "reporting"]
    assert {outcomes[d["id"]] for d in poison_in_reporting} == {"failed"}
    assert done.returncode == 1  # not everything could be replayed: the poison stays
    assert blocked_letters() == []
    row = daily_row(client, "a-blocked")
    assert row is not None and (row["dials"], row["connected"]) == (1, 1), row
    remaining, _ = all_dead_letters(client)
    assert len(remaining) == len(items)
    say(
        f"poison published {published}, dead-lettered {len(items)}, valid applied after them {applied_after}; "
        f"{len(blocked)} events of a fixed handler replayed with one command, {len(remaining)} poison still dead"
    )
