"""Every service and the gateway as separate processes against a real nats-server: calls go in
over HTTP, the daily report comes out."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from common.identity import PARTNER
from common.testing import ProvisionedDatabase

from tests.chaos.harness import with_appointment_time
from tests.platform import RunningPlatform, gateway_client, start_platform

pytestmark = pytest.mark.e2e

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "qa-dev"


def sample_call(
    call_id: str, agent: str = "a-101", *, answered: bool = True, day: str = "2026-11-20", hour: int = 10
) -> dict[str, object]:
    record: dict[str, object] = {
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
        "placed_at": f"{day}T{hour:02d}:03:00+08:00",
        "answered_at": f"{day}T{hour:02d}:03:12+08:00" if answered else None,
        "ended_at": f"{day}T{hour:02d}:06:12+08:00" if answered else f"{day}T{hour:02d}:03:40+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested" if answered else "no_answer",
        "callback_at": None,
        "turns": [],
    }
    return record


@pytest.fixture
def platform(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> Iterator[RunningPlatform]:
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


def daily(client: httpx.Client, day: str) -> dict[str, dict[str, object]]:
    resp = client.get("/v1/reports/daily", params={"date": day})
    assert resp.status_code == 200, resp.text
    return {row["agent_id"]: row for row in resp.json()["rows"]}


def wait_for(predicate, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"not reached in {timeout}s; last: {value}")


def test_calls_posted_over_http_show_in_the_daily_report(platform: RunningPlatform) -> None:
    with gateway_client(platform.gateway_url) as client:
        posted = [
            sample_call("c-e2e-1", "a-1"),
            sample_call("c-e2e-2", "a-1", answered=False),
            sample_call("c-e2e-3", "a-2"),
        ]
        for record in posted:
            resp = client.post("/v1/calls", json=record)
            assert resp.status_code == 202, resp.text
        # The same call again: acknowledged, counted once.
        again = client.post("/v1/calls", json=posted[0])
        assert again.status_code == 200 and again.json()["status"] == "duplicate"

        # A malformed record: 422 naming the field, nothing published.
        bad = copy.deepcopy(posted[0])
        bad["call_id"] = "c-e2e-bad"
        bad["hangup_by"] = "nobody"
        resp = client.post("/v1/calls", json=bad)
        assert resp.status_code == 422
        assert any(err["loc"][-1] == "hangup_by" for err in resp.json()["errors"])

        rows = wait_for(lambda: (r := daily(client, "2026-11-20")) and r.get("a-2", {}).get("connected") and r)
        assert rows["a-1"]["dials"] == 2 and rows["a-1"]["connected"] == 1
        assert rows["a-1"]["talk_seconds"] == 180.0
        assert rows["a-2"]["dials"] == 1 and rows["a-2"]["connect_rate"] == 1.0

        # A restart of the reporting service neither loses nor double-counts anything.
        platform.restart("reporting")
        client.post("/v1/calls", json=sample_call("c-e2e-4", "a-2"))
        rows = wait_for(lambda: (r := daily(client, "2026-11-20")) and r["a-2"]["connected"] == 2 and r)
        assert rows["a-1"]["dials"] == 2 and rows["a-2"]["dials"] == 2

        # A partner's dialer posts several calls at once, for its own campaign only (the token's
        # campaigns travel through the gateway): one result per record, the bad one refused
        # alone, the batch sent again counted once.
        own = [sample_call(f"c-e2e-b{i}", "a-3") for i in (1, 2, 3)]
        for record in own:
            record["campaign"] = {"id": "C01", "brand": "中国移动", "authorized_brands": ["中国移动"]}
        own[2]["hangup_by"] = "nobody"
        with gateway_client(platform.gateway_url, PARTNER) as partner:
            resp = partner.post("/v1/calls/batch", json={"calls": own})
            assert resp.status_code == 200, resp.text
            assert [r["status"] for r in resp.json()["results"]] == ["accepted", "accepted", "rejected"]
            assert resp.json()["results"][2]["problem"]["errors"][0]["field"] == "calls.2.hangup_by"
            again = partner.post("/v1/calls/batch", json={"calls": own[:2]})
            assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"], again.text
            foreign = partner.post("/v1/calls/batch", json={"calls": [sample_call("c-e2e-b4", "a-3")]})
            assert foreign.status_code == 403, foreign.text
        # (dials and connections arrive from different events: wait for both, not for the first)
        rows = wait_for(
            lambda: (
                (r := daily(client, "2026-11-20"))
                and r.get("a-3", {}).get("dials") == 2
                and r["a-3"].get("connected") == 2
                and r
            )
        )
        assert rows["a-3"]["dials"] == 2 and rows["a-3"]["connected"] == 2

        # The gateway publishes one OpenAPI document for the whole platform.
        doc = client.get("/openapi.json").json()
        assert "/v1/calls" in doc["paths"] and "/v1/reports/daily" in doc["paths"]
        assert client.get("/readyz").status_code == 200


@pytest.mark.skipif(not DATASET.exists(), reason="shared/datasets/qa-dev not beside the repository")
def test_partner_records_from_the_dataset_are_accepted(platform: RunningPlatform) -> None:
    files = sorted(DATASET.glob("dev-*.json"))[:10]
    with gateway_client(platform.gateway_url) as client:
        for path in files:
            record = with_appointment_time(json.loads(path.read_text()))
            resp = client.post("/v1/calls", json=record)
            assert resp.status_code == 202, (path.name, resp.text)
