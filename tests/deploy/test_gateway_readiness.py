"""The gateway's readiness is its own (deploy/k8s: its readiness probe decides whether the
gateway Service sends it traffic): a down upstream must not take every gateway replica, and so
the whole API, out of the Service; that upstream's routes answer 503 by themselves."""

from __future__ import annotations

import httpx
from common.testing import free_port
from gateway.app import create_app
from gateway.settings import GatewaySettings


async def test_the_gateway_is_ready_while_an_upstream_is_down() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: every upstream is down
    settings = GatewaySettings(
        leads_url=nowhere, calls_url=nowhere, scheduling_url=nowhere, qa_url=nowhere, reporting_url=nowhere
    )
    app = create_app(settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready"

        detail = await client.get("/readyz", params={"upstreams": "true"})
        assert detail.status_code == 200
        assert detail.json()["upstreams"] == dict.fromkeys(settings.upstreams(), False)
