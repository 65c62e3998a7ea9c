"""What the gateway passes to a service and back (gateway.proxy over gateway.upstream), with real
uvicorn servers on both sides: the body and query as sent, the caller's identity signed in place
of its token (a made-up identity header dropped), where the caller is, the trace context; the
service's answer as it gave it; a service that is down is a 503 problem."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from common.identity import HEADER, verify
from common.testing import free_port, serving
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from gateway.app import create_app
from opentelemetry import trace

from tests.platform import auth_headers, gateway_settings

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def gateway_url() -> Iterator[str]:
    upstream = FastAPI()

    @upstream.post("/v1/calls")
    async def calls(request: Request) -> JSONResponse:
        body = await request.body()
        echoed: dict[str, Any] = {
            "headers": {k: v for k, v in request.headers.items()},
            "query": request.url.query,
            "body": body.decode(),
        }
        return JSONResponse(echoed, status_code=202, headers={"X-Upstream": "calls"})

    down = f"http://127.0.0.1:{free_port()}"
    with (
        serving(upstream) as calls_url,
        serving(create_app(gateway_settings(calls_url=calls_url, leads_url=down))) as url,
    ):
        yield url


def test_a_request_reaches_the_service_as_sent_with_the_identity_in_place_of_the_token(gateway_url: str) -> None:
    body = '{"call_id": "c-1", "note": "通话"}'
    # Sent inside the trace it names: a test before this one may have instrumented httpx
    # (common.telemetry), which then sends its own span's traceparent in place of the header.
    caller = trace.NonRecordingSpan(
        trace.SpanContext(int(TRACE_ID, 16), 0xB7AD6B7169203331, is_remote=True, trace_flags=trace.TraceFlags(1))
    )
    for _ in range(2):  # the second on the kept connection
        with trace.use_span(caller):
            answer = httpx.post(
                gateway_url + "/v1/calls?x=1&y=%20",
                content=body.encode(),
                headers={
                    **auth_headers(),
                    "Content-Type": "application/json",
                    HEADER: "made-up.identity",
                    "traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01",
                },
            )
        assert answer.status_code == 202, answer.text
        assert answer.headers["x-upstream"] == "calls"
        assert answer.headers["content-length"] == str(len(answer.content))
        assert len(answer.headers.get_list("date")) == 1
        echoed = answer.json()
        assert echoed["body"] == body and echoed["query"] == "x=1&y=%20"
        seen = echoed["headers"]
        assert "authorization" not in seen
        assert verify(seen[HEADER.lower()], gateway_settings().gateway_secret).subject
        assert seen["x-forwarded-for"] == "127.0.0.1"  # where the caller is, for the audit log
        assert seen["content-type"] == "application/json"
        assert seen["content-length"] == str(len(body.encode()))
        assert seen["traceparent"].split("-")[1] == TRACE_ID  # the gateway's span continues the trace


def test_a_service_that_is_down_is_a_503_problem(gateway_url: str) -> None:
    answer = httpx.get(gateway_url + "/v1/leads", headers=auth_headers())
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "2"
    assert answer.json()["type"].endswith("/service-unavailable")
