"""Fixtures of the leads service's tests: the service on a real nats-server and database, and a
way to publish what the calls and QA services would (they are other teams' services)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from common.envelope import Envelope
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, SpeechTurn
from common.eventstore import EventNames, EventStore
from common.service import create_app
from common.testing import AsGateway, ProvisionedDatabase
from leads.context import LeadsRuntime
from leads.service import SPEC
from leads.settings import LeadsSettings
from leads.tables import lead
from sqlalchemy import func, select

PII_KEY = "test-pii-key"


class Harness:
    def __init__(self, runtime: LeadsRuntime, client: httpx.AsyncClient, tmp_path: Any) -> None:
        self.runtime = runtime
        self.client = client
        self.tmp_path = tmp_path

    @property
    def store(self) -> EventStore:
        return self.runtime.event_store

    def publisher(self, owner: str) -> EventStore:
        """Publishes as another service would, on its own stream."""
        return EventStore(self.runtime.jetstream, EventNames(self.runtime.settings.event_namespace), f"/test/{owner}")

    async def create(self, name: str, *phones: str, **fields: Any) -> dict[str, Any]:
        resp = await self.client.post("/v1/leads", json={"name": name, "phones": list(phones), **fields})
        assert resp.status_code in (200, 201), resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def detail(self, lead_id: str) -> dict[str, Any] | None:
        resp = await self.client.get(f"/v1/leads/{lead_id}")
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, resp.text
        body: dict[str, Any] = resp.json()
        return body

    async def wait_detail(self, lead_id: str, predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        from common.testing import eventually

        async def check() -> dict[str, Any] | None:
            d = await self.detail(lead_id)
            return d if d is not None and predicate(d) else None

        result: dict[str, Any] = await eventually(check, timeout=10)
        return result

    async def stream_messages(self, owner: str = "leads") -> list[Envelope]:
        """Every message of a stream, as stored (to check what other teams receive)."""
        js = self.runtime.jetstream
        names = EventNames(self.runtime.settings.event_namespace)
        info = await js.stream_info(names.stream(owner))
        out = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(names.stream(owner), seq)
            out.append(Envelope.from_message(msg.headers, msg.data or b""))
        return out

    async def raw_stream_bytes(self, owner: str = "leads") -> bytes:
        js = self.runtime.jetstream
        names = EventNames(self.runtime.settings.event_namespace)
        info = await js.stream_info(names.stream(owner))
        chunks = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(names.stream(owner), seq)
            chunks.append(msg.data or b"")
            chunks.append(repr(msg.headers).encode())
        return b"\n".join(chunks)

    async def lead_rows(self) -> int:
        async with self.runtime.session_factory() as session:
            return int((await session.execute(select(func.count()).select_from(lead))).scalar_one())

    async def call_ended(
        self,
        call_id: str,
        lead_id: str,
        disposition: str,
        *,
        masked: str | None = None,
        customer_says: list[str] | None = None,
        connected: bool = True,
        ended_at: datetime | None = None,
    ) -> None:
        ended = ended_at or datetime.now(UTC)
        placed = ended - timedelta(minutes=3)
        turns = [
            SpeechTurn(speaker="customer", start_s=float(i), end_s=float(i) + 1, text=t)
            for i, t in enumerate(customer_says or [])
        ]
        await self.publisher("calls").publish(
            CallEnded(
                call_id=call_id,
                campaign=CampaignRef(id="k-1"),
                agent=AgentRef(id="a-1", team="t-1"),
                customer=CustomerRef(lead_id=lead_id, phone_masked=masked),
                placed_at=placed,
                answered_at=placed + timedelta(seconds=10) if connected else None,
                ended_at=ended,
                hangup_by="customer",
                disposition=disposition,
                turns=turns,
            )
        )


def settings_for(nats_url: str, event_namespace: str, database_url: str, import_dir: Any) -> LeadsSettings:
    return LeadsSettings(
        nats_url=nats_url,
        event_namespace=event_namespace,
        database_url=database_url,
        pii_key=PII_KEY,
        import_dir=import_dir,
        import_chunk_rows=50,
    )


@pytest.fixture
async def harness(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase, tmp_path: Any
) -> AsyncIterator[Harness]:
    app = create_app(SPEC, settings_for(nats_url, event_namespace, any_database.url, tmp_path / "imports"))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://leads", auth=AsGateway()
        ) as client:
            yield Harness(app.state.runtime, client, tmp_path)
