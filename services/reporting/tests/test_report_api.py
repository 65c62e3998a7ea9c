"""The reports managers open: the daily and weekly tables as XLSX (the same numbers as the JSON),
the trend of a measure, the agents' ranking, dialling time against the two-hours-a-day norm;
through the service's API on real NATS, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import openpyxl
import pytest
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallRefused
from common.service import create_app
from common.testing import AsGateway, ProvisionedDatabase, eventually
from reporting.context import ReportingRuntime
from reporting.export import TOTAL_LABEL, XLSX, Sheet, sheet_columns
from reporting.queries import GROUP_KEYS
from reporting.service import SPEC
from reporting.settings import ReportingSettings
from reporting.testing import call_events, callback, caught_up, due, fine, qa, review, violation

DAY = "2026-11-20"  # a Friday of ISO week 2026-W47


def events() -> list[DomainEvent]:
    return [
        # a-1 dials 2 h 30 min in one long call and three short ones: over the norm.
        *call_events("c1", "a-1", "2026-11-20T09:00:00+08:00", "success", 8000, ended="2026-11-20T11:30:00+08:00"),
        *call_events("c2", "a-1", "2026-11-20T12:00:00+08:00", "interested", 120),
        *call_events("c3", "a-1", "2026-11-20T12:10:00+08:00", "no_answer", 0, ended="2026-11-20T12:10:30+08:00"),
        *call_events("c4", "a-1", "2026-11-20T12:20:00+08:00", "wrong_person", 40),
        # a-2 connects once in three; a-3 never connects (no intent rate: not ranked on it).
        *call_events("c5", "a-2", "2026-11-20T10:00:00+08:00", "appointment", 300),
        *call_events("c6", "a-2", "2026-11-20T10:10:00+08:00", "no_answer", 0),
        *call_events("c7", "a-2", "2026-11-20T10:20:00+08:00", "no_answer", 0),
        *call_events("c8", "a-3", "2026-11-20T11:00:00+08:00", "no_answer", 0),
        # other days of the week (Wednesday, Sunday) and the week after
        *call_events("c9", "a-1", "2026-11-18T10:00:00+08:00", "success", 100),
        *call_events("c10", "a-3", "2026-11-22T10:00:00+08:00", "interested", 60),
        *call_events("c11", "a-2", "2026-11-23T10:00:00+08:00", "success", 100),
        CallRefused(
            call_id="r1",
            campaign_id="cm-A",
            agent=AgentRef(id="a-3", team="t-2"),
            lead_id="l-r1",
            reason="do_not_call",
            refused_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
            team_id="t-2",
        ),
        violation("v1", "c1", "a-1", "QA-05"),
        review("ViolationConfirmed", "v1", "c1", "a-1", "QA-05"),
        fine("v1", "c1", "a-1", "agent", 200),
        fine("v1", "c1", "a-1", "team", 100, kind="complaint_deduction"),
        qa(
            "SaleVoided",
            call_id="c1",
            violation_id="v1",
            rule="QA-11",
            agent_id="a-1",
            team_id="t-1",
            campaign_id="cm-A",
            voided_at="2026-11-21T02:00:00Z",
        ),
        callback("cb1", "a-2", "2026-11-20T06:00:00+00:00"),
        due("cb1", "a-2", "2026-11-20T06:00:00+00:00"),
    ]


@pytest.fixture
async def reports(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> AsyncIterator[httpx.AsyncClient]:
    settings = ReportingSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=any_database.url)
    app = create_app(SPEC, settings)
    async with app.router.lifespan_context(app):
        runtime: ReportingRuntime = app.state.runtime
        for event in events():
            await runtime.event_store.publish(event)
        await eventually(lambda: caught_up(runtime), timeout=30)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t", auth=AsGateway()) as client:
            yield client


def problem(resp: httpx.Response, field: str) -> None:
    """A 422 in problem details naming the query parameter."""
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert field in [e["loc"][-1] for e in resp.json()["errors"]], resp.json()


def workbook(resp: httpx.Response) -> Any:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == XLSX
    assert resp.headers["content-disposition"].endswith('.xlsx"')
    return openpyxl.load_workbook(io.BytesIO(resp.content))


def assert_sheet_is_the_json(ws: Any, level: str, body: dict[str, Any], *, with_norm: bool) -> None:
    """Every cell of the sheet is the JSON's figure (headers, rows in order, 合计 = totals)."""
    keys = GROUP_KEYS[level]
    columns = sheet_columns(Sheet(level, keys, [], {}, with_norm=with_norm))
    table = [list(r) for r in ws.iter_rows(values_only=True)]
    assert table[0] == [c.header for c in columns]
    assert len(table) == len(body["rows"]) + 2
    for cells, row in zip(table[1:-1], body["rows"], strict=True):
        assert cells == [row.get(c.field) for c in columns]
    assert table[-1][0] == TOTAL_LABEL
    assert table[-1][len(keys) :] == [body["totals"].get(c.field) for c in columns[len(keys) :]]
    assert ws.freeze_panes == ("C2" if level == "agent" else "B2")
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=2, column=index)
        if column.kind == "rate" and cell.value is not None:
            assert cell.number_format == "0.0%"
        letter = cell.column_letter
        assert ws.column_dimensions[letter].width >= len(column.header) * 2  # CJK header fits


async def test_the_daily_and_weekly_workbooks_hold_the_same_numbers_as_the_json(
    reports: httpx.AsyncClient,
) -> None:
    by_query = workbook(await reports.get("/v1/reports/daily", params={"date": DAY, "format": "xlsx"}))
    by_accept = workbook(await reports.get("/v1/reports/daily", params={"date": DAY}, headers={"accept": XLSX}))
    assert by_query.sheetnames == by_accept.sheetnames == ["坐席", "班组", "项目"]
    for wb in (by_query, by_accept):
        for level, name in (("agent", "坐席"), ("team", "班组"), ("campaign", "项目")):
            body = (await reports.get("/v1/reports/daily", params={"date": DAY, "group_by": level})).json()
            assert body["rows"]
            assert_sheet_is_the_json(wb[name], level, body, with_norm=level == "agent")
    # The seeds' names for the measures head their columns; each rate sits right of its
    # numerator and denominator.
    headers = [c.value for c in by_query["坐席"][1]]
    assert headers[:5] == ["坐席", "班组", "拨打量", "接通量", "接通率"]
    for rate, numerator in (("意向率", "意向数"), ("成交率", "有效成交数"), ("定额占比", "拨打时长(秒)")):
        at = headers.index(rate)
        assert headers[at - 2] == numerator
    assert "有效通话时长(秒)" in headers

    week = workbook(await reports.get("/v1/reports/weekly", params={"week": "2026-W47", "format": "xlsx"}))
    for level, name in (("agent", "坐席"), ("team", "班组"), ("campaign", "项目")):
        body = (await reports.get("/v1/reports/weekly", params={"week": "2026-W47", "group_by": level})).json()
        assert_sheet_is_the_json(week[name], level, body, with_norm=False)
    assert week["坐席"]["C2"].value == 5  # a-1: four calls on Friday, one on Wednesday


async def test_dialling_time_against_the_two_hour_norm(reports: httpx.AsyncClient) -> None:
    body = (await reports.get("/v1/reports/daily", params={"date": DAY})).json()
    agents = {r["agent_id"]: r for r in body["rows"]}
    a1, a2 = agents["a-1"], agents["a-2"]
    # 2 h 30 min + (120 + 30 + 40) s of calls, placed to ended
    assert a1["dialling_seconds"] == 9000 + 190
    assert (a1["dialling_norm_seconds"], a1["dialling_norm_share"], a1["over_dialling_norm"]) == (7200, 1.2764, True)
    assert (a2["dialling_seconds"], a2["over_dialling_norm"]) == (300, False)
    assert "over_dialling_norm" not in body["totals"]
    team = (await reports.get("/v1/reports/daily", params={"date": DAY, "group_by": "team"})).json()["rows"]
    assert "dialling_norm_seconds" not in team[0] and team[0]["dialling_seconds"] == 9490
    weekly = (await reports.get("/v1/reports/weekly", params={"week": "2026-W47"})).json()["rows"]
    assert "over_dialling_norm" not in weekly[0]


async def test_a_measure_day_by_day_and_week_by_week(reports: httpx.AsyncClient) -> None:
    params = {"metric": "connect_rate", "from": "2026-11-18", "to": "2026-11-23"}
    days = (await reports.get("/v1/reports/trend", params=params)).json()
    assert (days["metric"], days["by"], days["from"], days["to"], days["team"]) == (
        "connect_rate",
        "day",
        "2026-11-18",
        "2026-11-23",
        None,
    )
    points = {p["period"]: p for p in days["points"]}
    assert list(points) == ["2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    # Friday: 8 dials, 4 connected (c1, c2, c4, c5)
    assert (points["2026-11-20"]["value"], points["2026-11-20"]["numerator"], points["2026-11-20"]["denominator"]) == (
        0.5,
        4,
        8,
    )
    assert (points["2026-11-19"]["value"], points["2026-11-19"]["denominator"]) == (None, 0)  # no calls
    weeks = (await reports.get("/v1/reports/trend", params={**params, "by": "week"})).json()["points"]
    assert [(w["period"], w["from"], w["to"]) for w in weeks] == [
        ("2026-W47", "2026-11-18", "2026-11-22"),
        ("2026-W48", "2026-11-23", "2026-11-23"),
    ]
    assert (weeks[0]["numerator"], weeks[0]["denominator"], weeks[0]["value"]) == (6, 10, 0.6)
    team = (await reports.get("/v1/reports/trend", params={**params, "metric": "dials", "team": "t-2"})).json()
    assert [p["value"] for p in team["points"]] == [0, 0, 1, 0, 1, 0]
    assert team["points"][2]["denominator"] is None

    # The calendar's last days: every week cut at the range's ends, no day past it asked for.
    edge = await reports.get("/v1/reports/trend", params={"metric": "dials", "from": "9999-12-20", "to": "9999-12-31"})
    assert edge.status_code == 200 and edge.json()["points"][-1]["period"] == "9999-12-31"
    last_weeks = (
        await reports.get(
            "/v1/reports/trend", params={"metric": "dials", "from": "9999-12-20", "to": "9999-12-31", "by": "week"}
        )
    ).json()["points"]
    assert [(w["period"], w["from"], w["to"]) for w in last_weeks] == [
        ("9999-W51", "9999-12-20", "9999-12-26"),
        ("9999-W52", "9999-12-27", "9999-12-31"),  # a Friday: the range ends before the week
    ]

    problem(await reports.get("/v1/reports/trend", params={**params, "to": "2026-11-17"}), "to")
    problem(await reports.get("/v1/reports/trend", params={**params, "from": "2025-01-01"}), "to")
    problem(await reports.get("/v1/reports/trend", params={**params, "metric": "happiness"}), "metric")
    problem(await reports.get("/v1/reports/trend", params={**params, "by": "month"}), "by")


async def test_agents_ranked_top_and_bottom(reports: httpx.AsyncClient) -> None:
    first = (await reports.get("/v1/reports/ranking", params={"metric": "dials", "date": DAY, "limit": 2})).json()
    assert [(e["rank"], e["agent_id"], e["value"]) for e in first["items"]] == [(1, "a-1", 4), (2, "a-2", 3)]
    assert [(e["rank"], e["agent_id"]) for e in first["bottom"]] == [(3, "a-3"), (2, "a-2")]
    assert (first["total"], first["unranked"], first["metric"], first["date"]) == (3, 0, "dials", DAY)
    rest = (
        await reports.get(
            "/v1/reports/ranking", params={"metric": "dials", "date": DAY, "limit": 2, "cursor": first["next_cursor"]}
        )
    ).json()
    assert [e["agent_id"] for e in rest["items"]] == ["a-3"] and rest["next_cursor"] is None

    # A rate: a-3 connected no call, so has no intent rate and is not ranked on it.
    rates = (await reports.get("/v1/reports/ranking", params={"metric": "intent_rate", "date": DAY})).json()
    assert [(e["agent_id"], e["value"], e["numerator"], e["denominator"]) for e in rates["items"]] == [
        ("a-2", 1.0, 1, 1),
        ("a-1", 0.6667, 2, 3),
    ]
    assert rates["unranked"] == 1
    team = (await reports.get("/v1/reports/ranking", params={"metric": "dials", "date": DAY, "team": "t-1"})).json()
    assert [e["agent_id"] for e in team["items"]] == ["a-1", "a-2"]

    problem(await reports.get("/v1/reports/ranking", params={"metric": "dials", "date": DAY, "cursor": "x"}), "cursor")
    other = await reports.get(
        "/v1/reports/ranking",
        params={"metric": "connect_rate", "date": DAY, "limit": 2, "cursor": first["next_cursor"]},
    )
    problem(other, "cursor")  # a cursor of another ranking
    problem(await reports.get("/v1/reports/ranking", params={"metric": "dials", "date": DAY, "limit": 0}), "limit")
    problem(await reports.get("/v1/reports/ranking", params={"metric": "dials", "date": "2026-13-01"}), "date")
