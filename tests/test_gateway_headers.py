"""The gateway passes a service's answer through as the service gave it, once: one Date and one
Server header (its own HTTP server sets both; the service's server had set them too), repeated
headers kept. Real uvicorn servers on both sides, since those headers are the servers' doing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from common.testing import serving
from fastapi import FastAPI, Response
from gateway.app import create_app

from tests.platform import auth_headers, gateway_settings


@pytest.fixture
def gateway_url() -> Iterator[str]:
    upstream = FastAPI()

    @upstream.get("/v1/leads")
    async def leads(response: Response) -> dict[str, list[str]]:
        response.headers.append("Set-Cookie", "a=1")
        response.headers.append("Set-Cookie", "b=2")
        return {"items": []}

    with serving(upstream) as leads_url, serving(create_app(gateway_settings(leads_url=leads_url))) as url:
        yield url


def test_one_date_and_one_server_header_through_the_gateway(gateway_url: str) -> None:
    answer = httpx.get(gateway_url + "/v1/leads", headers=auth_headers())
    assert answer.status_code == 200 and answer.json() == {"items": []}
    assert len(answer.headers.get_list("date")) == 1
    assert len(answer.headers.get_list("server")) == 1
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.content))
