"""The console's pages as the gateway serves them (no browser): the page and its files are
public and hold no data, under a Content-Security-Policy that admits only the console's own
scripts; the data stays behind the token."""

from __future__ import annotations

import re

import httpx
from gateway.app import create_app
from gateway.console import STATIC

from tests.platform import gateway_settings


def client() -> httpx.AsyncClient:
    app = create_app(gateway_settings())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")


async def test_the_page_and_its_files_are_served_with_a_strict_policy() -> None:
    async with client() as http:
        page = await http.get("/console")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
        # Every script and stylesheet the page names is served from /console/static, none from elsewhere.
        assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert {a for a in assets if not a.startswith("data:")} == {
            "/console/static/vendor/uplot/uPlot.min.css",
            "/console/static/console.css",
            "/console/static/vendor/uplot/uPlot.iife.min.js",
            "/console/static/app.js",
            "#/today",
            "#/agent",
            "#/review",
            "#/callbacks",
            "#/exports",
        }
        for asset in (a for a in assets if a.startswith("/console/static/")):
            answer = await http.get(asset)
            assert answer.status_code == 200, asset
        # Each view module the shell imports is there.
        for module in (
            "api.js",
            "i18n.js",
            "util.js",
            "charts.js",
            *(f"views/{v}.js" for v in ("today", "agent", "review", "callbacks", "exports")),
        ):
            assert (await http.get(f"/console/static/{module}")).status_code == 200, module
        assert (await http.get("/console/")).headers.get("location") == "/console"


async def test_the_data_stays_behind_the_token() -> None:
    async with client() as http:
        refused = await http.get("/v1/reports/daily", params={"date": "2026-11-20"})
        assert refused.status_code == 401


def test_no_script_reaches_beyond_its_origin() -> None:
    """No CDN at run time: no script or stylesheet of the console names another host."""
    for path in STATIC.rglob("*"):
        if path.suffix in (".js", ".css", ".html") and "vendor" not in path.parts:
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"https?://", text), path
