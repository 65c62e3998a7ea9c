"""The QA service over a real nats-server, on SQLite and PostgreSQL: calls events in, findings
out exactly once, reviews, fines, voided sales, complaints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from common.events.calls import CallTranscribed
from common.eventstore import EventStore
from common.projection import checkpoint_table
from common.service import create_app
from common.testing import AsGateway, ProvisionedDatabase, eventually, started_runtime
from qa.context import QaRuntime
from qa.service import SPEC
from qa.settings import QaSettings
from qa.tables import review_item, violation
from qa.testing import AMBIGUOUS_SALE, BARE_NAME, CLEAN, PII_KEY, call_ended, qa_events, settled, turns
from sqlalchemy import select, update


def settings_for(nats_url: str, namespace: str, database_url: str) -> QaSettings:
    return QaSettings(
        nats_url=nats_url,
        event_namespace=namespace,
        database_url=database_url,
        pii_key=PII_KEY,
        qa_outbox_interval=0.05,
    )


def calls_store(runtime: QaRuntime) -> EventStore:
    return EventStore(runtime.jetstream, runtime.names, source="/test/calls")


async def wait_count(runtime: QaRuntime, event_type: str, n: int) -> list[dict[str, Any]]:
    async def check() -> list[dict[str, Any]] | None:
        found = await qa_events(runtime.jetstream, runtime.names, event_type)
        return [d for _, d in found] if len(found) >= n else None

    found = await eventually(check)
    assert isinstance(found, list)
    return found


async def _applied(runtime: QaRuntime, n: int) -> bool:
    return sum(r.stats.applied for r in runtime.runners) >= n


async def wait_settled(runtime: QaRuntime) -> None:
    await eventually(lambda: settled(runtime.jetstream, runtime.names, runtime.session_factory))


async def test_findings_published_once_then_only_new_ones_on_the_transcript(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> None:
    settings = settings_for(nats_url, event_namespace, any_database.url)
    runtime = await started_runtime(SPEC, settings)
    try:
        calls = calls_store(runtime)
        # Dialled at 12:30 in Shanghai (the lunch rest), no transcript yet: QA-13 only.
        ended = call_ended("c-1", [], placed_at=datetime(2026, 11, 20, 4, 30, tzinfo=UTC))
        await calls.publish(ended, event_id="calls-c-1-ended")
        first = await wait_count(runtime, "ViolationFound", 1)
        assert [(v["rule"], v["turn"]) for v in first] == [("QA-13", None)]

        # The transcript arrives: the bare full name (found from the name digest) is new.
        await calls.publish(CallTranscribed(call_id="c-1", turns=turns(BARE_NAME)), event_id="calls-c-1-tr")
        found = await wait_count(runtime, "ViolationFound", 2)
        await wait_settled(runtime)

        # The partner reports the same call again (new event ids): nothing new.
        await calls.publish(ended, event_id="calls-c-1-ended-again")
        await calls.publish(CallTranscribed(call_id="c-1", turns=turns(BARE_NAME)), event_id="calls-c-1-tr-again")
        await wait_settled(runtime)
        assert len(await qa_events(runtime.jetstream, runtime.names, "ViolationFound")) == 2
    finally:
        await runtime.stop()

    # Everything redelivered from the start of the stream (consumer and checkpoint gone).
    quiet = await started_runtime(SPEC, settings, run_projections=False)
    try:
        await quiet.jetstream.delete_consumer(quiet.names.stream("calls"), "qa-checks-calls")
        async with quiet.session_factory() as session, session.begin():
            await session.execute(update(checkpoint_table).values(last_seq=0))
    finally:
        await quiet.stop()
    runtime = await started_runtime(SPEC, settings)
    try:
        await eventually(lambda: _applied(runtime, 4))  # all four calls events applied once more
        await wait_settled(runtime)
        again = await qa_events(runtime.jetstream, runtime.names, "ViolationFound")
        assert len(again) == 2
        by_rule = {v["rule"]: v for _, v in again}
        name = by_rule["QA-01"]
        assert (name["turn"], name["evidence"], name["span_start"], name["span_end"]) == (4, "张伟", 0, 2)
        assert (name["fine_agent"], name["fine_supervisor"], name["severity"]) == (10, 0, "minor")
        assert name["policy_version"] == runtime.context.policy.version
        assert (name["agent_id"], name["team_id"], name["supervisor_id"], name["lead_id"]) == (
            "a-1",
            "t-1",
            "s-1",
            "l-c-1",
        )
        assert name["call_day"] == "2026-11-20"
        assert {v["violation_id"] for _, v in again} == {v["violation_id"] for v in found}
        # The call is in the review queue: the agent's first call of the week, and findings.
        async with runtime.session_factory() as session:
            item = (await session.execute(select(review_item).where(review_item.c.call_id == "c-1"))).mappings().one()
        assert set(item["reasons"]) == {"random:minimum", "finding"}
        sampled = await qa_events(runtime.jetstream, runtime.names, "ReviewSampled")
        assert sorted(r for _, d in sampled for r in d["reasons"]) == ["finding", "random:minimum"]
    finally:
        await runtime.stop()


@pytest.fixture
async def client(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> AsyncIterator[tuple[httpx.AsyncClient, QaRuntime]]:
    app = create_app(SPEC, settings_for(nats_url, event_namespace, any_database.url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://qa", auth=AsGateway()) as http:
            yield http, app.state.runtime


async def _violation_id(runtime: QaRuntime, call_id: str, rule: str) -> str:
    async def find() -> str | None:
        async with runtime.session_factory() as session:
            return (
                await session.execute(
                    select(violation.c.violation_id).where(violation.c.call_id == call_id, violation.c.rule == rule)
                )
            ).scalar()

    value = await eventually(find)
    assert isinstance(value, str)
    return value


def loc(response: httpx.Response) -> list[str]:
    detail = response.json()["errors"]
    return list(detail[0]["loc"])


async def test_review_fines_voided_sales_and_complaints(client: tuple[httpx.AsyncClient, QaRuntime]) -> None:
    http, runtime = client
    calls = calls_store(runtime)
    await calls.publish(call_ended("c-name", BARE_NAME, placed_at=datetime(2026, 11, 20, 4, 30, tzinfo=UTC)))
    await calls.publish(
        call_ended(
            "c-sale",
            AMBIGUOUS_SALE,
            disposition="success",
            flags=["human_answered", "customer_contact", "interested", "sale", "final"],
        )
    )
    await calls.publish(call_ended("c-clean", CLEAN, disposition="interested"))
    name_v = await _violation_id(runtime, "c-name", "QA-01")
    lunch_v = await _violation_id(runtime, "c-name", "QA-13")
    sale_v = await _violation_id(runtime, "c-sale", "QA-11")
    await wait_settled(runtime)

    # Queries: by agent, rule, status, day; a call's findings with the evidence marked.
    listing = (await http.get("/v1/violations", params={"agent_id": "a-1", "status": "open"})).json()
    assert {v["rule"] for v in listing["items"]} == {"QA-01", "QA-13", "QA-11"}
    assert listing["by_status"] == {"open": 3}
    assert (await http.get("/v1/violations", params={"rule": "QA-11", "date": "2026-11-20"})).json()["total"] == 1
    assert (await http.get("/v1/violations", params={"team_id": "t-9"})).json()["total"] == 0
    # One page at a time (common.pagination): the cursors walk the same three findings.
    paged: list[str] = []
    page = (await http.get("/v1/violations", params={"agent_id": "a-1", "limit": 2})).json()
    paged += [v["violation_id"] for v in page["items"]]
    assert page["total"] == 3 and page["next_cursor"]
    page = (await http.get("/v1/violations", params={"agent_id": "a-1", "cursor": page["next_cursor"]})).json()
    paged += [v["violation_id"] for v in page["items"]]
    assert page["next_cursor"] is None and sorted(paged) == sorted(v["violation_id"] for v in listing["items"])
    assert (await http.get("/v1/violations", params={"cursor": "not-ours"})).status_code == 422
    call = (await http.get("/v1/qa/calls/c-name")).json()
    marked = {f["rule"]: f["highlight"] for f in call["findings"]}
    assert marked["QA-01"]["marked"] == "【张伟】,您周末要是加班的话,周日下午也可以,我们开放到六点。"
    assert marked["QA-13"] is None
    assert (await http.get("/v1/qa/calls/c-clean")).json()["findings"] == []
    queue = (await http.get("/v1/qa/review-queue")).json()
    assert {"c-name", "c-sale"} <= {i["call_id"] for i in queue["items"]}
    assert (await http.get("/v1/qa/policy")).json()["rules"]["QA-11"]["voids_sale"] is True

    # Confirm → fines; dismiss → none.
    r = await http.post(f"/v1/violations/{name_v}/confirm", json={"reviewer": "qa-7", "comment": "heard it"})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = await http.post(f"/v1/violations/{lunch_v}/dismiss", json={"reviewer": "qa-7", "comment": "agreed time"})
    assert r.status_code == 200 and r.json()["status"] == "dismissed"
    # QA-11 confirmed on a sale: voided, rework callback requested.
    r = await http.post(f"/v1/violations/{sale_v}/confirm", json={"reviewer": "qa-7"})
    assert r.status_code == 200

    fines = await wait_count(runtime, "FineAssessed", 1)
    await wait_count(runtime, "ReworkCallbackRequested", 1)
    await wait_settled(runtime)
    fines = [d for _, d in await qa_events(runtime.jetstream, runtime.names, "FineAssessed")]
    assert [(f["violation_id"], f["payee"], f["payee_id"], f["amount"]) for f in fines] == [
        (name_v, "agent", "a-1", 10)
    ]
    dismissed = [d for _, d in await qa_events(runtime.jetstream, runtime.names, "ViolationDismissed")]
    assert [(d["violation_id"], d["comment"]) for d in dismissed] == [(lunch_v, "agreed time")]
    voided = [d for _, d in await qa_events(runtime.jetstream, runtime.names, "SaleVoided")]
    assert [(d["call_id"], d["rule"]) for d in voided] == [("c-sale", "QA-11")]
    rework = [d for _, d in await qa_events(runtime.jetstream, runtime.names, "ReworkCallbackRequested")]
    assert [(d["call_id"], d["lead_id"], d["agent_id"]) for d in rework] == [("c-sale", "l-c-sale", "a-1")]
    assert len(await qa_events(runtime.jetstream, runtime.names, "ViolationConfirmed")) == 2
    # All of c-name's findings are reviewed: its queue entry is done.
    assert (await http.get("/v1/qa/calls/c-name")).json()["review"]["status"] == "done"

    # A retried confirm changes nothing; a contrary decision is a 409 naming the field.
    r = await http.post(f"/v1/violations/{name_v}/confirm", json={"reviewer": "qa-7"})
    assert r.status_code == 200
    r = await http.post(f"/v1/violations/{name_v}/dismiss", json={"reviewer": "qa-8", "comment": "no"})
    assert r.status_code == 409 and loc(r) == ["body", "status"]
    r = await http.post("/v1/violations/nope/confirm", json={"reviewer": "qa-7"})
    assert r.status_code == 404 and loc(r) == ["path", "violation_id"]
    r = await http.post(f"/v1/violations/{sale_v}/dismiss", json={"reviewer": "qa-7"})
    assert r.status_code in (409, 422)
    r = await http.post(f"/v1/violations/{name_v}/dismiss", json={"comment": "x"})
    assert r.status_code == 422 and loc(r) == ["body", "reviewer"]

    # A complaint opens a QA-05 finding; confirmed, it costs the agent, the supervisor and the team.
    r = await http.post(
        "/v1/complaints",
        json={
            "call_id": "c-clean",
            "kind": "unconsented_activation",
            "description": "开通了我没同意的套餐",
            "complaint_id": "cp-1",
        },
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["deduction"], body["kind"]) == (100, "unconsented_activation")
    assert (
        await http.post(
            "/v1/complaints", json={"call_id": "c-clean", "kind": "unconsented_activation", "complaint_id": "cp-1"}
        )
    ).status_code == 200  # a retry
    r = await http.post("/v1/complaints", json={"call_id": "c-unknown", "kind": "mismatch"})
    assert r.status_code == 422 and loc(r) == ["body", "call_id"]
    r = await http.post("/v1/complaints", json={"call_id": "c-clean", "kind": "rudeness"})
    assert r.status_code == 422 and loc(r) == ["body", "kind"]
    filed = await wait_count(runtime, "ComplaintFiled", 1)
    assert [(c["complaint_id"], c["call_id"]) for c in filed] == [("cp-1", "c-clean")]
    complaint_finding = [
        d for _, d in await qa_events(runtime.jetstream, runtime.names, "ViolationFound") if d["call_id"] == "c-clean"
    ]
    assert [(d["rule"], d["source"], d["complaint_id"]) for d in complaint_finding] == [("QA-05", "complaint", "cp-1")]
    r = await http.post(f"/v1/violations/{body['violation_id']}/confirm", json={"reviewer": "qa-7"})
    assert r.status_code == 200
    await wait_count(runtime, "FineAssessed", 4)
    fines = [
        d
        for _, d in await qa_events(runtime.jetstream, runtime.names, "FineAssessed")
        if d["violation_id"] == body["violation_id"]
    ]
    assert sorted((f["payee"], f["payee_id"], f["amount"], f["kind"]) for f in fines) == [
        ("agent", "a-1", 200, "fine"),
        ("supervisor", "s-1", 100, "fine"),
        ("team", "t-1", 100, "complaint_deduction"),
    ]
    summary = (await http.get("/v1/qa/fines", params={"payee_id": "a-1"})).json()["items"]
    assert sum(i["amount"] for i in summary) == 210

    # The queue: complete a sampled call without findings; 404 for a call not queued.
    r = await http.post("/v1/qa/review-queue/c-nope/complete", json={"reviewer": "qa-7"})
    assert r.status_code == 404 and loc(r) == ["path", "call_id"]
    r = await http.put("/v1/qa/agents/a-2", json={"started_on": "2026-11-02"})
    assert r.status_code == 200
    r = await http.put("/v1/qa/agents/a-2", json={"started_on": "not a date"})
    assert r.status_code == 422
    assert (await http.get("/v1/qa/policy")).json()["rules"]["QA-11"]["voids_sale"] is True
