"""How fast the calls guard learns of an opt-out: from ``LeadOptedOut`` published on the leads
stream to the first dial of that lead refused with ``do_not_call_lead`` (requirement: within
1 second). Also the latency of an allowed dial (guard + append + read-your-writes).

Runs the calls service in-process (its real projection runners) against a private nats-server
and a SQLite database (``BENCH_DATABASE=postgresql``: PostgreSQL), and drives it over its HTTP API.
Before each opt-out the service sits idle for a random time, so the projection runner's
waiting fetch is caught at every phase.

    .venv/bin/python -m benchmarks.calls_optout_latency
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from calls.service import SPEC
from calls.settings import CallsSettings
from common.events.leads import LeadCreated, LeadNumber, LeadOptedOut, LeadProfile
from common.eventstore import EventNames, EventStore
from common.privacy import number_digest
from common.service import create_app
from common.testing import AsGateway, NatsServerProcess

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "25"))
REQUIREMENT_MS = 1000.0
PII_KEY = "bench-pii-key"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(nats_url: str, database_url: str) -> dict[str, object]:
    settings = CallsSettings(
        nats_url=nats_url,
        event_namespace="b" + uuid.uuid4().hex[:10],
        database_url=database_url,
        pii_key=PII_KEY,
    )
    app = create_app(SPEC, settings)
    refusal_ms: list[float] = []
    dial_ms: list[float] = []
    probes_per_round: list[int] = []
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        leads = EventStore(runtime.jetstream, EventNames(settings.event_namespace), "/bench/leads")
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://calls", auth=AsGateway()
        ) as client:
            resp = await client.put(
                "/v1/campaigns/k-bench/settings",
                json={
                    "windows": [{"start": "00:00", "end": "24:00"}],
                    "working_days_only": False,
                    "caps": {
                        "lead_day": None,
                        "number_day": None,
                        "lead_rolling_24h": None,
                        "number_rolling_24h": None,
                    },
                },
            )
            assert resp.status_code == 200, resp.text
            seq = 0

            async def dial(lead_id: str, number: str) -> tuple[int, dict[str, Any], float]:
                nonlocal seq
                seq += 1
                body = {
                    "call_id": f"c-{seq}",
                    "campaign": {"id": "k-bench"},
                    "agent": {"id": "a-1", "team": "t-1"},
                    "lead_id": lead_id,
                    "number": number,
                    "caller_number": "+8613900139000",
                }
                start = time.perf_counter()
                r = await client.post("/v1/calls/place", json=body)
                return r.status_code, r.json(), (time.perf_counter() - start) * 1000

            for i in range(ROUNDS):
                lead_id = f"l-{i}"
                number = f"+86138{i:08d}"
                await leads.publish(
                    LeadCreated(
                        lead_id=lead_id,
                        owner_agent_id="a-1",
                        owner_team_id="t-1",
                        created_at=datetime.now(UTC),
                        profile=LeadProfile(timezone="Asia/Shanghai", region="CN"),
                        numbers=[
                            LeadNumber(
                                number_id="n-1",
                                masked="138****0000",
                                number_digest=number_digest(PII_KEY, number),
                            )
                        ],
                    )
                )
                while True:  # until the guard knows the lead
                    status, _body, elapsed = await dial(lead_id, number)
                    if status == 201:
                        dial_ms.append(elapsed)
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(random.uniform(0.0, 1.5))  # idle: the runner waits in its fetch
                t0 = time.perf_counter()
                await leads.publish(LeadOptedOut(lead_id=lead_id, reason="asked", opted_out_at=datetime.now(UTC)))
                probes = 0
                while True:
                    probes += 1
                    status, body, elapsed = await dial(lead_id, number)
                    if status == 409 and body["reason"] == "do_not_call_lead":
                        refusal_ms.append((time.perf_counter() - t0) * 1000)
                        break
                    dial_ms.append(elapsed)
                    if time.perf_counter() - t0 > 10:
                        raise RuntimeError("opt-out not applied within 10 s")
                probes_per_round.append(probes)
    return {
        "benchmark": "calls_optout_latency",
        "database": database_url.split(":", 1)[0],
        "rounds": ROUNDS,
        "optout_to_refusal_ms_p50": round(statistics.median(refusal_ms), 1),
        "optout_to_refusal_ms_p95": round(_pct(refusal_ms, 0.95), 1),
        "optout_to_refusal_ms_max": round(max(refusal_ms), 1),
        "requirement_ms": REQUIREMENT_MS,
        "meets_requirement": max(refusal_ms) <= REQUIREMENT_MS,
        "allowed_dial_ms_p50": round(statistics.median(dial_ms), 1),
        "allowed_dial_ms_p95": round(_pct(dial_ms, 0.95), 1),
        "dials_measured": len(dial_ms),
    }


def main() -> dict[str, object]:
    """SQLite by default; ``BENCH_DATABASE=postgresql`` runs on a fresh database created on the
    ``TEST_DATABASE_URL`` server (and dropped afterwards)."""
    from common import testing

    kind = os.environ.get("BENCH_DATABASE", "sqlite")
    database_url = testing._fresh_database(kind)
    server = NatsServerProcess()
    server.start()
    try:
        result = asyncio.run(_run(server.url, database_url))
    finally:
        server.cleanup()
        testing._drop_created()
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
