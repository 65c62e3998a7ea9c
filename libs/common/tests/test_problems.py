"""Errors as RFC 9457 problem details (common.problems): the shapes services raise, validation,
unexpected errors, the edge limits, the broker away; and the OpenAPI document saying so."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import nats
import pytest
from common.events import CallbackDue
from common.eventstore import BrokerUnavailable, EventNames, EventStore, ensure_stream
from common.problems import PROBLEM_JSON, Problem, install_problem_handlers
from common.settings import ServiceSettings
from common.testing import NatsServerProcess, eventually
from fastapi import FastAPI, File, Form, HTTPException, UploadFile
from fastapi.testclient import TestClient
from nats.aio.client import Client as NATS
from pydantic import BaseModel, Field


class Record(BaseModel):
    call_id: str = Field(pattern=r"^[a-z0-9-]{1,20}$")
    ring_count: int = Field(ge=0)
    notes: dict[str, object] = Field(default_factory=dict)


def make_app(max_json_body_bytes: int = 1_000_000, max_upload_body_bytes: int = 10_000_000) -> FastAPI:
    app = FastAPI()

    @app.get("/string")
    async def string() -> None:
        raise HTTPException(404, "unknown lead l-1")

    @app.get("/errors")
    async def errors() -> None:
        raise HTTPException(422, [{"loc": ["body", "lead", "phone"], "msg": "not a number", "type": "value_error"}])

    @app.get("/conflict")
    async def conflict() -> None:
        raise HTTPException(409, {"message": "owned by a-1", "lead_id": "l-1", "owner_agent_id": "a-1"})

    @app.get("/field")
    async def field() -> None:
        raise HTTPException(422, {"field": "until", "message": "in the past"})

    @app.get("/starting")
    async def starting() -> None:
        raise HTTPException(503, "service starting")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    @app.get("/broker")
    async def broker() -> None:
        raise nats.errors.TimeoutError

    @app.post("/records", responses={404: {"description": "no such campaign"}})
    async def post_record(record: Record) -> dict[str, str]:
        return {"call_id": record.call_id}

    @app.post("/upload")
    async def upload(file: UploadFile = File(...), source: str = Form("x")) -> dict[str, int]:
        return {"size": len(await file.read())}

    install_problem_handlers(
        app, ServiceSettings(max_json_body_bytes=max_json_body_bytes, max_upload_body_bytes=max_upload_body_bytes)
    )
    return app


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(make_app(max_json_body_bytes=1000, max_upload_body_bytes=5000), raise_server_exceptions=False) as c:
        yield c


def problem(resp: object) -> dict[str, object]:
    assert resp.headers["content-type"] == PROBLEM_JSON, resp.headers  # type: ignore[attr-defined]
    body: dict[str, object] = resp.json()  # type: ignore[attr-defined]
    Problem.model_validate(body)
    assert body["status"] == resp.status_code  # type: ignore[attr-defined]
    return body


def test_a_string_detail_is_the_problem_detail(client: TestClient) -> None:
    resp = client.get("/string")
    assert resp.status_code == 404
    assert problem(resp) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "unknown lead l-1",
        "instance": "/string",
    }


def test_a_list_of_field_errors_names_each_field(client: TestClient) -> None:
    body = problem(client.get("/errors"))
    assert body["errors"] == [
        {"loc": ["body", "lead", "phone"], "field": "lead.phone", "msg": "not a number", "type": "value_error"}
    ]
    assert "lead.phone" in str(body["detail"])


def test_a_dict_detail_keeps_its_members_and_its_field(client: TestClient) -> None:
    body = problem(client.get("/conflict"))
    assert body["detail"] == "owned by a-1"
    assert body["lead_id"] == "l-1" and body["owner_agent_id"] == "a-1"
    body = problem(client.get("/field"))
    assert body["errors"] == [{"loc": ["body", "until"], "field": "until", "msg": "in the past"}]


def test_unavailable_says_when_to_retry(client: TestClient) -> None:
    resp = client.get("/starting")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "2"
    resp = client.get("/broker")
    assert resp.status_code == 503 and resp.headers["retry-after"] == "2"
    assert problem(resp)["type"] == "https://telemarketing.example/problems/broker-unavailable"


def test_validation_errors_name_every_field_without_echoing_the_input(client: TestClient) -> None:
    resp = client.post("/records", json={"call_id": "BAD ID", "ring_count": -1})
    assert resp.status_code == 422
    body = problem(resp)
    assert {e["field"] for e in body["errors"]} == {"call_id", "ring_count"}  # type: ignore[attr-defined]
    assert all(set(e) <= {"loc", "field", "msg", "type"} for e in body["errors"])  # type: ignore[attr-defined]
    assert "BAD ID" not in resp.text


def test_an_unexpected_error_is_a_500_without_the_stack(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        resp = client.get("/boom")
    assert resp.status_code == 500
    body = problem(resp)
    assert "hunter2" not in resp.text and "Traceback" not in resp.text
    assert body["type"] == "https://telemarketing.example/problems/internal-error"
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)  # the log has it


def test_a_body_over_the_limit_is_413_by_its_declared_length_or_while_it_streams(client: TestClient) -> None:
    resp = client.post("/records", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
    assert resp.status_code == 413
    assert problem(resp)["type"] == "https://telemarketing.example/problems/body-too-large"
    sent = 0

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        nonlocal sent
        for _ in range(1000):
            sent += 100
            yield b" " * 100

    resp = client.post("/records", content=chunks(), headers={"content-type": "application/json"})
    assert resp.status_code == 413
    problem(resp)
    # An upload has its own, larger limit.
    assert client.post("/upload", files={"file": ("a.csv", b"x" * 3000)}).status_code == 200
    assert client.post("/upload", files={"file": ("a.csv", b"x" * 6000)}).status_code == 413


def test_a_body_the_route_cannot_read_is_415(client: TestClient) -> None:
    resp = client.post("/records", content=b"call_id=c-1", headers={"content-type": "text/plain"})
    assert resp.status_code == 415
    problem(resp)
    resp = client.post("/upload", json={"file": "x"})
    assert resp.status_code == 415
    assert client.post("/records", json={"call_id": "c-1", "ring_count": 1}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"call_id": "c-1", "ring_count": 1, "notes": {"a": "\xff\xfe"}}',  # not UTF-8
        b'{"call_id": "c-1", "ring_count": 1, "notes": ' + b'{"a": ' * 400 + b"1" + b"}" * 401,  # deep
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the parser goes
        b'{"call_id": ',  # cut short
    ],
    ids=["invalid-utf8", "deep", "very-deep", "truncated"],
)
def test_malformed_json_is_a_4xx_never_a_500(body: bytes) -> None:
    with TestClient(make_app(max_json_body_bytes=1_000_000), raise_server_exceptions=False) as client:
        resp = client.post("/records", content=body, headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500, resp.text
    problem(resp)


def test_the_openapi_document_describes_errors_as_problems() -> None:
    document = make_app().openapi()
    schemas = document["components"]["schemas"]
    assert "Problem" in schemas and "HTTPValidationError" not in schemas
    responses = document["paths"]["/records"]["post"]["responses"]
    for code in ("404", "422", "4XX", "503"):
        assert responses[code]["content"] == {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "Retry-After" in responses["503"]["headers"]


@pytest.fixture
async def store(nats_server: NatsServerProcess, event_namespace: str) -> AsyncIterator[tuple[EventStore, NATS]]:
    nc = await nats.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    yield EventStore(js, names, source="/test", publish_timeout=2.0), nc
    await nc.close()


def due(callback_id: str) -> CallbackDue:
    return CallbackDue(callback_id=callback_id, lead_id="l-1", due_at=datetime(2026, 11, 20, tzinfo=UTC), reason="t")


async def test_appending_while_the_broker_is_down_fails_at_once_and_works_again_after(
    store: tuple[EventStore, NATS], nats_server: NatsServerProcess
) -> None:
    events, nc = store
    await events.append([due("cb-1")], expected_version=0)
    nats_server.stop()
    await asyncio.sleep(0.5)  # the client sees the connection drop
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        await events.append([due("cb-2")], expected_version=0)
    with pytest.raises(BrokerUnavailable):
        await events.load("scheduling", "cb-1")
    assert time.monotonic() - started < 1.0  # refused up front, not after the publish timeout
    nats_server.start()

    async def connected() -> bool:
        return nc.is_connected

    await eventually(connected, timeout=20)
    await events.append([due("cb-2")], expected_version=0)
    assert len((await events.load("scheduling", "cb-2")).events) == 1


def test_a_nul_character_in_a_string_is_refused_before_any_route(client: TestClient) -> None:
    """PostgreSQL cannot store U+0000: schemathesis found a 500 from a campaign id holding one."""
    body = b'{"call_id": "c-1\\u0000", "ring_count": 1}'
    resp = client.post("/records", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 422 and "NUL" in str(problem(resp)["detail"])
    errors = problem(resp)["errors"]
    assert isinstance(errors, list) and errors[0]["loc"] == ["body"]
    escaped_backslash = b'{"call_id": "c-1", "ring_count": 1, "notes": {"path": "c:\\\\u0000"}}'  # text, no NUL
    resp = client.post("/records", content=escaped_backslash, headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text


def test_a_nul_in_the_query_string_is_422_naming_the_parameter(client: TestClient) -> None:
    """PostgreSQL cannot hold U+0000 in text: a filter carrying it was a 500 in a service's query
    (schemathesis found it on GET /v1/calls?team_id=…%00…); refused at the edge for every route."""
    answer = client.get("/string?team=ok&team_id=q%00x")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "team_id" and "NUL" in answer.json()["detail"]
    assert client.get("/string?team_%69d=q%00x").json()["errors"][0]["field"] == "team_id"  # the name decoded
    assert client.get("/string?team_id=q%01x").status_code != 422  # other control characters pass on
