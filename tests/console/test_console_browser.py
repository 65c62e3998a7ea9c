"""The console (``gateway.console``) in Debian's chromium against the running platform: what a
supervisor, a QA inspector and an agent see and do, each step checked against the public API.
Each page's screenshot is saved under ``tests/console/screenshots/`` (committed; one is in the
README)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from common.identity import ADMIN, AGENT, PARTNER, QA, SUPERVISOR
from playwright.sync_api import Browser, Page, expect

from tests.console.conftest import SCREENSHOTS, VIEWPORT, token_of
from tests.platform import RunningPlatform, gateway_client

pytestmark = pytest.mark.e2e

CENTRE = ZoneInfo("Asia/Shanghai")
# The first turn addresses the customer as 你 (QA-01, a ¥10 fine for the agent); the call placed
# at 12:03, in the lunch rest, is also QA-13.
TURNS = [
    {"speaker": "agent", "start_s": 0.0, "end_s": 4.0, "text": "张伟,你好,我是中国移动的客户经理小李。"},
    {"speaker": "customer", "start_s": 4.2, "end_s": 6.0, "text": "什么事?"},
    {"speaker": "agent", "start_s": 6.5, "end_s": 12.0, "text": "给您介绍一下我们的宽带套餐,每月六十元。"},
    {"speaker": "customer", "start_s": 12.5, "end_s": 14.0, "text": "好的,我考虑一下。"},
]


def today() -> str:
    """The day the reports count a call on: the centre's (Asia/Shanghai)."""
    return datetime.now(CENTRE).date().isoformat()


def call_for(
    call_id: str,
    *,
    hour: int = 10,
    disposition: str = "interested",
    turns: list[dict[str, Any]] | None = None,
    campaign: str = "C01",
    lead: tuple[str, str, str] = ("l-console", "张伟", "+8613800138000"),
    callback_at: str | None = None,
) -> dict[str, Any]:
    """A finished call of agent A001 (team T01) today, as tests/test_access_matrix.py posts one."""
    day = today()
    lead_id, name, phone = lead
    return {
        "call_id": call_id,
        "direction": "outbound",
        "campaign": {"id": campaign, "brand": "中国移动", "authorized_brands": ["中国移动"]},
        "agent": {"id": "A001", "team": "T01", "supervisor": "S001"},
        "lead": {"id": lead_id, "name": name, "phone": phone, "birth_year": 1980},
        "caller_number": "+8613900139000",
        "placed_at": f"{day}T{hour:02d}:03:00+08:00",
        "answered_at": f"{day}T{hour:02d}:03:12+08:00",
        "ended_at": f"{day}T{hour:02d}:06:12+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": disposition,
        "callback_at": callback_at,
        "turns": turns or [],
    }


def wait_for(predicate: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def open_pages(browser: Browser) -> Iterator[Callable[[], Page]]:
    """New pages, each in its own browser context (its own sessionStorage), closed afterwards."""
    contexts = []

    def new_page() -> Page:
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-US")
        context.set_default_timeout(30_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    errors: list[str] = []
    yield new_page
    for context in contexts:
        context.close()
    assert errors == [], f"script errors in the page: {errors}"


def sign_in(page: Page, platform: RunningPlatform, role: str) -> None:
    page.goto(platform.gateway_url + "/console")
    page.fill("#token", token_of(role))
    page.click("#signin")
    expect(page.locator("#nav")).to_be_visible()
    expect(page.locator("#login")).to_have_count(0)


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def tile(page: Page, measure: str) -> int:
    return int(page.locator(f"#tile-{measure}").inner_text().replace(",", ""))


# --- no data without a token; each role what its API allows ----------------------------------


def test_no_data_without_a_valid_token_and_a_role_sees_what_its_api_allows(
    platform: RunningPlatform, open_pages: Callable[[], Page]
) -> None:
    page = open_pages()
    calls: list[str] = []
    page.on("request", lambda request: calls.append(request.url) if "/v1/" in request.url else None)
    answer = page.goto(platform.gateway_url + "/console#/today")
    assert answer is not None and answer.status == 200
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    # No token: the sign-in page, and nothing asked of the API.
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#tiles")).to_have_count(0)
    expect(page.locator("#nav")).to_be_hidden()
    shot(page, "login")
    assert calls == []

    # A token the gateway does not accept: refused, with the API's reason, and not kept.
    page.fill("#token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.bm90LXNpZ25lZA")
    page.click("#signin")
    expect(page.locator("#login .error")).to_contain_text("refused")
    assert page.evaluate("sessionStorage.getItem('tm.console.token')") is None

    # An agent: its own page opens; the team's Today is the API's 403, said plainly.
    sign_in(page, platform, AGENT)
    expect(page).to_have_url(f"{platform.gateway_url}/console#/agent")
    expect(page.locator("h1")).to_contain_text("A001")
    page.goto(platform.gateway_url + "/console#/today")
    forbidden = page.locator(".forbidden")
    expect(forbidden).to_be_visible()
    expect(forbidden).to_contain_text("needs one of the roles")
    expect(forbidden).to_contain_text("A001 (agent)")
    shot(page, "forbidden")
    # The token lives in this tab's sessionStorage only, and signing out drops it.
    assert page.evaluate("localStorage.getItem('tm.console.token')") is None
    page.click("#signout")
    expect(page.locator("#login")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('tm.console.token')") is None


# --- Today: live ---------------------------------------------------------------------------------


def test_today_changes_live_when_a_call_is_posted(platform: RunningPlatform, open_pages: Callable[[], Page]) -> None:
    page = open_pages()
    sign_in(page, platform, SUPERVISOR)
    expect(page).to_have_url(f"{platform.gateway_url}/console#/today")
    expect(page.locator("h1")).to_contain_text("T01")
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    before = tile(page, "dials")
    page.evaluate("window.notReloaded = true")

    with gateway_client(platform.gateway_url, PARTNER) as dialer:
        posted = dialer.post("/v1/calls", json=call_for("ui-today-1", hour=10, disposition="interested"))
        assert posted.status_code == 202, posted.text

    # The figure moves by itself, the page never reloaded.
    expect(page.locator("#tile-dials")).to_have_text(str(before + 1), timeout=45_000)
    assert page.evaluate("window.notReloaded") is True
    with gateway_client(platform.gateway_url, SUPERVISOR) as supervisor:
        figures = supervisor.get("/v1/reports/daily", params={"date": today(), "group_by": "team"}).json()
    team = next(r for r in figures["rows"] if r["team_id"] == "T01")
    assert tile(page, "dials") == team["dials"]
    # The chart's bars: the call in its hour; as many dials by hour as the tile counts.
    dials_by_hour, successes_by_hour = json.loads(page.get_attribute("#hourly-chart", "data-values") or "[]")
    assert dials_by_hour[10] >= 1 and sum(dials_by_hour) == team["dials"]
    assert sum(successes_by_hour) == team["sales"]
    # The ranking names the agent.
    expect(page.locator("#ranking-top")).to_contain_text("A001")
    shot(page, "today")

    page.click("#lang")
    expect(page.locator("#nav a[data-page=today]")).to_have_text("今日")
    expect(page.locator("[data-measure=dials] .label")).to_have_text("拨打量")
    shot(page, "today-zh")
    page.click("#lang")
    expect(page.locator("#nav a[data-page=today]")).to_have_text("Today")


# --- QA: evidence, confirm, the race, the fine ---------------------------------------------------


def test_qa_opens_the_evidence_confirms_and_the_fine_appears(
    platform: RunningPlatform, open_pages: Callable[[], Page]
) -> None:
    with gateway_client(platform.gateway_url, ADMIN) as admin:
        posted = admin.post("/v1/calls", json=call_for("ui-qa-1", hour=12, turns=TURNS))
        assert posted.status_code == 202, posted.text
    inspector = gateway_client(platform.gateway_url, QA)

    def findings() -> dict[str, Any] | None:
        items = inspector.get("/v1/violations", params={"call_id": "ui-qa-1"}).json()["items"]
        rules = {v["rule"]: v for v in items}
        return rules if {"QA-01", "QA-13"} <= set(rules) else None

    found = wait_for(findings, "QA-01 and QA-13 on ui-qa-1")
    fines_before = inspector.get("/v1/qa/fines", params={"payee_id": "A001"}).json()["items"]

    page = open_pages()
    sign_in(page, platform, QA)
    page.goto(platform.gateway_url + "/console#/review?call=ui-qa-1")
    expect(page.locator("#call-header")).to_contain_text("ui-qa-1")
    expect(page.locator("#transcript .turn")).to_have_count(len(TURNS))

    # Open QA-01's evidence: the words are marked in place, in the turn the finding names.
    qa01, qa13 = found["QA-01"], found["QA-13"]
    page.click(f"button.finding[data-violation='{qa01['violation_id']}']")
    mark = page.locator("mark.evidence.current")
    expect(mark).to_have_text(qa01["evidence"])
    expect(page.locator(f"#transcript .turn[data-turn='{qa01['turn']}'] mark.current")).to_have_count(1)
    shot(page, "review")

    # Two inspectors on QA-13: the other one dismisses it first; this one's confirm loses and
    # the page says who won.
    page.click(f"button.finding[data-violation='{qa13['violation_id']}']")
    expect(page.locator("button.finding.current")).to_have_attribute("data-violation", qa13["violation_id"])
    other = inspector.post(
        f"/v1/violations/{qa13['violation_id']}/dismiss", json={"reviewer": "Q002", "comment": "lunch call agreed"}
    )
    assert other.status_code == 200, other.text
    page.keyboard.press("c")
    conflict = page.locator("#review-banner .conflict")
    expect(conflict).to_contain_text("Q002")
    expect(conflict).to_contain_text("Dismissed")
    shot(page, "review-conflict")

    # Confirm QA-01 with the keyboard: the call has nothing open left, so the next call (or the
    # empty queue) loads by itself.
    page.click(f"button.finding[data-violation='{qa01['violation_id']}']")
    page.fill("#review-comment", "addressed as 你")
    page.locator("#review-comment").press("Escape")
    page.keyboard.press("c")
    expect(page.locator("#toast")).to_contain_text("QA-01")
    expect(page.locator("#call-header")).not_to_contain_text("ui-qa-1")
    decided = inspector.get(f"/v1/violations/{qa01['violation_id']}").json()
    assert (decided["status"], decided["reviewer"], decided["comment"]) == ("confirmed", "Q001", "addressed as 你")

    # The fine appears in /v1/qa/fines: the agent's by exactly the rule's amount.
    def agent_fines(items: list[dict[str, Any]]) -> int:
        return sum(i["amount"] for i in items if i["payee"] == "agent" and i["payee_id"] == "A001")

    fines_after = inspector.get("/v1/qa/fines", params={"payee_id": "A001"}).json()["items"]
    assert agent_fines(fines_after) - agent_fines(fines_before) == qa01["fine_agent"] == 10
    inspector.close()

    # The supervisor's agent page lists the finding as confirmed.
    boss = open_pages()
    sign_in(boss, platform, SUPERVISOR)
    boss.goto(platform.gateway_url + "/console#/agent?id=A001")
    row = boss.locator("#agent-findings tbody tr", has_text=qa01["evidence"]).filter(has_text="QA-01")
    expect(row.filter(has_text="confirmed")).to_have_count(1)


# --- exports ---------------------------------------------------------------------------------------


def test_the_daily_xlsx_downloads_in_one_click_and_holds_the_json_figures(
    platform: RunningPlatform, open_pages: Callable[[], Page], tmp_path: Path
) -> None:
    supervisor = gateway_client(platform.gateway_url, SUPERVISOR)
    with gateway_client(platform.gateway_url, PARTNER) as dialer:
        assert dialer.post("/v1/calls", json=call_for("ui-xlsx-1", hour=15)).status_code == 202

    def counted() -> dict[str, Any] | None:
        rows = supervisor.get("/v1/reports/daily", params={"date": today()}).json()["rows"]
        mine = next((r for r in rows if r["agent_id"] == "A001"), None)
        calls = supervisor.get("/v1/calls", params={"day": today(), "agent_id": "A001"}).json()["items"]
        ended = [c for c in calls if c["status"] == "ended"]
        talk = sum(c["talk_seconds"] or 0 for c in ended)
        settled = mine and mine["dials"] == len(calls) and len(ended) == len(calls) and mine["talk_seconds"] == talk
        return mine if settled else None

    row = wait_for(counted, "the daily table counting every call of A001")

    page = open_pages()
    sign_in(page, platform, SUPERVISOR)
    page.goto(platform.gateway_url + "/console#/exports")
    with page.expect_download() as download:
        page.click("#export-daily")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"daily-{today()}.xlsx"
    expect(page.locator("#export-result")).to_contain_text(saved.name)
    shot(page, "exports")

    sheet = openpyxl.load_workbook(saved)["坐席"]
    header = [cell.value for cell in sheet[1]]
    agent_row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "A001")
    assert agent_row[header.index("拨打量")] == row["dials"]
    assert agent_row[header.index("通话时长(秒)")] == row["talk_seconds"]

    with page.expect_download() as weekly:
        page.click("#export-weekly")
    assert weekly.value.suggested_filename.startswith("weekly-") and weekly.value.suggested_filename.endswith(".xlsx")
    supervisor.close()


# --- agent page and overdue callbacks ----------------------------------------------------------------


def test_an_overdue_callback_is_reassigned_in_one_action_and_the_agent_page_shows_it(
    platform: RunningPlatform, open_pages: Callable[[], Page]
) -> None:
    admin = gateway_client(platform.gateway_url, ADMIN)
    # A campaign that may call at any hour, so the callback comes due whatever the test's time.
    always = {"periods": ["00:00-24:00"], "weekdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
    policy = admin.put("/v1/callback-policies/C-any", json={"window": {**always, "calendar": "none"}})
    assert policy.status_code == 200, policy.text
    created = admin.post("/v1/leads", json={"name": "王芳", "phones": ["+8613700137001"], "owner_agent_id": "A001"})
    assert created.status_code == 201, created.text
    lead_id = created.json()["lead_id"]
    now = datetime.now(CENTRE)
    record = call_for(
        "ui-cb-1",
        hour=now.hour,
        disposition="callback",
        campaign="C-any",
        lead=(lead_id, "王芳", "+8613700137001"),
        callback_at=(datetime.now(UTC) + timedelta(seconds=2)).isoformat(),
    )
    placed = now - timedelta(minutes=10)
    record |= {
        "placed_at": placed.isoformat(),
        "answered_at": (placed + timedelta(seconds=10)).isoformat(),
        "ended_at": (placed + timedelta(seconds=100)).isoformat(),
    }
    assert admin.post("/v1/calls", json=record).status_code == 202

    supervisor = gateway_client(platform.gateway_url, SUPERVISOR)

    def overdue() -> dict[str, Any] | None:
        items = supervisor.get("/v1/callbacks", params={"status": "overdue", "lead_id": lead_id}).json()["items"]
        return items[0] if items else None

    callback = wait_for(overdue, "the callback overdue")

    # The agent page lists it as overdue.
    page = open_pages()
    sign_in(page, platform, SUPERVISOR)
    page.goto(platform.gateway_url + "/console#/agent?id=A001")
    expect(page.locator("#callbacks-overdue")).to_contain_text(callback["callback_id"])
    expect(page.locator("#agent-tables")).to_contain_text("Dials")
    expect(page.locator("#trend-chart canvas")).to_have_count(1)
    shot(page, "agent")

    # Reassigned to A002 in one action: the lead and its callback move, due again now.
    page.goto(platform.gateway_url + "/console#/callbacks")
    row = page.locator(f"#overdue-callbacks tr[data-callback='{callback['callback_id']}']")
    row.locator("input").fill("A002")
    shot(page, "callbacks")
    row.locator("button").click()
    expect(row).to_have_class("done")
    expect(row).to_contain_text("A002")

    def moved() -> dict[str, Any] | None:
        now_ = admin.get(f"/v1/callbacks/{callback['callback_id']}").json()
        return now_ if now_["agent_id"] == "A002" and not now_["overdue"] else None

    after = wait_for(moved, "the callback with A002, no longer overdue")
    assert after["status"] in ("scheduled", "due")
    assert admin.get(f"/v1/leads/{lead_id}").json()["owner_agent_id"] == "A002"
    admin.close()
    supervisor.close()
