"""Who may do what, route by route: the role table of the gateway (``gateway.access``) against
every public route of every service, then every role on every route through the real platform,
and the rows each role's lists may hold."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from common.identity import ADMIN, AGENT, MANAGER, PARTNER, QA, ROLES, SUPERVISOR, Identity
from common.service import create_app
from common.testing import ProvisionedDatabase
from gateway.access import RULES, access_table_markdown, allowed_roles
from gateway.app import create_app as create_gateway
from gateway.settings import GatewaySettings

from tests.platform import RunningPlatform, auth_headers, dev_keys, gateway_client, gateway_settings, start_platform
from tests.test_openapi_responses import _services

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "post", "put", "patch", "delete")


def _sample(path: str) -> str:
    """A concrete path for a template (``{lead_id}`` -> ``x-1``): enough to match the table."""
    return re.sub(r"\{[^}]+\}", "x-1", path)


def public_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the public API: each service's /v1 routes and the gateway's own."""
    found: set[tuple[str, str]] = set()
    documents = [create_app(spec, settings()).openapi() for spec, settings in _services()]
    documents.append(create_gateway(GatewaySettings()).openapi())
    for document in documents:
        for path, item in document["paths"].items():
            if not path.startswith("/v1/"):
                continue
            for method in METHODS:
                if method in item:
                    found.add((method.upper(), path))
    return sorted(found)


OPERATIONS = public_operations()


def test_every_public_route_has_a_rule() -> None:
    """A route the table does not name would be closed to everyone: adding a route means
    deciding who may use it."""
    assert len(OPERATIONS) > 50
    missing = [f"{m} {p}" for m, p in OPERATIONS if not allowed_roles(m, _sample(p))]
    assert missing == []


def test_every_rule_is_for_a_route_that_exists() -> None:
    """No stale rules: each one matches at least one real route (the live events stream is the
    gateway's own streaming route, mounted outside the OpenAPI document)."""
    samples = [(m, _sample(p)) for m, p in OPERATIONS] + [("GET", "/v1/events/stream")]
    unused = [f"{sorted(r.methods)} {r.path.pattern}" for r in RULES if not any(r.matches(m, p) for m, p in samples)]
    assert unused == []


def test_the_security_document_shows_the_table_in_the_code() -> None:
    assert access_table_markdown() in (ROOT / "docs" / "security.md").read_text()


def test_live_events_show_each_role_the_rows_its_lists_would() -> None:
    from gateway.access import live_event_filter
    from gateway.events_stream import LiveEvent

    def ended(agent: str, team: str, campaign: str) -> LiveEvent:
        data = {"agent": {"id": agent, "team": team}, "campaign": {"id": campaign}, "phone_masked": "138****8000"}
        return LiveEvent("e", "CallEnded", "x", "calls", "c", "t", None, 1, data)

    mine, others = ended("A001", "T01", "C01"), ended("A999", "T02", "C99")
    no_row = LiveEvent("e", "LeadNumberAdded", "x", "leads", "l", "t", None, 2, {"lead_id": "l"})
    seen = {
        role: [bool(live_event_filter(who)(e)) for e in (mine, others, no_row)]
        for role, who in {
            AGENT: Identity("A001", frozenset({AGENT}), "T01"),
            SUPERVISOR: Identity("S001", frozenset({SUPERVISOR}), "T01"),
            PARTNER: Identity("p", frozenset({PARTNER}), None, frozenset({"C01"})),
            ADMIN: Identity("admin", frozenset({ADMIN})),
        }.items()
    }
    assert seen == {
        AGENT: [True, False, False],
        SUPERVISOR: [True, False, False],
        PARTNER: [True, False, False],
        ADMIN: [True, True, True],
    }


# --- through the real platform -----------------------------------------------------------------


@pytest.fixture
def platform(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> Iterator[RunningPlatform]:
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


def call_for(call_id: str, *, agent: str, team: str, campaign: str, lead: str) -> dict[str, Any]:
    day = time.strftime("%Y-%m-%d")
    return {
        "call_id": call_id,
        "direction": "outbound",
        "campaign": {"id": campaign, "brand": "中国移动", "authorized_brands": ["中国移动"]},
        "agent": {"id": agent, "team": team, "supervisor": "S001"},
        "lead": {"id": lead, "name": "张伟", "phone": "+8613800138000", "birth_year": 1980},
        "caller_number": "+8613900139000",
        "placed_at": f"{day}T10:03:00+08:00",
        "answered_at": f"{day}T10:03:12+08:00",
        "ended_at": f"{day}T10:06:12+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        "callback_at": None,
        "turns": [],
    }


async def test_every_role_on_every_route() -> None:
    """Every role on every public route, through the gateway in process: a role the table does
    not list gets 403; a role it lists gets through (to upstreams that are not there here: 503).
    That the services then accept the identity the gateway signs is the next test's part."""
    nowhere = {f"{s}_url": "http://127.0.0.1:9" for s in ("leads", "calls", "scheduling", "qa", "reporting")}
    app = create_gateway(gateway_settings(upstream_connect_timeout_s=0.5, **nowhere))
    headers = {role: auth_headers(role) for role in ROLES}
    denied_but_answered: list[str] = []
    allowed_but_refused: list[str] = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        for method, template in OPERATIONS:
            if template.startswith("/v1/events/") or template.startswith("/v1/admin/dead-letters"):
                continue  # the gateway's own routes: a live stream, and a merge that answers itself
            path = _sample(template)
            allowed = allowed_roles(method, path)
            for role in ROLES:
                body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
                status = (await client.request(method, path, json=body, headers=headers[role])).status_code
                if role not in allowed and status != 403:
                    denied_but_answered.append(f"{role} {method} {template} -> {status}")
                # An agent asking for another agent's agenda (x-1 is not A001) is the row rule.
                own_rule = role == AGENT and template.endswith("/agenda")
                if role in allowed and not own_rule and status in (401, 403):
                    allowed_but_refused.append(f"{role} {method} {template} -> {status}")
    assert denied_but_answered == []
    assert allowed_but_refused == []


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_each_role_sees_only_its_own_rows(platform: RunningPlatform) -> None:
    headers = {role: auth_headers(role) for role in ROLES}
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        # No token, a token from another key, an expired one: 401, with a problem body.
        for bad in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}):
            answer = client.get("/v1/calls", headers=bad)
            assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
        expired = dev_keys().role_token(ADMIN, ttl_s=-120)
        assert client.get("/v1/calls", headers={"Authorization": f"Bearer {expired}"}).status_code == 401

        # Rows: two teams, two agents, two campaigns.
        admin = gateway_client(platform.gateway_url, ADMIN)
        mine = call_for("acl-mine", agent="A001", team="T01", campaign="C01", lead="l-acl-1")
        other = call_for("acl-other", agent="A999", team="T02", campaign="C99", lead="l-acl-2")
        assert admin.post("/v1/calls", json=mine).status_code == 202
        assert admin.post("/v1/calls", json=other).status_code == 202
        partner = gateway_client(platform.gateway_url, PARTNER)
        refused = partner.post("/v1/calls", json=dict(other, call_id="acl-partner-other"))
        assert refused.status_code == 403, refused.text
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(admin.get("/v1/calls").json()["items"]) < 2:
            time.sleep(0.2)

        def ids(role: str, path: str, **params: str) -> set[str]:
            answer = client.get(path, params=params, headers=headers[role])
            assert answer.status_code == 200, answer.text
            return {item["call_id"] for item in answer.json()["items"]}

        assert ids(ADMIN, "/v1/calls") == {"acl-mine", "acl-other"}
        assert ids(QA, "/v1/calls") == {"acl-mine", "acl-other"}
        assert ids(AGENT, "/v1/calls") == {"acl-mine"}
        assert ids(AGENT, "/v1/calls", agent_id="A999") == set()  # asking for another's: nothing
        assert ids(SUPERVISOR, "/v1/calls") == {"acl-mine"}
        assert ids(SUPERVISOR, "/v1/calls", team_id="T02") == set()
        assert ids(PARTNER, "/v1/calls") == {"acl-mine"}
        assert client.get("/v1/calls/acl-other", headers=headers[AGENT]).status_code == 404
        assert client.get("/v1/calls/acl-mine", headers=headers[AGENT]).status_code == 200
        for path, id_field in (("/v1/violations", "violation_id"), ("/v1/callbacks", "callback_id")):
            elsewhere = client.get(path, params={"team_id": "T02"}, headers=headers[SUPERVISOR])
            assert elsewhere.status_code == 200 and elsewhere.json()["items"] == [], (path, id_field)
        # Reports: a supervisor's tables hold its team's rows only; another team's trend is refused.
        today = time.strftime("%Y-%m-%d")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            centre = admin.get("/v1/reports/daily", params={"date": today}).json()["rows"]
            if {r["agent_id"] for r in centre} >= {"A001", "A999"}:
                break
            time.sleep(0.2)
        own = client.get("/v1/reports/daily", params={"date": today}, headers=headers[SUPERVISOR])
        assert {r["agent_id"] for r in own.json()["rows"]} == {"A001"}, own.text
        teams = client.get("/v1/reports/daily", params={"date": today, "group_by": "team"}, headers=headers[MANAGER])
        assert {r["team_id"] for r in teams.json()["rows"]} == {"T01", "T02"}, teams.text
        trend = {"metric": "dials", "from": today, "to": today, "team": "T02"}
        assert client.get("/v1/reports/trend", params=trend, headers=headers[SUPERVISOR]).status_code == 403
        # A manager reads reports, not calls.
        assert client.get("/v1/calls", headers=headers[MANAGER]).status_code == 403

        # Personal data: a lead of A001's, shown masked to its agent, in clear to the admin (audited).
        created = admin.post(
            "/v1/leads", json={"name": "欧阳娜娜", "phones": ["+8613812345678"], "owner_agent_id": "A001",
                               "owner_team_id": "T01"},
        )  # fmt: skip
        assert created.status_code in (200, 201), created.text
        lead_id = created.json()["lead_id"]
        # The read model is the projection's: the new lead shows once it has applied the event.
        deadline = time.monotonic() + 30
        as_agent = client.get(f"/v1/leads/{lead_id}", headers=headers[AGENT])
        while as_agent.status_code == 404 and time.monotonic() < deadline:
            time.sleep(0.2)
            as_agent = client.get(f"/v1/leads/{lead_id}", headers=headers[AGENT])
        assert as_agent.status_code == 200, as_agent.text
        assert "欧阳娜娜" not in as_agent.text and "13812345678" not in as_agent.text
        assert as_agent.json()["name"] == "欧***"
        as_admin = admin.get(f"/v1/leads/{lead_id}")
        assert as_admin.json()["name"] == "欧阳娜娜"
        audit = admin.get("/v1/admin/audit", params={"lead_id": lead_id}).json()["items"]
        assert [(a["subject"], a["lead_id"]) for a in audit] == [("admin", lead_id)]
        assert "name" in audit[0]["fields"] and audit[0]["client"]
        # Another team's supervisor does not find it.
        other_supervisor = dev_keys().token(Identity("S002", frozenset({SUPERVISOR}), team="T02"))
        assert (
            client.get(f"/v1/leads/{lead_id}", headers={"Authorization": f"Bearer {other_supervisor}"}).status_code
            == 404
        )


def test_a_service_refuses_a_request_that_did_not_come_through_the_gateway(platform: RunningPlatform) -> None:
    for url in platform.service_urls.values():
        answer = httpx.get(url + "/v1/calls", timeout=10)
        assert answer.status_code == 401
        forged = httpx.get(url + "/v1/calls", headers={"X-TM-Identity": "e30.forged"}, timeout=10)
        assert forged.status_code == 401
