"""The guard inside the running service: its projection of the leads events, refusals as 409
and as CallRefused events, attempt caps over the calls read model. Real NATS, SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from common.events.calls import CallRefused
from common.events.leads import (
    DncEntryAdded,
    LeadAssigned,
    LeadMerged,
    LeadNumber,
    LeadOptedOut,
    LeadOptOutLifted,
)
from common.testing import eventually

MOBILE = "+8613800138000"
OFFICE = "+8613800138001"


async def _place(h: Any, call_id: str, lead_id: str, **kw: Any) -> tuple[int, dict[str, Any]]:
    resp = await h.client.post("/v1/calls/place", json=h.place_body(call_id, lead_id, **kw))
    return resp.status_code, resp.json()


async def _refused_with(h: Any, lead_id: str, reason: str, counter: list[int], **kw: Any) -> bool:
    counter[0] += 1
    status, body = await _place(h, f"c-probe-{counter[0]}", lead_id, **kw)
    return status == 409 and body["reason"] == reason


async def _allowed(h: Any, lead_id: str, counter: list[int], **kw: Any) -> bool:
    counter[0] += 1
    status, _body = await _place(h, f"c-ok-{counter[0]}", lead_id, **kw)
    return status == 201


async def test_guard_follows_the_leads_events(harness: Any) -> None:
    h = harness
    await h.open_campaign(
        caps={"lead_day": None, "number_day": None, "lead_rolling_24h": None, "number_rolling_24h": None}
    )
    n = [0]

    # Not yet published by the leads service: refused, and the refusal is an event too.
    status, body = await _place(h, "c-unknown", "l-1")
    assert status == 409 and body["reason"] == "unknown_lead"
    assert await h.events_of("c-unknown") == ["CallRefused"]
    refused = (await h.store.load("calls", "c-unknown")).events[0].event
    assert isinstance(refused, CallRefused) and refused.reasons == ["unknown_lead"]

    await h.leads.publish(h.lead_created("l-1", {"n-mob": MOBILE, "n-off": OFFICE}))
    await eventually(lambda: _allowed(h, "l-1", n), timeout=5)

    # The same call id again answers as the first time: refused stays refused.
    status, body = await _place(h, "c-unknown", "l-1")
    assert status == 409 and body["reason"] == "unknown_lead"

    # Owned by another agent / another team's pool.
    status, body = await _place(h, "c-other", "l-1", agent="a-2")
    assert status == 409 and body["reason"] == "owned_by_other_agent"
    await h.leads.publish(
        LeadAssigned(
            lead_id="l-1",
            owner_agent_id=None,
            owner_team_id="t-1",
            reason="released",
            assigned_at=datetime.now(UTC),
        )
    )
    await eventually(lambda: _allowed(h, "l-1", n, agent="a-2"), timeout=5)
    status, body = await _place(h, "c-t9", "l-1", agent="a-9", team="t-9")
    assert status == 409 and body["reason"] == "owned_by_other_team"

    # One number opted out: that number refused, the other still allowed; lifted again.
    await h.leads.publish(
        LeadOptedOut(lead_id="l-1", number_id="n-off", reason="asked", opted_out_at=datetime.now(UTC))
    )
    await eventually(lambda: _refused_with(h, "l-1", "do_not_call_number", n, number=OFFICE), timeout=5)
    assert await _allowed(h, "l-1", n, number=MOBILE)
    status, body = await _place(h, "c-by-id", "l-1", number=None, number_id="n-off")
    assert status == 409 and body["reason"] == "do_not_call_number"
    await h.leads.publish(
        LeadOptOutLifted(lead_id="l-1", number_id="n-off", reason="consent", lifted_at=datetime.now(UTC))
    )
    await eventually(lambda: _allowed(h, "l-1", n, number=OFFICE), timeout=5)

    # A 30-day rest on the whole lead (下个月再联系).
    until = datetime.now(UTC) + timedelta(days=30)
    await h.leads.publish(LeadOptedOut(lead_id="l-1", reason="next month", until=until, opted_out_at=datetime.now(UTC)))
    await eventually(lambda: _refused_with(h, "l-1", "do_not_call_lead", n), timeout=5)
    await h.leads.publish(LeadOptOutLifted(lead_id="l-1", reason="called us back", lifted_at=datetime.now(UTC)))
    await eventually(lambda: _allowed(h, "l-1", n), timeout=5)

    # A regulator's list names the number, whichever lead has it.
    await h.leads.publish(
        DncEntryAdded(
            entry_id="dnc-1",
            number_digest=h.digest(MOBILE),
            masked="138****8000",
            source="regulator_list",
            reason="regulator",
            added_at=datetime.now(UTC),
        )
    )
    await eventually(lambda: _refused_with(h, "l-1", "do_not_call_number", n, number="138 0013 8000"), timeout=5)

    # A number the lead does not have, by id.
    status, body = await _place(h, "c-bad-id", "l-1", number=None, number_id="n-nope")
    assert status == 409 and "unknown_number" in body["reasons"]


async def test_attempt_caps_count_the_calls_placed(harness: Any) -> None:
    h = harness
    await h.open_campaign()
    await h.leads.publish(h.lead_created("l-2", {"n-1": MOBILE}))
    n = [0]
    await eventually(lambda: _allowed(h, "l-2", n), timeout=5)  # dial 1
    for i in (2, 3):
        status, body = await _place(h, f"c-dial-{i}", "l-2")
        assert status == 201, body
    status, body = await _place(h, "c-dial-4", "l-2")
    assert status == 409
    assert body["reasons"][:2] == ["attempt_cap_lead_day", "attempt_cap_number_day"]
    # Refused dials are not dials: the count stays at three.
    rows = (await h.client.get("/v1/calls", params={"lead_id": "l-2", "status": "placed"})).json()["items"]
    assert len(rows) == 3

    # The same number on a merged lead counts, and so do the merged lead's dials.
    await h.leads.publish(h.lead_created("l-3", {"n-3": "+8613800138002"}))
    await eventually(lambda: _allowed(h, "l-3", n, number="+8613800138002"), timeout=5)
    await h.leads.publish(
        LeadMerged(
            lead_id="l-2",
            merged_lead_id="l-3",
            merged_at=datetime.now(UTC),
            numbers=[
                LeadNumber(number_id="n-1", masked="138****8000", number_digest=h.digest(MOBILE)),
                LeadNumber(number_id="n-3", masked="138****8002", number_digest=h.digest("+8613800138002")),
            ],
        )
    )
    await eventually(lambda: _refused_with(h, "l-3", "attempt_cap_lead_day", n, number="+8613800138002"), timeout=5)


async def test_the_calling_window_and_carriers_of_a_campaign(harness: Any) -> None:
    h = harness
    # A window that surely excludes the present moment in the customer's time zone.
    now_sh = datetime.now(ZoneInfo("Asia/Shanghai"))
    start = (now_sh + timedelta(hours=2)).strftime("%H:00")
    end = (now_sh + timedelta(hours=3)).strftime("%H:00")
    if start >= end:  # around midnight: use a window that surely excludes now
        start, end = ("12:00", "12:01") if now_sh.hour != 12 else ("13:00", "13:01")
    await h.open_campaign(campaign="k-win", windows=[{"start": start, "end": end}])
    await h.leads.publish(h.lead_created("l-4", {"n-4": MOBILE}))
    n = [0]
    await eventually(lambda: _refused_with(h, "l-4", "outside_calling_window", n, campaign="k-win"), timeout=5)

    await h.open_campaign(campaign="k-carrier", allowed_caller_carriers=["China Unicom"])
    status, body = await _place(h, "c-carrier", "l-4", campaign="k-carrier")
    assert status == 409 and body["reason"] == "caller_carrier_forbidden"
    assert "China Mobile" in body["detail"]


async def test_invalid_dial_requests_name_the_field(harness: Any) -> None:
    h = harness
    body = h.place_body("c-x", "l-x")
    del body["number"]
    resp = await h.client.post("/v1/calls/place", json=body)
    assert resp.status_code == 422 and "number" in resp.text
    body = h.place_body("c-x", "l-x", caller_number=None)
    resp = await h.client.post("/v1/calls/place", json=body)
    assert resp.status_code == 422 and "caller_number" in resp.text
    resp = await h.client.post("/v1/calls/place", json={**h.place_body("c x", "l-x")})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"][-1] == "call_id"
