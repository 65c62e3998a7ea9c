"""Fixtures of the calls service's tests: the service on a real nats-server and database, and
helpers that publish what the leads service would (it is another team's service)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from common.events.leads import LeadCreated, LeadNumber, LeadProfile
from common.eventstore import EventNames, EventStore
from common.privacy import mask_phone, number_digest
from common.service import create_app
from common.testing import AsGateway, ProvisionedDatabase

from calls.context import CallsRuntime
from calls.service import SPEC
from calls.settings import CallsSettings

PII_KEY = "test-pii-key"
OPEN_ALL_DAY = {"windows": [{"start": "00:00", "end": "24:00"}], "working_days_only": False}


def digest(e164: str) -> str:
    return number_digest(PII_KEY, e164)


def lead_created(
    lead_id: str,
    numbers: dict[str, str],
    *,
    owner: str | None = "a-1",
    team: str | None = "t-1",
    timezone: str = "Asia/Shanghai",
    tags: list[str] | None = None,
) -> LeadCreated:
    return LeadCreated(
        lead_id=lead_id,
        numbers=[
            LeadNumber(
                number_id=nid,
                masked=mask_phone(e164) or "",
                number_digest=digest(e164),
                carrier="China Mobile",
                region="CN",
                timezone=timezone,
            )
            for nid, e164 in numbers.items()
        ],
        profile=LeadProfile(timezone=timezone, region="CN", tags=tags or []),
        owner_agent_id=owner,
        owner_team_id=team,
        created_at=datetime.now(UTC),
    )


def place_body(
    call_id: str,
    lead_id: str,
    number: str = "+8613800138000",
    *,
    agent: str = "a-1",
    team: str = "t-1",
    campaign: str = "k-1",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "call_id": call_id,
        "campaign": {"id": campaign, "allowed_caller_carriers": ["China Mobile"]},
        "agent": {"id": agent, "team": team, "supervisor": "s-1"},
        "lead_id": lead_id,
        "number": number,
        "caller_number": "+8613900139000",
        **extra,
    }


def settings_for(nats_url: str, event_namespace: str, database_url: str) -> CallsSettings:
    return CallsSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=database_url, pii_key=PII_KEY)


class Harness:
    def __init__(self, runtime: CallsRuntime, client: httpx.AsyncClient) -> None:
        self.runtime = runtime
        self.client = client

    @property
    def store(self) -> EventStore:
        return self.runtime.event_store

    @property
    def leads(self) -> EventStore:
        """Publishes as the leads service would, on its own stream."""
        return EventStore(self.runtime.jetstream, EventNames(self.runtime.settings.event_namespace), "/test/leads")

    digest = staticmethod(digest)
    lead_created = staticmethod(lead_created)
    place_body = staticmethod(place_body)
    open_all_day = OPEN_ALL_DAY

    async def open_campaign(self, campaign: str = "k-1", **extra: Any) -> None:
        """A campaign that may call at any hour, so tests do not depend on the clock."""
        resp = await self.client.put(f"/v1/campaigns/{campaign}/settings", json={**OPEN_ALL_DAY, **extra})
        assert resp.status_code == 200, resp.text

    async def events_of(self, call_id: str) -> list[str]:
        history = await self.store.load("calls", call_id)
        return [e.event.event_type for e in history.events]


@pytest.fixture
async def harness(nats_url: str, event_namespace: str, any_database: ProvisionedDatabase) -> AsyncIterator[Harness]:
    app = create_app(SPEC, settings_for(nats_url, event_namespace, any_database.url))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://calls", auth=AsGateway()
        ) as client:
            yield Harness(app.state.runtime, client)
