"""A day of mixed events on real NATS into the daily and weekly tables, on SQLite and PostgreSQL.

Events are published the way their owners publish them (EventStore on the calls, scheduling and
QA streams); the reporting service runs as it does in production (runtime with its runners, API
through its ASGI app)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import nats
import pytest
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CallPlaced, CallRefused, CampaignRef, CustomerRef
from common.events.scheduling import (
    CallbackCancelled,
    CallbackDone,
    CallbackMissed,
)
from common.eventstore import EventStore
from common.projection import checkpoint_key, read_checkpoint
from common.service import create_app
from common.testing import AsGateway, ProvisionedDatabase, eventually, started_runtime
from reporting.context import ReportingRuntime
from reporting.queries import daily_table
from reporting.service import SPEC
from reporting.settings import ReportingSettings
from reporting.testing import AGENTS, FLAGS, callback, due, fine, qa, review, violation

DAY = "2026-11-20"  # a Friday of ISO week 2026-W47


def call_events(
    call_id: str,
    agent: str,
    placed: str,
    disposition: str,
    talk: float,
    *,
    flags: bool = True,
    placed_event: bool = True,
) -> list[DomainEvent]:
    team, campaign = AGENTS[agent]
    common: dict[str, Any] = {
        "call_id": call_id,
        "campaign": CampaignRef(id=campaign),
        "agent": AgentRef(id=agent, team=team),
        "customer": CustomerRef(lead_id=f"l-{call_id}"),
        "placed_at": datetime.fromisoformat(placed),
    }
    placed_at = common["placed_at"]
    answered = disposition != "no_answer"
    ended = CallEnded(
        **common,
        answered_at=placed_at if answered else None,
        ended_at=placed_at,
        hangup_by="customer",
        disposition=disposition,
        talk_seconds=talk,
        disposition_flags=FLAGS[disposition] if flags else None,
    )
    return [CallPlaced(**common), ended] if placed_event else [ended]


def scenario() -> list[DomainEvent]:
    at = datetime(2026, 11, 21, 3, tzinfo=UTC)
    events: list[DomainEvent] = [
        # QA learns of c11 before the reporting service sees the call: it still lands on its row.
        violation("v5", "c11", "a-2", "QA-01", call_day=date(2026, 11, 20)),
        # a-1, campaign cm-A
        *call_events("c1", "a-1", "2026-11-20T09:00:00+08:00", "interested", 120),
        *call_events("c2", "a-1", "2026-11-20T09:10:00+08:00", "success", 200),
        *call_events("c3", "a-1", "2026-11-20T09:20:00+08:00", "no_answer", 0),
        *call_events("c4", "a-1", "2026-11-20T09:30:00+08:00", "wrong_person", 40),
        *call_events("c9", "a-1", "2026-11-18T10:00:00+08:00", "interested", 100),  # same week, other day
        *call_events("c12", "a-1", "2026-11-23T10:00:00+08:00", "success", 100),  # next week
        # a-2, campaign cm-B
        *call_events("c5", "a-2", "2026-11-20T10:00:00+08:00", "success", 300),
        *call_events("c6", "a-2", "2026-11-20T10:10:00+08:00", "appointment", 25),  # contact, < 30 s
        # a producer older than the flags, and a CallEnded without its CallPlaced
        *call_events("c7", "a-2", "2026-11-20T10:20:00+08:00", "interested", 60, flags=False, placed_event=False),
        *call_events("c11", "a-2", "2026-11-20T10:30:00+08:00", "no_answer", 0),
        # a-3, campaign cm-A
        *call_events("c8", "a-3", "2026-11-20T11:00:00+08:00", "complaint", 50),
        *call_events("c10", "a-3", "2026-11-19T23:30:00+00:00", "no_answer", 0),  # 07:30 in Shanghai
        CallRefused(
            call_id="r1",
            campaign_id="cm-A",
            agent=AgentRef(id="a-3", team="t-2"),
            lead_id="l-r1",
            reason="do_not_call",
            refused_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
            team_id="t-2",
        ),
        # QA
        violation("v1", "c1", "a-1", "QA-01"),
        review("ViolationConfirmed", "v1", "c1", "a-1", "QA-01"),
        fine("v1", "c1", "a-1", "agent", 10),
        violation("v2", "c2", "a-1", "QA-11"),
        review("ViolationConfirmed", "v2", "c2", "a-1", "QA-11"),
        qa(
            "SaleVoided",
            call_id="c2",
            violation_id="v2",
            rule="QA-11",
            agent_id="a-1",
            team_id="t-1",
            campaign_id="cm-A",
            voided_at="2026-11-21T02:00:00Z",
        ),
        violation("v3", "c5", "a-2", "QA-07"),
        review("ViolationDismissed", "v3", "c5", "a-2", "QA-07"),
        qa(
            "ComplaintFiled",
            complaint_id="k1",
            call_id="c8",
            kind="misleading",
            agent_id="a-3",
            team_id="t-2",
            violation_id="v4",
            filed_at="2026-11-20T08:00:00Z",
        ),
        violation("v4", "c8", "a-3", "QA-05", source="complaint", complaint_id="k1"),
        review("ViolationConfirmed", "v4", "c8", "a-3", "QA-05"),
        fine("v4", "c8", "a-3", "agent", 200),
        fine("v4", "c8", "a-3", "supervisor", 100),
        fine("v4", "c8", "a-3", "team", 100, kind="complaint_deduction"),
        # scheduling (UTC instants; 14:00 in Shanghai is 06:00Z)
        callback("cb1", "a-1", "2026-11-20T06:00:00+00:00"),
        due("cb1", "a-1", "2026-11-20T06:00:00+00:00"),
        CallbackDone(callback_id="cb1", lead_id="l-cb1", call_id="c3", agent_id="a-1", done_at=at),
        callback("cb2", "a-1", "2026-11-20T07:00:00+00:00"),
        due("cb2", "a-1", "2026-11-20T07:00:00+00:00"),
        CallbackMissed(
            callback_id="cb2",
            lead_id="l-cb2",
            due_at=datetime(2026, 11, 20, 7, tzinfo=UTC),
            agent_id="a-1",
            missed_at=at,
        ),
        callback("cb3", "a-2", "2026-11-20T08:00:00+00:00"),
        CallbackCancelled(callback_id="cb3", lead_id="l-cb3", reason="sold", cancelled_at=at),
        callback("cb4", "a-3", "2026-11-21T02:00:00+00:00"),  # Saturday: the week, not the day
        due("cb4", "a-3", "2026-11-21T02:00:00+00:00"),
    ]
    return events


async def publish_all(store: EventStore, events: list[DomainEvent]) -> None:
    for event in events:
        await store.publish(event)


async def caught_up(runtime: ReportingRuntime) -> bool:
    """Every stream's last event is behind the projection's checkpoint."""
    async with runtime.session_factory() as session:
        for owner in ("calls", "scheduling", "qa"):
            stream = runtime.names.stream(owner)
            last = (await runtime.jetstream.stream_info(stream)).state.last_seq
            if await read_checkpoint(session, checkpoint_key("reporting-figures", stream)) < last:
                return False
    return True


@pytest.fixture
async def service(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> AsyncIterator[tuple[ReportingRuntime, httpx.AsyncClient]]:
    settings = ReportingSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=any_database.url)
    app = create_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t", auth=AsGateway()
        ) as client:
            yield app.state.runtime, client


def by(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {r[key]: r for r in rows}


def pick(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {n: row[n] for n in names}


MEASURES = (
    "dials",
    "blocked_dials",
    "connected",
    "contacts",
    "talk_seconds",
    "effective_calls",
    "effective_talk_seconds",
    "intent",
    "sales",
    "voided_sales",
    "conversions",
    "appointments",
    "callbacks_scheduled",
    "callbacks_due",
    "callbacks_done",
    "callbacks_overdue",
    "callbacks_cancelled",
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
)


def m(*values: float) -> dict[str, float]:
    return dict(zip(MEASURES, values, strict=True))


# dials blocked conn contacts talk effN effTalk intent sales voided conv appt | cb: sched due done overdue
# cancelled | viol: found confirmed dismissed | fines agent supervisor deductions | complaints
DAILY_AGENT = {
    "a-1": m(4, 0, 3, 2, 360, 2, 320, 2, 1, 1, 0, 0, 2, 2, 1, 1, 0, 2, 2, 0, 10, 0, 0, 0),
    "a-2": m(4, 0, 3, 3, 385, 2, 360, 3, 1, 0, 1, 1, 1, 0, 0, 0, 1, 2, 0, 1, 0, 0, 0, 0),
    "a-3": m(2, 1, 1, 1, 50, 1, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 200, 100, 100, 1),
}


def total(*rows: dict[str, float]) -> dict[str, float]:
    return {k: sum(r[k] for r in rows) for k in MEASURES}


async def test_a_day_of_mixed_events_in_the_daily_and_weekly_tables(
    service: tuple[ReportingRuntime, httpx.AsyncClient],
) -> None:
    runtime, client = service
    await publish_all(runtime.event_store, scenario())
    await eventually(lambda: caught_up(runtime), timeout=30)

    resp = await client.get("/v1/reports/daily", params={"date": DAY})
    assert resp.status_code == 200
    body = resp.json()
    assert (body["date"], body["group_by"]) == (DAY, "agent")
    agents = by(body["rows"], "agent_id")
    assert {a: r["team_id"] for a, r in agents.items()} == {"a-1": "t-1", "a-2": "t-1", "a-3": "t-2"}
    assert {a: pick(r, *MEASURES) for a, r in agents.items()} == DAILY_AGENT
    a1 = agents["a-1"]
    assert (a1["connect_rate"], a1["avg_talk_seconds"], a1["intent_rate"], a1["conversion_rate"]) == (
        0.75,
        120.0,
        0.6667,
        0.0,
    )
    assert agents["a-2"]["conversion_rate"] == 0.3333
    assert pick(body["totals"], *MEASURES) == total(*DAILY_AGENT.values())

    teams = by(
        (await client.get("/v1/reports/daily", params={"date": DAY, "group_by": "team"})).json()["rows"], "team_id"
    )
    assert {t: pick(r, *MEASURES) for t, r in teams.items()} == {
        "t-1": total(DAILY_AGENT["a-1"], DAILY_AGENT["a-2"]),
        "t-2": DAILY_AGENT["a-3"],
    }

    campaigns = by(
        (await client.get("/v1/reports/daily", params={"date": DAY, "group_by": "campaign"})).json()["rows"],
        "campaign_id",
    )
    assert {c: pick(r, *MEASURES) for c, r in campaigns.items()} == {
        "cm-A": total(DAILY_AGENT["a-1"], DAILY_AGENT["a-3"]),
        "cm-B": DAILY_AGENT["a-2"],
    }

    # The week: a-1's call of Wednesday and a-3's callback due on Saturday join; Monday's call after
    # does not.
    week = (await client.get("/v1/reports/weekly", params={"week": "2026-W47"})).json()
    assert (week["from"], week["to"]) == ("2026-11-16", "2026-11-22")
    weekly = {a: pick(r, *MEASURES) for a, r in by(week["rows"], "agent_id").items()}
    wednesday = m(1, 0, 1, 1, 100, 1, 100, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    saturday = m(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    assert weekly == {
        "a-1": total(DAILY_AGENT["a-1"], wednesday),
        "a-2": DAILY_AGENT["a-2"],
        "a-3": total(DAILY_AGENT["a-3"], saturday),
    }
    teams_week = by(
        (await client.get("/v1/reports/weekly", params={"week": "2026-W47", "group_by": "team"})).json()["rows"],
        "team_id",
    )
    assert teams_week["t-1"]["dials"] == 9 and teams_week["t-2"]["callbacks_due"] == 1
    assert (await client.get("/v1/reports/weekly", params={"week": "2026-47"})).status_code == 422

    # The CSV for Excel: UTF-8 with BOM, Chinese headers, one line per agent and the totals.
    for path, params in (
        ("/v1/reports/daily.csv", {"date": DAY}),
        ("/v1/reports/daily", {"date": DAY, "format": "csv"}),
    ):
        resp = await client.get(path, params=params)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/csv")
        assert resp.content.startswith(b"\xef\xbb\xbf")
        table = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        assert table[0][:4] == ["坐席 agent", "班组 team", "拨打量 dials", "拦截 blocked dials"]
        assert [r[0] for r in table[1:]] == ["a-1", "a-2", "a-3", "合计 total"]
        assert table[1][2] == "4" and table[-1][2] == "10"
    weekly_csv = await client.get("/v1/reports/weekly.csv", params={"week": "2026-W47", "group_by": "campaign"})
    assert [r[0] for r in csv.reader(io.StringIO(weekly_csv.content.decode("utf-8-sig")))][1:] == [
        "cm-A",
        "cm-B",
        "合计 total",
    ]


async def test_consumers_lost_with_their_state_count_nothing_twice(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    settings = ReportingSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=database_url)
    runtime = await started_runtime(SPEC, settings)
    try:
        await publish_all(
            runtime.event_store,
            [
                *call_events("c1", "a-1", "2026-11-20T09:00:00+08:00", "success", 120),
                *call_events("c2", "a-1", "2026-11-20T09:10:00+08:00", "no_answer", 0),
                violation("v1", "c1", "a-1", "QA-01"),
                callback("cb1", "a-1", "2026-11-20T06:00:00+00:00"),
            ],
        )
        await eventually(lambda: caught_up(runtime), timeout=30)
    finally:
        await runtime.stop()
    # Lose every consumer's state: the runners must start again after their checkpoints, not
    # from the consumers' (now absent) positions, so nothing is applied twice.
    nc = await nats.connect(nats_url)
    for runner in runtime.runners:
        await nc.jetstream().delete_consumer(runner.stream, runner.durable)
    await nc.close()
    runtime = await started_runtime(SPEC, settings)
    try:
        await publish_all(runtime.event_store, call_events("c3", "a-1", "2026-11-20T09:20:00+08:00", "no_answer", 0))
        await eventually(lambda: caught_up(runtime), timeout=30)
        assert sum(r.stats.applied for r in runtime.runners) == 2  # only c3's CallPlaced and CallEnded
        async with runtime.session_factory() as session:
            (row,) = await daily_table(session, date(2026, 11, 20))
        assert pick(row, "dials", "connected", "sales", "violations_found") == {
            "dials": 3,
            "connected": 1,
            "sales": 1,
            "violations_found": 1,
        }
    finally:
        await runtime.stop()
