"""The one pagination style: opaque cursors scoped to their list, a clear 422 for any other."""

from __future__ import annotations

import pytest
from common.pagination import (
    Cursor,
    InvalidCursor,
    Limit,
    Page,
    decode_cursor,
    encode_cursor,
    next_offset_cursor,
    offset_of,
)
from common.problems import install_problem_handlers
from fastapi import FastAPI
from fastapi.testclient import TestClient


def test_a_cursor_round_trips_within_its_scope() -> None:
    cursor = encode_cursor("calls", {"placed_at": "2026-11-20T08:00:00+00:00", "call_id": "c-1"})
    assert decode_cursor("calls", cursor) == {"placed_at": "2026-11-20T08:00:00+00:00", "call_id": "c-1"}
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string


@pytest.mark.parametrize("cursor", ["garbage", "", "!!!", encode_cursor("leads", {"offset": 50}), "eyJzIjoxfQ"])
def test_a_cursor_this_list_did_not_give_out_is_refused(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor("calls", cursor)
    assert raised.value.errors()[0]["loc"] == ("query", "cursor")


def test_offset_cursors() -> None:
    assert offset_of("leads", None) == 0
    following = next_offset_cursor("leads", 0, 50, 120)
    assert following is not None and offset_of("leads", following) == 50
    assert next_offset_cursor("leads", 100, 20, 120) is None  # the last page
    assert next_offset_cursor("leads", 0, 0, 0) is None
    for bad in ({"offset": -1}, {"offset": "5"}, {"offset": True}, {}):
        with pytest.raises(InvalidCursor):
            offset_of("leads", encode_cursor("leads", bad))


def test_a_route_answers_422_naming_the_cursor_and_bounds_the_limit() -> None:
    app = FastAPI()

    @app.get("/v1/things", response_model=Page[int])
    async def things(limit: Limit = 2, cursor: Cursor = None) -> Page[int]:
        start = offset_of("things", cursor)
        items = list(range(5))[start : start + limit]
        return Page[int](items=items, next_cursor=next_offset_cursor("things", start, len(items), 5))

    install_problem_handlers(app)  # as every service has: a 422 names the field in ``errors``
    client = TestClient(app)
    seen: list[int] = []
    params: dict[str, str | int] = {}
    while True:
        page = client.get("/v1/things", params=params).json()
        seen += page["items"]
        if page["next_cursor"] is None:
            break
        params = {"cursor": page["next_cursor"]}
    assert seen == [0, 1, 2, 3, 4]
    refused = client.get("/v1/things", params={"cursor": "garbage"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["query", "cursor"]
    assert client.get("/v1/things", params={"limit": 0}).status_code == 422
    assert client.get("/v1/things", params={"limit": 501}).status_code == 422
