"""/metrics on the services and the gateway: scraped after real traffic, the counters moved; the
alert rules and the dashboard (deploy/monitoring) only name metrics that /metrics exposes."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from calls.service import SPEC as CALLS
from calls.settings import CallsSettings
from common.eventstore import EventNames
from common.metrics import metric_names, sample_value
from common.service import Runtime, create_app
from common.testing import AsGateway, ProvisionedDatabase, eventually, free_port
from fastapi import FastAPI
from gateway.app import create_app as create_gateway

from tests.platform import RunningPlatform, auth_headers, gateway_client, gateway_settings, start_platform
from tests.test_end_to_end import sample_call

ROOT = Path(__file__).resolve().parents[1]
MONITORING = ROOT / "deploy" / "monitoring"


@pytest.fixture
async def calls_app(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> AsyncIterator[FastAPI]:
    """The calls service in this process, on a real nats-server and database."""
    settings = CallsSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=test_database.url)
    app = create_app(CALLS, settings)
    async with app.router.lifespan_context(app):
        yield app


async def scrape(client: httpx.AsyncClient) -> str:
    answer = await client.get("/metrics", auth=None)  # no identity: /metrics needs none
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return answer.text


async def test_a_services_metrics_move_with_a_posted_call_and_a_poison_event(calls_app: FastAPI) -> None:
    runtime: Runtime[Any, Any] = calls_app.state.runtime
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=calls_app), base_url="http://calls", auth=AsGateway()
    ) as client:
        before = await scrape(client)
        assert sample_value(before, "tm_http_requests_total", route="/v1/calls", status="202") is None
        read_model = next(
            r for r in runtime.runners if r.stream.endswith("_CALLS") and r.projection.name == "calls-read"
        )

        resp = await client.post("/v1/calls", json=sample_call("c-metrics-1"))
        assert resp.status_code == 202, resp.text
        missing = await client.get("/v1/calls/c-nowhere")
        assert missing.status_code == 404
        refused = await client.get("/v1/calls", auth=None)  # no gateway identity: 401 before routing
        assert refused.status_code == 401

        labels = {"projection": "calls-read", "stream": read_model.stream, "service": "calls"}

        async def caught_up() -> str | None:
            text = await scrape(client)
            applied = sample_value(text, "tm_projection_events_applied_total", **labels)
            lag = sample_value(text, "tm_projection_lag_events", **labels)
            return text if applied and applied >= 2 and lag == 0 else None

        text = await eventually(caught_up, timeout=30)
        # HTTP, by route template and status, never the raw path.
        assert sample_value(text, "tm_http_requests_total", method="POST", route="/v1/calls", status="202") == 1
        assert (
            sample_value(text, "tm_http_requests_total", method="GET", route="/v1/calls/{call_id}", status="404") == 1
        )
        assert sample_value(text, "tm_http_requests_total", method="GET", route="/v1/calls", status="401") == 1
        assert "c-metrics-1" not in text and "c-nowhere" not in text
        count = sample_value(text, "tm_http_request_duration_seconds_count", method="POST", route="/v1/calls")
        assert count == 1
        assert sample_value(text, "tm_http_requests_total", route="/metrics") is None  # scrapes are not traffic
        # The projection: its batches timed, its checkpoint at the stream's end, the lease held here.
        assert (sample_value(text, "tm_projection_batch_seconds_count", **labels) or 0) >= 1
        last = sample_value(text, "tm_stream_last_sequence", service="calls", stream=read_model.stream)
        assert last is not None and last >= 2
        # At most the stream's end: events of types the read model does not read (a guard's
        # decision, say) may follow its last one, so the two need not be equal.
        checkpoint = sample_value(text, "tm_projection_checkpoint_sequence", **labels)
        assert checkpoint is not None and 1 <= checkpoint <= last
        assert sample_value(text, "tm_projection_lease_held", **labels) == 1
        assert sample_value(text, "tm_dead_letters", service="calls", projection="calls-read") == 0
        assert sample_value(text, "tm_outbox_backlog", service="calls") == 0
        for check in ("nats", "jetstream", "database"):
            assert sample_value(text, "tm_ready", service="calls", check=check) == 1
        assert sample_value(text, "process_resident_memory_bytes") is not None

        # A poison message (not a CloudEvent) on a subject the read model reads: dead-lettered,
        # and the gauge the "dead letters" alert watches says so.
        names = EventNames(runtime.settings.event_namespace)
        await runtime.jetstream.publish(names.subject("calls", "c-poison", "CallPlaced"), b"not an event")

        async def dead_lettered() -> str | None:
            text = await scrape(client)
            waiting = sample_value(text, "tm_dead_letters", service="calls", projection="calls-read")
            return text if waiting == 1 else None

        text = await eventually(dead_lettered, timeout=30)
        assert sample_value(text, "tm_projection_events_dead_lettered_total", **labels) == 1
    # Everything the alert rules and the dashboard read is in a service's scrape (or Prometheus').
    assert_read_only_what_is_exposed(metric_names(text) | SYNTHETIC)


async def test_the_gateways_metrics_name_routes_by_the_role_table(nats_url: str) -> None:
    """The gateway's one forwarding route serves every /v1 path: its requests are labelled by the
    rule of the role table they match. An upstream that is not there answers 503 (a 5xx the
    error-rate alert counts); a refusal without a token is a 401 on the same route."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(**{f"{s}_url": nowhere for s in ("leads", "calls", "scheduling", "qa", "reporting")})
    app = create_gateway(settings)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client,
    ):
        assert (await client.get("/v1/leads/l-77")).status_code == 401
        down = await client.post("/v1/leads/l-77/opt-out", json={}, headers=auth_headers())
        assert down.status_code == 503, down.text
        text = (await client.get("/metrics")).text  # no token
    assert sample_value(text, "tm_http_requests_total", method="GET", route="/v1/leads/{id}", status="401") == 1
    route = "/v1/leads/{id}/opt-out"
    assert (
        sample_value(text, "tm_http_requests_total", service="gateway", method="POST", route=route, status="503") == 1
    )
    assert "l-77" not in text


# --- the alert rules and the dashboard ---------------------------------------------------------

PROMQL_WORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
    "inf", "nan",
}  # fmt: skip
# Made by Prometheus itself for every target, not by /metrics.
SYNTHETIC = {"up"}


def promql_metrics(expr: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers that are not functions (followed by
    a parenthesis), keywords, label names (in braces or a by/without/on list) or durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, legends)
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # ranges
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][\w:]*)\b(?!\s*\()", expr):
        word = match.group(1)
        if word.lower() not in PROMQL_WORDS:
            names.add(word)
    return names


def test_promql_metrics_reads_what_an_expression_reads() -> None:
    expr = (
        'sum by (service) (rate(tm_http_requests_total{status=~"5.."}[5m])) / on (service) '
        "sum by (service) (rate(tm_http_requests_total[5m])) > 0.02 and max(x_y) == bool 1"
    )
    assert promql_metrics(expr) == {"tm_http_requests_total", "x_y"}


def alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    assert set(document) == {"groups"}
    rules: list[dict[str, Any]] = []
    for group in document["groups"]:
        assert set(group) <= {"name", "interval", "rules"} and group["name"] and group["rules"]
        rules.extend(group["rules"])
    return rules


def test_alert_rules_are_well_formed_and_each_is_explained() -> None:
    rules = alert_rules()
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names)) >= 6
    guide = (ROOT / "docs" / "operations.md").read_text()
    for rule in rules:
        assert set(rule) <= {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}, rule
        assert isinstance(rule["expr"], str) and rule["expr"].strip()
        assert re.fullmatch(r"\d+[smh]", str(rule.get("for", "0s"))), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert {"summary", "description"} <= set(rule["annotations"])
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert f"`{rule['alert']}`" in guide, f"docs/operations.md does not say what {rule['alert']} means"


def dashboard_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    exprs: list[str] = []
    panels = list(dashboard["panels"])
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels", []))
        exprs.extend(t["expr"] for t in panel.get("targets", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        if variable.get("type") == "query":
            text = query.get("query") if isinstance(query, dict) else query
            exprs.append(re.sub(r"label_values\(([^,]+),.*\)", r"\1", str(text)))
    return exprs


@pytest.fixture(scope="module")
def platform_metrics(
    nats_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[RunningPlatform, dict[str, str]]]:
    """Every service and the gateway as processes (as deployed: serve() with tracing and its
    instrumentation on), one call posted through the gateway, then every /metrics scraped."""
    import uuid

    folder = tmp_path_factory.mktemp("metrics-dbs")
    running = start_platform(nats_url, "t" + uuid.uuid4().hex[:12], lambda s: f"sqlite:///{folder / s}.db")
    try:
        with gateway_client(running.gateway_url) as client:
            resp = client.post("/v1/calls", json=sample_call("c-metrics-e2e"))
            assert resp.status_code == 202, resp.text

            def reported() -> bool:
                daily = client.get("/v1/reports/daily", params={"date": "2026-11-20"})
                return daily.status_code == 200 and bool(daily.json()["rows"])

            deadline_wait(reported)
        urls = {"gateway": running.gateway_url, **running.service_urls}
        scraped = {name: httpx.get(url + "/metrics", timeout=10).text for name, url in urls.items()}
        yield running, scraped
    finally:
        running.stop()


def deadline_wait(predicate: Any, timeout: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("not reached")


@pytest.mark.e2e
def test_every_process_serves_metrics_and_the_rules_read_only_those(
    platform_metrics: tuple[RunningPlatform, dict[str, str]],
) -> None:
    _running, scraped = platform_metrics
    gateway = scraped["gateway"]
    assert sample_value(gateway, "tm_http_requests_total", method="POST", route="/v1/calls", status="202") == 1
    assert (sample_value(gateway, "tm_http_requests_total", route="/v1/reports(/.*)?", status="200") or 0) >= 1
    calls = scraped["calls"]
    assert sample_value(calls, "tm_http_requests_total", method="POST", route="/v1/calls", status="202") == 1
    reporting = scraped["reporting"]
    figures = [
        s
        for s in re.findall(r"^tm_projection_events_applied_total\{([^}]*)\} (\S+)$", reporting, re.M)
        if 'stream="' in s[0] and "_CALLS" in s[0]
    ]
    assert figures and sum(float(v) for _labels, v in figures) >= 2, figures
    for service in ("leads", "calls", "scheduling", "qa", "reporting"):
        text = scraped[service]
        assert sample_value(text, "tm_ready", service=service, check="database") == 1, service
        assert sample_value(text, "tm_outbox_backlog", service=service) is not None, service

    assert_read_only_what_is_exposed(set().union(*(metric_names(text) for text in scraped.values())) | SYNTHETIC)


def assert_read_only_what_is_exposed(exposed: set[str]) -> None:
    for rule in alert_rules():
        unknown = promql_metrics(rule["expr"]) - exposed
        assert not unknown, f"{rule['alert']} reads metrics no /metrics exposes: {sorted(unknown)}"
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    for expr in exprs:
        unknown = promql_metrics(expr) - exposed
        assert not unknown, f"dashboard query {expr!r} reads metrics no /metrics exposes: {sorted(unknown)}"
