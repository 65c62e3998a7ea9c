"""The leads service running on a real nats-server, on SQLite and on PostgreSQL: the API, the
events other teams receive, imports, and what calls and QA findings do to leads."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

from common.events.base import decode
from common.events.leads import DncEntryAdded, LeadCreated, LeadOptedOut, LeadTierChanged
from common.events.qa import ViolationFound
from common.testing import eventually

MOBILE = "13800138000"
E164 = "+8613800138000"
OFFICE = "010-62345678"


async def events_of(h: Any, event_type: str) -> list[Any]:
    """The events as a service holding the key grant reads them (the masked numbers and digests
    are sealed per lead on the bus: common.personal_data)."""
    keys = h.runtime.personal
    return [decode(await keys.unseal_envelope(e)) for e in await h.stream_messages() if e.type == event_type]


async def wait_import(h: Any, import_id: str) -> dict[str, Any]:
    async def done() -> dict[str, Any] | None:
        body: dict[str, Any] = (await h.client.get(f"/v1/leads/import/{import_id}")).json()
        return body if body["status"] in ("done", "failed") else None

    result: dict[str, Any] = await eventually(done, timeout=60, interval=0.1)
    return result


async def test_opt_out_publishes_a_masked_number_and_no_personal_data(harness: Any) -> None:
    h = harness
    lead = await h.create("张伟", MOBILE, {"number": OFFICE, "kind": "office"}, industry="教育")
    lead_id = lead["lead_id"]
    resp = await h.client.post(f"/v1/leads/{lead_id}/opt-out", json={"reason": "客户要求不再来电"})
    assert resp.status_code == 200 and resp.json()["status"] == "updated"

    opted = await events_of(h, "LeadOptedOut")
    assert len(opted) == 1 and isinstance(opted[0], LeadOptedOut)
    event = opted[0]
    assert (event.lead_id, event.number_id, event.until, event.source) == (
        lead_id,
        None,
        None,
        "customer_request",
    )
    assert event.masked == "138****8000" and event.number_digest

    # Nothing anyone subscribing receives holds the raw numbers or the name.
    raw = await h.raw_stream_bytes()
    for secret in (MOBILE, E164, "62345678", "张伟"):
        assert secret.encode() not in raw
        assert secret.encode("unicode_escape") not in raw
    created = (await events_of(h, "LeadCreated"))[0]
    assert isinstance(created, LeadCreated)
    assert [n.masked for n in created.numbers] == ["138****8000", "010****5678"]
    assert [n.carrier for n in created.numbers] == ["China Mobile", None]

    # The read model shows it on the do-not-call list; the detail has the raw numbers to dial.
    detail = await h.wait_detail(lead_id, lambda d: d["dnc"] is not None)
    assert detail["dnc"]["permanent"] is True
    assert [n["e164"] for n in detail["numbers"]] == [E164, "+861062345678"]
    listed = (await h.client.get("/v1/leads", params={"dnc": "true"})).json()
    assert [i["lead_id"] for i in listed["items"]] == [lead_id]
    # Opting out again changes nothing; lifting it does.
    again = await h.client.post(f"/v1/leads/{lead_id}/opt-out", json={})
    assert again.json()["status"] == "unchanged"
    lifted = await h.client.delete(f"/v1/leads/{lead_id}/opt-out", params={"reason": "customer called back"})
    assert lifted.json()["status"] == "updated"
    await h.wait_detail(lead_id, lambda d: d["dnc"] is None)


def gbk_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("姓名,联系电话,地区,行业,来源,标签,出生年份\n")
    for i in range(rows):
        out.write(f"客户{i},139{i:08d},广东,教育,展会,vip,1970\n")
    out.write("王五,12345,,,,,\n")  # bad phone
    out.write(",13900000001,,,,,\n")  # missing name
    out.write("客户1,+86 139 0000 0001,,,,新标签,\n")  # the same person as row 3, with a new tag
    out.write("\n")  # blank line: skipped
    return out.getvalue().encode("gbk")


async def test_an_import_reports_every_row_and_a_rerun_changes_nothing(harness: Any) -> None:
    h = harness
    data = gbk_csv(120)
    files = {"file": ("客户名单.csv", data, "text/csv")}
    resp = await h.client.post("/v1/leads/import", files=files, data={"owner_team_id": "t-1"})
    assert resp.status_code == 202, resp.text
    first = await wait_import(h, resp.json()["import_id"])
    assert first["status"] == "done", first
    assert first["encoding"] == "gb18030" and first["format"] == "csv"
    assert first["counts"] == {"created": 120, "merged": 1, "duplicate": 0, "rejected": 2}
    assert first["progress"] == 1.0
    rejected = (await h.client.get(f"/v1/leads/import/{first['import_id']}", params={"rows": "rejected"})).json()
    reasons = {r["row"]: r["reason"] for r in rejected["rows"]["items"]}
    assert "invalid phone number" in reasons[122] and reasons[123] == "missing name"
    merged = (await h.client.get(f"/v1/leads/import/{first['import_id']}", params={"rows": "merged"})).json()
    merged_row = merged["rows"]["items"][0]
    assert merged_row["row"] == 124
    await h.wait_detail(merged_row["lead_id"], lambda d: d["tags"] == ["vip", "新标签"])

    async def projected() -> bool:
        return bool(await h.lead_rows() == 120)

    await eventually(projected, timeout=20)
    events_before = len(await h.stream_messages())

    resp = await h.client.post("/v1/leads/import", files=files, data={"owner_team_id": "t-1"})
    second = await wait_import(h, resp.json()["import_id"])
    assert second["status"] == "done"
    assert second["counts"] == {"created": 0, "merged": 0, "duplicate": 121, "rejected": 2}
    assert len(await h.stream_messages()) == events_before
    assert await h.lead_rows() == 120
    page = (await h.client.get("/v1/leads", params={"team": "t-1", "tag": "vip", "limit": 50})).json()
    assert page["total"] == 120 and len(page["items"]) == 50 and page["next_cursor"]
    seen = [i["lead_id"] for i in page["items"]]
    while page["next_cursor"]:  # every lead once, page by page (common.pagination)
        params = {"team": "t-1", "tag": "vip", "limit": 50, "cursor": page["next_cursor"]}
        page = (await h.client.get("/v1/leads", params=params)).json()
        seen += [i["lead_id"] for i in page["items"]]
    assert len(seen) == len(set(seen)) == 120


async def test_an_xlsx_import_with_chinese_headers(harness: Any) -> None:
    import openpyxl

    h = harness
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["客户姓名", "手机", "家庭电话", "行业", "规模", "标签"])
    sheet.append(["张伟", 13800138000, "010-62345678", "金融", "大", "vip"])
    sheet.append(["李娜", "18612345678", None, "教育", None, None])
    sheet.append(["赵六", "1.38001E+10", None, None, None, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    files = {"file": ("leads.xlsx", buffer.getvalue(), "application/octet-stream")}
    resp = await h.client.post("/v1/leads/import", files=files, data={"source": "bought list"})
    job = await wait_import(h, resp.json()["import_id"])
    assert job["status"] == "done", job["error"]
    assert job["format"] == "xlsx" and job["counts"]["created"] == 2 and job["counts"]["rejected"] == 1
    rows = (await h.client.get(f"/v1/leads/import/{job['import_id']}", params={"rows": "all"})).json()["rows"]
    assert [r["status"] for r in rows["items"]] == ["created", "created", "rejected"]
    assert "scientific notation" in rows["items"][2]["reason"]
    zhang = await h.wait_detail(rows["items"][0]["lead_id"], lambda d: True)
    assert zhang["source"] == "bought list" and zhang["industry"] == "金融"
    assert [(n["kind"], n["carrier"]) for n in zhang["numbers"]] == [
        ("mobile", "China Mobile"),
        ("home", None),
    ]
    found = (await h.client.get("/v1/leads", params={"q": "李"})).json()
    assert [i["name"] for i in found["items"]] == ["李娜"]
    assert found["items"][0]["numbers"][0]["carrier"] == "China Unicom"
    assert "e164" not in found["items"][0]["numbers"][0]  # lists show masked numbers only


async def test_a_successful_call_moves_the_tier_and_records_the_history(harness: Any) -> None:
    h = harness
    lead_id = (await h.create("张伟", MOBILE, owner_agent_id="a-1", owner_team_id="t-1"))["lead_id"]
    await h.call_ended("c-1", lead_id, "interested", masked="138****8000")
    await h.wait_detail(lead_id, lambda d: d["tier"] == "intent")
    await h.call_ended("c-2", lead_id, "success", masked="138****8000")
    # The tier (leads stream) and the attempts (calls stream) are two projections: wait for both.
    detail = await h.wait_detail(lead_id, lambda d: d["tier"] == "success" and d["attempts"] == 2)
    assert [(t["tier"], t["previous_tier"], t["call_id"]) for t in detail["tier_history"]] == [
        ("intent", None, "c-1"),
        ("success", "intent", "c-2"),
    ]
    assert detail["attempts"] == 2 and detail["last_contact_at"] is not None
    assert detail["numbers"][0]["attempts"] == 2 and detail["numbers"][0]["last_disposition"] == "success"
    changes = await events_of(h, "LeadTierChanged")
    assert [(e.tier, e.call_id, e.disposition) for e in changes if isinstance(e, LeadTierChanged)] == [
        ("intent", "c-1", "interested"),
        ("success", "c-2", "success"),
    ]
    # The same call reported again (another event id) changes nothing more.
    await h.call_ended("c-2", lead_id, "success", masked="138****8000")
    await h.call_ended("c-3", lead_id, "wrong_person")
    await h.wait_detail(lead_id, lambda d: d["flagged"])
    assert len(await events_of(h, "LeadTierChanged")) == 2
    flagged = (await h.client.get("/v1/leads/flagged")).json()
    assert flagged["items"][0]["flags"][0]["flag"] == "wrong_person"
    # Correcting the name resolves the flag.
    await h.client.patch(f"/v1/leads/{lead_id}", json={"name": "张伟强"})
    await h.wait_detail(lead_id, lambda d: not d["flagged"] and d["name"] == "张伟强")


async def test_refusals_put_the_lead_on_the_do_not_call_list(harness: Any) -> None:
    h = harness
    resting = (await h.create("李娜", "18612345678"))["lead_id"]
    await h.call_ended("c-r", resting, "refused", customer_says=["不需要,下个月再说吧"])
    detail = await h.wait_detail(resting, lambda d: d["dnc"] is not None)
    until = datetime.fromisoformat(detail["dnc"]["until"])
    assert timedelta(days=29) < until - datetime.now(UTC) <= timedelta(days=30)

    pushed = (await h.create("王芳", "15312345678"))["lead_id"]
    # QA finds QA-04 before this service has seen the call: applied when the call arrives.
    await h.publisher("qa").publish(
        ViolationFound(violation_id="v-1", call_id="c-q", rule="QA-04", severity="fine", agent_id="a-1")
    )
    await h.call_ended("c-q", pushed, "no_interest")
    detail = await h.wait_detail(pushed, lambda d: d["dnc"] is not None)
    assert detail["dnc"]["permanent"] is True

    async def refusals() -> list[Any]:
        return [e for e in await events_of(h, "LeadOptedOut") if e.lead_id == pushed]

    opted = await eventually(refusals)
    assert [(e.source, e.until, e.call_id) for e in opted] == [("refusals", None, "c-q")]
    # A finding that names a call already known applies at once.
    third = (await h.create("赵六", "13900139000"))["lead_id"]
    await h.call_ended("c-t", third, "refused")
    await h.wait_detail(third, lambda d: d["dnc"] is not None and not d["dnc"]["permanent"])
    await h.publisher("qa").publish(
        ViolationFound(violation_id="v-2", call_id="c-t", rule="QA-04", severity="fine", agent_id="a-1")
    )
    await h.wait_detail(third, lambda d: d["dnc"]["permanent"])


async def test_the_api_names_bad_fields_unknown_leads_and_owners(harness: Any) -> None:
    h = harness
    resp = await h.client.post("/v1/leads", json={"name": "张伟", "phones": [MOBILE, "12345"]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "phones", 1]
    resp = await h.client.post("/v1/leads", json={"phones": [MOBILE]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "name"]
    resp = await h.client.post("/v1/leads", json={"name": "张伟", "phones": [MOBILE], "timezone": "Mars/Base"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "timezone"]
    assert (await h.client.get("/v1/leads/ld-nope")).status_code == 404
    resp = await h.client.post("/v1/leads/ld-nope/assign", json={"action": "claim", "agent_id": "a-1"})
    assert resp.status_code == 404

    lead_id = (await h.create("张伟", MOBILE))["lead_id"]
    resp = await h.client.post(
        f"/v1/leads/{lead_id}/assign", json={"action": "claim", "agent_id": "a-1", "team_id": "t-1"}
    )
    assert resp.status_code == 200 and resp.json()["owner_agent_id"] == "a-1"
    resp = await h.client.post(f"/v1/leads/{lead_id}/assign", json={"action": "claim", "agent_id": "a-2"})
    assert resp.status_code == 409 and resp.json()["owner_agent_id"] == "a-1"
    # The same person created again by another agent: refused too, not silently duplicated.
    resp = await h.client.post(
        "/v1/leads", json={"name": "张伟", "phones": ["+86 138 0013 8000"], "owner_agent_id": "a-2"}
    )
    assert resp.status_code == 409 and resp.json()["owner_agent_id"] == "a-1"
    again = await h.create("张伟", "+86 138 0013 8000", "13900139000")
    assert again["status"] == "merged" and again["lead_id"] == lead_id and len(again["numbers"]) == 2
    # A referred customer belongs to the referrer's agent.
    referred = await h.create("李娜", "18612345678", referred_by_lead_id=lead_id)
    assert referred["owner_agent_id"] == "a-1" and referred["status"] == "created"
    # Two leads found to be one person are merged, the merge named in both.
    other = (await h.create("张伟(公司)", "15312345678"))["lead_id"]
    resp = await h.client.post(f"/v1/leads/{lead_id}/merge", json={"lead_id": other})
    assert resp.status_code == 200 and len(resp.json()["numbers"]) == 3
    resp = await h.client.post(f"/v1/leads/{other}/assign", json={"action": "claim", "agent_id": "a-1"})
    assert resp.status_code == 409 and resp.json()["merged_into"] == lead_id
    await h.wait_detail(lead_id, lambda d: len(d["numbers"]) == 3)
    assert (await h.client.get("/v1/leads", params={"q": "张伟"})).json()["total"] == 1
    # Erased: gone from the API; the person may be imported anew.
    assert (await h.client.delete(f"/v1/leads/{lead_id}")).json()["status"] == "deleted"

    async def gone() -> bool:
        status: int = (await h.client.get(f"/v1/leads/{lead_id}")).status_code
        return status == 404

    await eventually(gone)
    assert (await h.create("张伟", MOBILE))["status"] == "created"


async def test_the_do_not_call_list(harness: Any) -> None:
    h = harness
    lead_id = (await h.create("张伟", MOBILE, OFFICE))["lead_id"]
    resp = await h.client.post(
        "/v1/dnc",
        json={
            "numbers": ["010 6234 5678", "13900139000"],
            "source": "regulator_list",
            "reason": "工信部名单",
        },
    )
    assert resp.status_code == 201, resp.text
    entries = resp.json()["entries"]
    assert [e["masked"] for e in entries] == ["010****5678", "139****9000"]
    assert entries[0]["leads"] == [lead_id] and entries[1]["leads"] == []
    added = await events_of(h, "DncEntryAdded")
    assert len(added) == 2 and all(isinstance(e, DncEntryAdded) and e.until is None for e in added)
    detail = await h.wait_detail(lead_id, lambda d: d["numbers"][1]["dnc"] is not None)
    assert detail["numbers"][0]["dnc"] is None and detail["dnc"] is None  # only that number
    # A lead created later with a listed number comes in opted out for it.
    later = (await h.create("李娜", "13900139000"))["lead_id"]
    await h.wait_detail(later, lambda d: d["numbers"][0]["dnc"] is not None)
    # An expiring entry: the configured rest.
    resp = await h.client.post("/v1/dnc", json={"numbers": ["18612345678"], "permanent": False})
    until = datetime.fromisoformat(resp.json()["until"])
    assert timedelta(days=29) < until - datetime.now(UTC) <= timedelta(days=30)
    resp = await h.client.post("/v1/dnc", json={"numbers": ["1234"]})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["body", "numbers", 0]

    async def listed() -> dict[str, Any] | None:
        body: dict[str, Any] = (await h.client.get("/v1/dnc", params={"kind": "number"})).json()
        return body if body["total"] == 3 else None

    await eventually(listed)
    # Removing a listed number lifts what it caused.
    assert (await h.client.delete(f"/v1/dnc/{entries[0]['entry_id']}")).status_code == 200
    await h.wait_detail(lead_id, lambda d: d["numbers"][1]["dnc"] is None)


async def test_stale_leads_and_filters(harness: Any) -> None:
    h = harness
    old = (await h.create("张伟", MOBILE, industry="教育", tags=["vip"]))["lead_id"]
    fresh = (await h.create("李娜", "18612345678", industry="金融"))["lead_id"]
    await h.call_ended("c-old", old, "interested", ended_at=datetime.now(UTC) - timedelta(days=40))
    await h.call_ended("c-new", fresh, "interested")
    # The contact is projected from the call; the tier comes later, from the lead's own event
    # (the call-outcome command runs through the outbox after the reaction commits).
    for lead_id in (old, fresh):
        await h.wait_detail(lead_id, lambda d: d["last_contact_at"] is not None and d["tier"] == "intent")
    stale = (await h.client.get("/v1/leads/stale", params={"days": 30})).json()
    assert [i["lead_id"] for i in stale["items"]] == [old]
    cutoff = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    assert [
        i["lead_id"] for i in (await h.client.get("/v1/leads", params={"contacted_before": cutoff})).json()["items"]
    ] == [old]
    for params, expected in (
        ({"industry": "金融"}, [fresh]),
        ({"tag": "vip"}, [old]),
        ({"tier": "intent"}, None),
        ({"region": "北京市"}, [old, fresh]),
        ({"unowned": "true"}, None),
    ):
        items = (await h.client.get("/v1/leads", params=params)).json()["items"]
        assert sorted(i["lead_id"] for i in items) == sorted(expected or [old, fresh]), params
    resp = await h.client.get("/v1/leads", params={"tier": "maybe"})
    assert resp.status_code == 422 and resp.json()["errors"][0]["loc"] == ["query", "tier"]


async def test_a_do_not_call_list_file_and_a_retry_of_what_cannot_retry(harness: Any) -> None:
    h = harness
    lead_id = (await h.create("张伟", MOBILE))["lead_id"]
    listing = "电话,备注\n13800138000,客户投诉\n1234,坏号码\n,\n13900139000,\n".encode()
    resp = await h.client.post(
        "/v1/dnc/import", files={"file": ("dnc.csv", listing, "text/csv")}, data={"source": "company_list"}
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["permanent"] is True and body["until"] is None
    assert [(a["row"], a["masked"], a["status"]) for a in body["added"]] == [
        (2, "138****8000", "added"),
        (5, "139****9000", "added"),
    ]
    assert body["added"][0]["leads"] == [lead_id]
    assert [r["row"] for r in body["rejected"]] == [3]
    # Only a failed import retries.
    assert (await h.client.post("/v1/leads/import/imp-nope/retry")).status_code == 404
