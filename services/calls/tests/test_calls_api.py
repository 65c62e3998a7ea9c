"""A call's life over HTTP: placed, ended (blank fields named), transcribed later, queried;
dropped calls request a redial; inbound registration; finished calls in one request; the
disposition catalogue per campaign. Real NATS, SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from common.events.calls import CallEnded, CallPlaced, RedialRequested
from common.testing import eventually

MOBILE = "+8613800138000"


def iso(moment: datetime) -> str:
    return moment.isoformat()


async def _placed(h: Any, call_id: str, lead_id: str = "l-1", **kw: Any) -> datetime:
    resp = await h.client.post("/v1/calls/place", json=h.place_body(call_id, lead_id, **kw))
    assert resp.status_code == 201, resp.text
    return datetime.fromisoformat(resp.json()["placed_at"])


async def _ready(h: Any, lead_id: str = "l-1", **kw: Any) -> str:
    """Publish the lead as the leads service would; return the id of the first dial the guard
    let through (a dial refused as unknown_lead stays refused under its call id)."""
    await h.open_campaign()
    await h.leads.publish(h.lead_created(lead_id, {"n-1": MOBILE}, **kw))
    tries = [0]

    async def known() -> str | None:
        tries[0] += 1
        call_id = f"c-warmup-{tries[0]}"
        resp = await h.client.post("/v1/calls/place", json=h.place_body(call_id, lead_id))
        return call_id if resp.status_code == 201 else None

    return str(await eventually(known, timeout=5))


async def test_place_end_transcribe_and_query(harness: Any) -> None:
    h = harness
    warmup = await _ready(h)
    # The warm-up dial reached nobody; end it so history is right.
    t0 = datetime.fromisoformat((await h.client.get(f"/v1/calls/{warmup}")).json()["placed_at"])
    resp = await h.client.post(
        f"/v1/calls/{warmup}/end",
        json={
            "ended_at": iso(t0 + timedelta(seconds=40)),
            "ring_count": 10,
            "hangup_by": "agent",
            "eligibility": "unknown",
            "disposition": "no_answer",
        },
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["disposition_flags"] == []

    resp = await h.client.post("/v1/calls/place", json=h.place_body("c-1", "l-1"))
    assert resp.status_code == 201
    assert resp.json()["first_contact"] is True and resp.json()["history"]["previous_attempts"] == 1
    placed = datetime.fromisoformat(resp.json()["placed_at"])
    again = await h.client.post("/v1/calls/place", json=h.place_body("c-1", "l-1"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"

    # Blank fields are refused, all named at once; nothing is written.
    resp = await h.client.post("/v1/calls/c-1/end", json={"disposition": "interested", "hangup_by": "customer"})
    assert resp.status_code == 422
    assert set(resp.json()["missing"]) == {"ended_at", "ring_count", "eligibility", "answered_at", "notes"}
    assert await h.events_of("c-1") == ["CallPlaced"]

    end = {
        "answered_at": iso(placed + timedelta(seconds=8)),
        "ended_at": iso(placed + timedelta(minutes=3)),
        "ring_count": 2,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        "notes": "wants the 200M plan, call back with the contract",
        "recording_uri": "s3://rec/c-1.wav",
    }
    resp = await h.client.post("/v1/calls/c-1/end", json=end)
    assert resp.status_code == 200, resp.text
    assert resp.json()["disposition_flags"] == ["customer_contact", "human_answered", "interested"]
    assert (await h.client.post("/v1/calls/c-1/end", json=end)).json()["status"] == "duplicate"
    changed = {**end, "disposition": "no_interest"}
    assert (await h.client.post("/v1/calls/c-1/end", json=changed)).status_code == 409
    ended = (await h.store.load("calls", "c-1")).events[-1].event
    assert isinstance(ended, CallEnded) and ended.has_flag("interested") and ended.talk_seconds == 172.0
    assert ended.catalogue_version and ended.first_contact is True

    # The transcript arrives later (ASR is slower than the call).
    turns = [
        {"speaker": "agent", "start_s": 0.0, "end_s": 3.0, "text": "您好,我是中国移动的客户经理小李"},
        {"hold": True, "start_s": 60.0, "end_s": 75.0},
        {"speaker": "customer", "start_s": 76.0, "end_s": 77.5, "text": "好的"},
    ]
    resp = await h.client.post("/v1/calls/c-1/transcript", json={"turns": turns})
    assert resp.status_code == 202
    assert (await h.client.post("/v1/calls/c-1/transcript", json={"turns": turns})).status_code == 200
    assert (await h.client.post("/v1/calls/c-none/transcript", json={"turns": turns})).status_code == 404
    assert await h.events_of("c-1") == ["CallPlaced", "CallEnded", "CallTranscribed"]

    call = (await h.client.get("/v1/calls/c-1")).json()
    assert call["status"] == "ended" and call["disposition"] == "interested"
    assert call["transcript"][1] == {"hold": True, "start_s": 60.0, "end_s": 75.0}
    assert call["recording_uri"] == "s3://rec/c-1.wav" and call["phone_masked"] == "138****8000"
    assert MOBILE not in str(call)  # no raw number in the read model either
    assert (await h.client.get("/v1/calls/c-nope")).status_code == 404

    # The next dial is a repeat call: the customer talked with us before.
    resp = await h.client.post("/v1/calls/place", json=h.place_body("c-2", "l-1"))
    assert resp.status_code == 201
    assert resp.json()["first_contact"] is False and resp.json()["contact"] == "repeat"
    assert resp.json()["history"]["talked_before"] is True

    # Ending an unknown or refused call.
    assert (await h.client.post("/v1/calls/c-nope/end", json=end)).status_code == 404
    await h.client.post("/v1/calls/place", json=h.place_body("c-refused", "l-1", agent="a-2"))
    assert (await h.client.post("/v1/calls/c-refused/end", json=end)).status_code == 409


async def test_queries_filter_and_page(harness: Any) -> None:
    h = harness
    warmup = await _ready(h, owner=None, team=None)
    for i in range(5):
        await h.client.post(
            "/v1/calls/place", json=h.place_body(f"c-q{i}", "l-1", agent=f"a-{i % 2}", team=f"t-{i % 2}")
        )
    everything = (await h.client.get("/v1/calls", params={"lead_id": "l-1", "status": "placed"})).json()["items"]
    assert len(everything) == 3  # the warm-up dial and two more: the daily cap is 3
    by_team = (await h.client.get("/v1/calls", params={"team_id": "t-1", "status": "refused"})).json()["items"]
    # (Warm-up dials refused before the guard knew the lead are in team t-1 too.)
    capped = [c for c in by_team if c["refusal_reason"] != "unknown_lead"]
    assert [c["call_id"] for c in capped] == ["c-q3"]
    assert capped[0]["refusal_reason"] == "attempt_cap_lead_day" and capped[0]["agent_id"] == "a-1"

    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"campaign_id": "k-1", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await h.client.get("/v1/calls", params=params)).json()
        seen += [c["call_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    refused_warmups = [f"c-warmup-{i}" for i in range(1, int(warmup.rsplit("-", 1)[1]))]
    assert sorted(seen) == sorted([*refused_warmups, warmup, *(f"c-q{i}" for i in range(5))])
    assert len(seen) == len(set(seen))
    day = everything[0]["day"]
    assert len((await h.client.get("/v1/calls", params={"day": day, "team_id": "t-0"})).json()["items"]) >= 1
    assert (await h.client.get("/v1/calls", params={"cursor": "garbage"})).status_code == 422


async def test_a_dropped_call_requests_an_immediate_redial(harness: Any) -> None:
    h = harness
    await _ready(h)
    placed = await _placed(h, "c-drop")
    resp = await h.client.post(
        "/v1/calls/c-drop/end",
        json={
            "answered_at": iso(placed + timedelta(seconds=5)),
            "ended_at": iso(placed + timedelta(seconds=50)),
            "ring_count": 1,
            "hangup_by": "network",
            "eligibility": "unknown",
            "disposition": "interested",
            "notes": "line cut while introducing the plan",
        },
    )
    assert resp.status_code == 200 and resp.json()["dropped"] is True and resp.json()["redial_requested"] is True
    events = (await h.store.load("calls", "c-drop")).events
    redial = events[-1].event
    assert isinstance(redial, RedialRequested)
    assert redial.lead_id == "l-1" and redial.number_id == "n-1" and redial.reason == "dropped"
    assert (await h.client.get("/v1/calls/c-drop")).json()["redial_requested"] is True


async def test_inbound_calls_are_registered_with_how_they_heard(harness: Any) -> None:
    h = harness
    body = h.place_body("c-in", "l-walkin", direction="inbound", caller_number=None, heard_from="地铁广告")
    resp = await h.client.post("/v1/calls/place", json=body)  # no guard for a call the customer made
    assert resp.status_code == 201, resp.text
    placed = datetime.fromisoformat(resp.json()["placed_at"])
    end = {
        "answered_at": iso(placed + timedelta(seconds=20)),
        "ended_at": iso(placed + timedelta(minutes=4)),
        "ring_count": 5,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        "notes": "asked about broadband prices",
    }
    resp = await h.client.post("/v1/calls/c-in/end", json=end)
    assert resp.status_code == 422 and resp.json()["missing"] == ["need"]
    resp = await h.client.post("/v1/calls/c-in/end", json={**end, "need": "broadband at home"})
    assert resp.status_code == 200 and resp.json()["slow_answer"] is True
    ended = (await h.store.load("calls", "c-in")).events[-1].event
    assert isinstance(ended, CallEnded) and ended.heard_from == "地铁广告" and ended.slow_answer is True
    placed_event = (await h.store.load("calls", "c-in")).events[0].event
    assert isinstance(placed_event, CallPlaced) and placed_event.source == "inbound"


def finished(call_id: str, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "call_id": call_id,
        "direction": "outbound",
        "campaign": {
            "id": "broadband-2026q4",
            "brand": "中国移动",
            "authorized_brands": ["中国移动"],
            "allowed_caller_carriers": ["China Mobile"],
            "price_on_phone": False,
        },
        "agent": {"id": "a-101", "team": "t-1", "supervisor": "s-1"},
        "lead": {"id": "l-9", "name": "张伟", "phone": MOBILE, "birth_year": 1958},
        "caller_number": "+8613900139000",
        "placed_at": "2026-11-20T10:03:00+08:00",
        "answered_at": "2026-11-20T10:03:12+08:00",
        "ended_at": "2026-11-20T10:06:40+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "success",
        "callback_at": None,
        "turns": [],
    }
    record.update(changes)
    return record


async def test_finished_calls_in_one_request(harness: Any) -> None:
    h = harness
    resp = await h.client.post("/v1/calls", json=finished("c-f1"))
    assert resp.status_code == 202 and resp.json()["status"] == "accepted"
    resp = await h.client.post("/v1/calls", json=finished("c-f1"))
    assert resp.status_code == 200 and resp.json()["status"] == "duplicate"
    bad = finished("c-f-bad", hangup_by="nobody")
    resp = await h.client.post("/v1/calls", json=bad)
    assert resp.status_code == 422 and any(e["loc"][-1] == "hangup_by" for e in resp.json()["errors"])
    resp = await h.client.post("/v1/calls", json=finished("c-f-bad", disposition="teleported"))
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "disposition"]
    resp = await h.client.post("/v1/calls", json=finished("c-f-bad", disposition="callback"))
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "callback_at"]
    resp = await h.client.post("/v1/calls", json=finished("c-f-bad", direction="inbound"))
    assert resp.status_code == 422 and resp.json()["missing"] == ["heard_from", "need"]
    assert await h.events_of("c-f-bad") == []

    ended = (await h.store.load("calls", "c-f1")).events[1].event
    assert isinstance(ended, CallEnded) and ended.has_flag("sale") and ended.customer.number_digest
    assert ended.first_contact is True

    # A later report about the same lead is a repeat call; a network cut requests a redial.
    later = finished(
        "c-f2",
        placed_at="2026-11-21T10:03:00+08:00",
        answered_at="2026-11-21T10:03:05+08:00",
        ended_at="2026-11-21T10:03:30+08:00",
        hangup_by="network",
        disposition="interested",
    )

    async def projected() -> bool:
        status: int = (await h.client.get("/v1/calls/c-f1")).status_code
        return status == 200

    await eventually(projected, timeout=5)
    assert (await h.client.post("/v1/calls", json=later)).status_code == 202
    events = [e.event for e in (await h.store.load("calls", "c-f2")).events]
    assert [e.event_type for e in events] == ["CallPlaced", "CallEnded", "RedialRequested"]
    assert isinstance(events[0], CallPlaced) and events[0].first_contact is False
    assert events[0].history is not None and events[0].history.talked_before


async def test_campaign_catalogue_and_settings(harness: Any) -> None:
    h = harness
    # Defaults until configured.
    body = (await h.client.get("/v1/campaigns/k-new/settings")).json()
    assert body["version"] == 0 and body["settings"]["caps"]["lead_day"] == 3
    assert body["settings"]["windows"] == [
        {"start": "09:00", "end": "12:00"},
        {"start": "13:00", "end": "18:00"},
    ]

    # A new outcome, no code change.
    resp = await h.client.put(
        "/v1/campaigns/k-new/dispositions/site_visit_booked",
        json={"label": {"zh": "已约看房"}, "flags": ["human_answered", "customer_contact", "interested"]},
    )
    assert resp.status_code == 200 and resp.json()["version"] == 1
    catalogue = (await h.client.get("/v1/campaigns/k-new/dispositions")).json()
    assert "site_visit_booked" in catalogue["dispositions"] and "+k-new.v1" in catalogue["version"]
    record = finished("c-site", campaign={"id": "k-new"}, disposition="site_visit_booked")
    assert (await h.client.post("/v1/calls", json=record)).status_code == 202
    ended = (await h.store.load("calls", "c-site")).events[1].event
    assert isinstance(ended, CallEnded)
    assert ended.disposition_flags == ["customer_contact", "human_answered", "interested"]
    # Other campaigns do not have it.
    resp = await h.client.post("/v1/calls", json=finished("c-site2", disposition="site_visit_booked"))
    assert resp.status_code == 422

    # Settings: merge, optimistic concurrency, validation naming the field.
    resp = await h.client.patch(
        "/v1/campaigns/k-new/settings", json={"caps": {"lead_day": 5}}, headers={"If-Match": '"1"'}
    )
    assert resp.status_code == 200 and resp.json()["version"] == 2
    settings = resp.json()["settings"]
    assert settings["caps"]["lead_day"] == 5 and "site_visit_booked" in settings["dispositions"]
    resp = await h.client.put("/v1/campaigns/k-new/settings", json={}, headers={"If-Match": '"1"'})
    assert resp.status_code == 409 and resp.json()["version"] == 2
    resp = await h.client.put("/v1/campaigns/k-new/settings", json={"windows": [{"start": "9", "end": "12:00"}]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"][:3] == ["body", "windows", 0]
    resp = await h.client.put("/v1/campaigns/k-new/settings", json={"caps": {"lead_day": -1}})
    assert resp.status_code == 422
    assert (await h.client.get("/v1/campaigns/k-new/settings")).json()["version"] == 2


async def test_records_of_the_shared_dataset_shape(harness: Any) -> None:
    """The partners' outcome names seen in shared/datasets (not_convenient, intent) are in the
    default catalogue as aliases."""
    h = harness
    record = finished("c-nc", disposition="not_convenient", callback_at="2026-11-20T15:00:00+08:00")
    assert (await h.client.post("/v1/calls", json=record)).status_code == 202
    record = copy.deepcopy(finished("c-int", disposition="intent"))
    assert (await h.client.post("/v1/calls", json=record)).status_code == 202


async def test_the_read_models_rebuild_from_the_streams(harness: Any) -> None:
    """The calls table, the campaign settings and the guard's lead data are projections: wiped
    and replayed, they come back the same."""
    import asyncio

    from calls.projection import GuardLeads

    h = harness
    await _ready(h)
    placed = await _placed(h, "c-rb")
    await h.client.post(
        "/v1/calls/c-rb/end",
        json={
            "answered_at": iso(placed + timedelta(seconds=3)),
            "ended_at": iso(placed + timedelta(minutes=2)),
            "ring_count": 1,
            "hangup_by": "customer",
            "eligibility": "eligible",
            "disposition": "refused",
            "notes": "not now",
        },
    )
    await h.client.post(
        "/v1/calls/c-rb/transcript",
        json={"turns": [{"speaker": "customer", "start_s": 1.0, "end_s": 2.0, "text": "不需要"}]},
    )
    before = (await h.client.get("/v1/calls", params={"lead_id": "l-1"})).json()["items"]
    one_before = (await h.client.get("/v1/calls/c-rb")).json()
    settings_before = (await h.client.get("/v1/campaigns/k-1/settings")).json()

    runtime = h.runtime
    for runner in runtime.runners:
        runner.stop()
    await asyncio.gather(*runtime.tasks)
    seen: set[str] = set()
    for runner in runtime.runners:
        # As ``python -m calls rebuild`` does: a projection fed by two streams (the read model
        # also takes the leads stream's erasures) is emptied once, then each stream replayed.
        await runner.rebuild(progress=False, reset=runner.projection.name not in seen)
        seen.add(runner.projection.name)

    def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k not in ("updated_at", "transcribed_at")} for r in rows]

    assert strip((await h.client.get("/v1/calls", params={"lead_id": "l-1"})).json()["items"]) == strip(before)
    assert strip([(await h.client.get("/v1/calls/c-rb")).json()]) == strip([one_before])
    assert (await h.client.get("/v1/campaigns/k-1/settings")).json() == settings_before
    assert any(isinstance(p, GuardLeads) for p in (r.projection for r in runtime.runners))
    resp = await h.client.post("/v1/calls/place", json=h.place_body("c-after", "l-1", agent="a-2"))
    assert resp.status_code == 409 and resp.json()["reason"] == "owned_by_other_agent"


async def test_distinct_long_call_ids_are_distinct_calls(harness: Any) -> None:
    """Two ids that share their first 100 bytes were mapped to one subject: the second call was
    answered "duplicate" and could not be read back."""
    h = harness
    first, second = "z:" + "a" * 110 + "1", "z:" + "a" * 110 + "2"
    for call_id in (first, second):
        resp = await h.client.post("/v1/calls", json=finished(call_id))
        assert resp.status_code == 202 and resp.json()["status"] == "accepted", resp.text
    assert [e.event.event_type for e in (await h.store.load("calls", second)).events] == ["CallPlaced", "CallEnded"]

    async def both_readable() -> bool:
        return all([(await h.client.get(f"/v1/calls/{c}")).status_code == 200 for c in (first, second)])

    await eventually(both_readable, timeout=5)


async def test_a_call_read_back_shows_what_the_guard_decided(harness: Any) -> None:
    """``contact`` (first or repeat) and the masked number, as the place answer showed them,
    also for a dial by number id (the request then carries no number)."""
    h = harness
    warmup = await _ready(h)
    placed = datetime.fromisoformat((await h.client.get(f"/v1/calls/{warmup}")).json()["placed_at"])
    resp = await h.client.post(
        f"/v1/calls/{warmup}/end",
        json={
            "answered_at": iso(placed + timedelta(seconds=5)),
            "ended_at": iso(placed + timedelta(minutes=2)),
            "ring_count": 2,
            "hangup_by": "customer",
            "eligibility": "eligible",
            "disposition": "interested",
            "notes": "wants a quote",
        },
    )
    assert resp.status_code == 200, resp.text
    body = h.place_body("c-by-id", "l-1", number=None, number_id="n-1")
    resp = await h.client.post("/v1/calls/place", json=body)
    assert resp.status_code == 201, resp.text
    assert resp.json()["contact"] == "repeat"
    read = (await h.client.get("/v1/calls/c-by-id")).json()
    assert (read["contact"], read["phone_masked"]) == ("repeat", "138****8000")
    first = (await h.client.get(f"/v1/calls/{warmup}")).json()
    assert first["contact"] == "first"


async def test_an_appointment_says_when_and_the_event_carries_it(harness: Any) -> None:
    """An appointment booked on a call needs its time (the confirmation call the day before
    is booked from it): without it 422 naming ``appointment_at``, nothing written."""
    h = harness
    resp = await h.client.post("/v1/calls", json=finished("c-appt-bad", disposition="appointment"))
    assert resp.status_code == 422, resp.text
    assert "appointment_at" in resp.text
    assert await h.events_of("c-appt-bad") == []
    when = "2026-11-23T10:00:00+08:00"
    resp = await h.client.post("/v1/calls", json=finished("c-appt", disposition="appointment", appointment_at=when))
    assert resp.status_code == 202, resp.text
    ended = (await h.store.load("calls", "c-appt")).events[1].event
    assert isinstance(ended, CallEnded) and ended.appointment_at == datetime.fromisoformat(when)
    assert ended.has_flag("appointment")


async def test_the_same_call_id_with_another_body_is_a_conflict_not_a_duplicate(harness: Any) -> None:
    """A corrected resubmission was answered 200 "duplicate" and silently dropped."""
    h = harness
    assert (await h.client.post("/v1/calls", json=finished("c-idem"))).status_code == 202
    again = await h.client.post("/v1/calls", json=finished("c-idem"))
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    changed = await h.client.post("/v1/calls", json=finished("c-idem", disposition="no_interest", notes="changed"))
    assert changed.status_code == 409, changed.text
    assert changed.headers["content-type"].startswith("application/problem+json")
    body = changed.json()
    assert body["status"] == 409 and set(body["differences"]) == {"disposition", "notes"}
    ended = (await h.store.load("calls", "c-idem")).events[1].event
    assert isinstance(ended, CallEnded) and ended.disposition != "no_interest"  # the record stands


async def test_an_idempotency_key_must_be_the_call_id(harness: Any) -> None:
    """The header was ignored: now a key that is not the call_id is refused, naming the header;
    the call_id itself as the key works as without it."""
    h = harness
    resp = await h.client.post("/v1/calls", json=finished("c-key"), headers={"Idempotency-Key": "other-key"})
    assert resp.status_code == 422, resp.text
    assert resp.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert await h.events_of("c-key") == []
    resp = await h.client.post("/v1/calls", json=finished("c-key"), headers={"Idempotency-Key": "c-key"})
    assert resp.status_code == 202, resp.text


# --- finished calls in batches (POST /v1/calls/batch) -----------------------------------------


def _day(call_id: str, day: int, **changes: Any) -> dict[str, Any]:
    """A finished call on another day of November (the lead's calls in order by placed_at)."""
    times = {k: f"2026-11-{day:02d}T10:0{m}:00+08:00" for k, m in (("placed_at", 3), ("answered_at", 4))}
    return finished(call_id, **times, ended_at=f"2026-11-{day:02d}T10:06:40+08:00", **changes)


async def test_a_batch_records_each_call_and_classifies_a_lead_called_twice_in_it(harness: Any) -> None:
    h = harness
    # The lead's later call comes first in the batch: its past is the earlier one, placed before.
    batch = [
        _day("c-b2", 12, disposition="interested"),
        _day("c-b1", 10),
        _day("c-b3", 11, lead={**finished("x")["lead"], "id": "l-other"}),
    ]
    resp = await h.client.post("/v1/calls/batch", json={"calls": batch})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (3, 0, 0)
    assert [(r["index"], r["call_id"], r["status"]) for r in body["results"]] == [
        (0, "c-b2", "accepted"),
        (1, "c-b1", "accepted"),
        (2, "c-b3", "accepted"),
    ]
    for call_id in ("c-b1", "c-b2", "c-b3"):
        assert await h.events_of(call_id) == ["CallPlaced", "CallEnded"]
    placed = {c: (await h.store.load("calls", c)).events[0].event for c in ("c-b1", "c-b2", "c-b3")}
    assert all(isinstance(e, CallPlaced) for e in placed.values())
    first = {c: e.first_contact for c, e in placed.items() if isinstance(e, CallPlaced)}
    assert first == {"c-b1": True, "c-b2": False, "c-b3": True}
    history = placed["c-b2"].history if isinstance(placed["c-b2"], CallPlaced) else None
    assert history is not None and history.previous_attempts == 1 and history.talked_before

    # Sent again (a retry after a lost answer): nothing is recorded twice.
    again = await h.client.post("/v1/calls/batch", json={"calls": batch})
    assert again.status_code == 200, again.text
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
    assert again.json()["duplicate"] == 3
    for call_id in ("c-b1", "c-b2", "c-b3"):
        assert await h.events_of(call_id) == ["CallPlaced", "CallEnded"]


async def test_a_bad_record_is_rejected_alone_with_its_problem(harness: Any) -> None:
    h = harness
    assert (await h.client.post("/v1/calls", json=finished("c-bm-old"))).status_code == 202
    batch: list[Any] = [
        finished("c-bm-1"),
        finished("c-bm-2", hangup_by="nobody"),
        finished("c-bm-3", disposition="teleported"),
        finished("c-bm-4", direction="inbound"),
        "not a record",
        finished("c-bm-1", notes="the same call id again"),
        finished("c-bm-old", disposition="no_interest"),  # recorded before with another body
        finished("c-bm-old2"),
    ]
    resp = await h.client.post("/v1/calls/batch", json={"calls": batch})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 6)
    results = body["results"]
    assert [r["status"] for r in results] == ["accepted", *["rejected"] * 6, "accepted"]
    assert results[0]["problem"] is None and results[7]["call_id"] == "c-bm-old2"

    def fields(i: int) -> list[str]:
        problem = results[i]["problem"]
        assert problem["status"] == 422 and problem["type"].endswith("/invalid-fields"), problem
        return [e["field"] for e in problem["errors"]]

    assert fields(1) == ["calls.1.hangup_by"] and results[1]["call_id"] == "c-bm-2"
    assert results[1]["problem"]["errors"][0]["loc"] == ["body", "calls", 1, "hangup_by"]
    assert fields(2) == ["calls.2.disposition"]
    assert fields(3) == ["calls.3.heard_from", "calls.3.need"]
    assert results[3]["problem"]["missing"] == ["calls.3.heard_from", "calls.3.need"]
    assert fields(4) == ["calls.4"] and results[4]["call_id"] is None
    assert fields(5) == ["calls.5.call_id"] and "record 0" in results[5]["problem"]["errors"][0]["msg"]
    conflict = results[6]["problem"]
    assert conflict["status"] == 409 and conflict["differences"] == ["disposition"], conflict
    assert conflict["type"].endswith("/call-recorded-differently")

    assert await h.events_of("c-bm-1") == ["CallPlaced", "CallEnded"]
    assert await h.events_of("c-bm-old2") == ["CallPlaced", "CallEnded"]
    for refused in ("c-bm-2", "c-bm-3", "c-bm-4"):
        assert await h.events_of(refused) == []
    ended = (await h.store.load("calls", "c-bm-1")).events[1].event
    assert isinstance(ended, CallEnded) and ended.notes != "the same call id again"
    ended = (await h.store.load("calls", "c-bm-old")).events[1].event
    assert isinstance(ended, CallEnded) and ended.disposition == "success"  # the record stands


async def test_a_batch_that_is_not_one_or_too_large_is_refused_whole(harness: Any) -> None:
    h = harness
    bodies: tuple[object, ...] = ({}, {"calls": []}, {"calls": {"call_id": "c-bx"}}, [finished("c-bx")])
    for body in bodies:
        resp = await h.client.post("/v1/calls/batch", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    limit = h.runtime.settings.batch_max_calls
    resp = await h.client.post("/v1/calls/batch", json={"calls": [finished("c-bx")] + [{}] * limit})
    assert resp.status_code == 413, resp.text
    problem = resp.json()
    assert problem["max_calls"] == limit and problem["received"] == limit + 1
    assert problem["type"].endswith("/batch-too-large")
    assert await h.events_of("c-bx") == []


async def test_a_partner_may_batch_its_own_campaigns_only(harness: Any) -> None:
    from common.identity import PARTNER, Identity
    from common.testing import AsGateway

    h = harness
    mine = finished("c-bp-1")["campaign"]["id"]
    partner = Identity("dialer-1", frozenset({PARTNER}), campaigns=frozenset({mine}))
    theirs = finished("c-bp-2", campaign={**finished("x")["campaign"], "id": "someone-elses"})
    broken_theirs = {"call_id": "c-bp-3", "campaign": {"id": "another-one"}}
    batch = [finished("c-bp-1"), theirs, broken_theirs]
    resp = await h.client.post("/v1/calls/batch", json={"calls": batch}, auth=AsGateway(partner))
    assert resp.status_code == 403, resp.text
    assert resp.json()["campaigns"] == ["another-one", "someone-elses"]
    assert await h.events_of("c-bp-1") == []  # nothing of the batch was recorded

    resp = await h.client.post("/v1/calls/batch", json={"calls": batch[:1]}, auth=AsGateway(partner))
    assert resp.status_code == 200 and resp.json()["results"][0]["status"] == "accepted", resp.text


async def test_the_batch_route_describes_its_records_as_the_single_route_takes_them(harness: Any) -> None:
    document = (await harness.client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/v1/calls/batch"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    calls = schemas[body["$ref"].rsplit("/", 1)[1]]["properties"]["calls"]
    assert calls["items"]["$ref"].rsplit("/", 1)[1] in schemas
    answer = document["paths"]["/v1/calls/batch"]["post"]["responses"]["200"]["content"]["application/json"]
    assert answer["schema"]["$ref"].endswith("/CallBatchRecorded")
