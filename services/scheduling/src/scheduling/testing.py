"""Helpers for tests and the benchmark: a scheduling runtime on real NATS and a real database,
a hand-set clock, and the events other services would publish."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.leads import LeadCreated, LeadNumber, LeadProfile
from common.eventstore import EventStore
from common.service import create_app
from common.testing import AsGateway, started_runtime
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from scheduling.clock import Clock
from scheduling.context import SchedulingRuntime
from scheduling.firing import Dispatcher
from scheduling.service import build_spec
from scheduling.settings import SchedulingSettings

SH = ZoneInfo("Asia/Shanghai")


async def start_service(
    nats_url: str,
    namespace: str,
    database_url: str,
    clock: Clock,
    *,
    run_projections: bool = True,
    run_background: bool = True,
    **kw: Any,
) -> SchedulingRuntime:
    settings = SchedulingSettings(
        nats_url=nats_url,
        event_namespace=namespace,
        database_url=database_url,
        **{"poll_interval_seconds": 0.05, **kw},
    )
    return await started_runtime(
        build_spec(clock), settings, run_projections=run_projections, run_background=run_background
    )


def dispatcher(runtime: SchedulingRuntime) -> Dispatcher:
    return runtime.context.dispatcher


def client(runtime: SchedulingRuntime) -> httpx.AsyncClient:
    app = create_app(runtime.spec, runtime.settings)
    app.state.runtime = runtime  # the runtime is already started; ASGITransport runs no lifespan
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scheduling", auth=AsGateway())


def peer_store(runtime: SchedulingRuntime, source: str = "/test/calls") -> EventStore:
    """Publishes as the calls or leads service would."""
    return EventStore(runtime.jetstream, runtime.names, source)


async def lead_created(
    store: EventStore,
    lead_id: str,
    *,
    owner: str | None = "a-7",
    team: str = "t-1",
    tz: str = "Asia/Shanghai",
    region: str = "CN",
) -> None:
    await store.publish(
        LeadCreated(
            lead_id=lead_id,
            numbers=[
                LeadNumber(
                    number_id=f"n-{lead_id}",
                    masked="138****8000",
                    number_digest="d",
                    region=region,
                    timezone=tz,
                )
            ],
            profile=LeadProfile(timezone=tz),
            owner_agent_id=owner,
            owner_team_id=team,
            created_at=datetime(2026, 11, 1, tzinfo=SH),
        )
    )


def _refs(lead_id: str, agent: str, campaign: str = "broadband") -> dict[str, Any]:
    return {
        "campaign": CampaignRef(id=campaign),
        "agent": AgentRef(id=agent, team="t-1"),
        "customer": CustomerRef(lead_id=lead_id, phone_masked="138****8000"),
    }


async def call_ended(
    store: EventStore,
    call_id: str,
    lead_id: str,
    disposition: str,
    ended_at: datetime,
    *,
    agent: str = "a-101",
    callback_at: datetime | None = None,
    answered: bool = True,
    hangup_by: str = "customer",
    campaign: str = "broadband",
    **extra: Any,
) -> None:
    placed_at = ended_at - timedelta(minutes=3)
    refs = _refs(lead_id, agent, campaign)
    await store.publish(CallPlaced(call_id=call_id, placed_at=placed_at, **refs))
    await store.publish(
        CallEnded(
            call_id=call_id,
            placed_at=placed_at,
            answered_at=placed_at + timedelta(seconds=10) if answered else None,
            ended_at=ended_at,
            hangup_by=hangup_by,
            disposition=disposition,
            callback_at=callback_at,
            talk_seconds=170.0 if answered else 0.0,
            **refs,
            **extra,
        )
    )


async def call_placed(store: EventStore, call_id: str, lead_id: str, placed_at: datetime, agent: str = "a-7") -> None:
    await store.publish(CallPlaced(call_id=call_id, placed_at=placed_at, **_refs(lead_id, agent)))


async def lead_known(runtime: SchedulingRuntime, lead_id: str) -> bool:
    """Wait for this with ``eventually`` before publishing calls: the calls and leads streams
    are consumed independently, so a test that needs the lead's data first says so."""
    from sqlalchemy import select

    from scheduling.tables import lead_state

    async with runtime.session_factory() as session:
        row = (await session.execute(select(lead_state.c.lead_id).where(lead_state.c.lead_id == lead_id))).first()
    return row is not None


async def stream_events(runtime: SchedulingRuntime, event_type: str) -> list[dict[str, Any]]:
    """Every event of one type in the scheduling stream (what subscribers would receive)."""
    names = runtime.names
    psub = await runtime.jetstream.pull_subscribe(
        names.type_filter("scheduling", event_type),
        stream=names.stream("scheduling"),
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE,
            deliver_policy=DeliverPolicy.ALL,
            inactive_threshold=30.0,
            mem_storage=True,
        ),
    )
    try:
        pending = (await psub.consumer_info()).num_pending or 0
        found: list[dict[str, Any]] = []
        while pending > 0:
            msgs = await psub.fetch(min(pending, 256), timeout=5)
            for msg in msgs:
                found.append({**json.loads(msg.data), "_id": (msg.headers or {}).get("ce-id")})
            pending = msgs[-1].metadata.num_pending
        return found
    finally:
        await psub.unsubscribe()
