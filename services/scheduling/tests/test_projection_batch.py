"""The projection's batch is the events one by one: the same callbacks, lead state and outbox
rows (same ids, same causes, same order) whether a run of events is applied in one
``apply_batch`` (the runner's fast path) or each in its own transaction (how the runner isolates
a failing event), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from common.envelope import Envelope
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CallPlaced, CallRefused, CampaignRef, CustomerRef
from common.events.leads import LeadCreated, LeadNumber, LeadProfile, LeadTierChanged
from common.outbox import outbox_message
from common.projection import EventContext
from common.testing import ProvisionedDatabase, migrated_sessions
from sqlalchemy import select

import scheduling.projection
from scheduling.policies import PolicyStore
from scheduling.projection import SchedulingProjection
from scheduling.tables import callback, lead_state

START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
OUTCOMES = [
    ("callback", True),
    ("no_answer", False),
    ("interested", True),
    ("busy", False),
    ("appointment", True),
    ("refused", True),
    ("success", True),
    ("wrong_person", True),
    ("no_interest", True),
]
Item = tuple[DomainEvent, EventContext]


def _item(event: DomainEvent, seq: int) -> Item:
    key = uuid.uuid5(uuid.NAMESPACE_URL, f"test/{seq}").hex
    envelope = Envelope(
        type=event.event_type,
        source="/test",
        data={},
        subject=f"t.{event.aggregate_id()}.{event.event_type}",
        id=key,
        correlation_id="corr-" + key,
        extra_headers={"traceparent": f"00-{key}-{key[:16]}-01"},
    )
    return event, EventContext(envelope, "T", seq, envelope.subject or "")


def _lead(lead_id: str) -> LeadCreated:
    number = LeadNumber(number_id="n-" + lead_id, masked="138****8000", number_digest="d-" + lead_id, region="CN")
    return LeadCreated(
        lead_id=lead_id,
        numbers=[number],
        profile=LeadProfile(timezone="Asia/Shanghai"),
        owner_agent_id="a-owner" if lead_id == "l-1" else None,
        owner_team_id="t-1",
        created_at=START - timedelta(days=1),
    )


def _call(i: int, lead_id: str) -> list[DomainEvent]:
    disposition, answered = OUTCOMES[i % len(OUTCOMES)]
    placed_at = START + timedelta(minutes=7 * i)
    ended_at = placed_at + timedelta(minutes=3)
    refs: dict[str, Any] = {
        "campaign": CampaignRef(id="broadband"),
        "agent": AgentRef(id=f"a-{i % 4}", team="t-1"),
        "customer": CustomerRef(lead_id=lead_id, phone_masked="138****8000"),
    }
    return [
        CallPlaced(call_id=f"c-{i}", placed_at=placed_at, **refs),
        CallEnded(
            call_id=f"c-{i}",
            placed_at=placed_at,
            answered_at=placed_at + timedelta(seconds=10) if answered else None,
            ended_at=ended_at,
            hangup_by="customer",
            disposition=disposition,
            # Some agreed times fall within the next calls: their CallPlaced fulfils them.
            callback_at=ended_at + timedelta(minutes=5 + 40 * (i % 3))
            if disposition in ("callback", "appointment")
            else None,
            talk_seconds=170.0 if answered else 0.0,
            dropped=False,
            **refs,
        ),
    ]


def _events() -> list[Item]:
    """Three leads (l-3 never created: its calls come before any lead state), 30 finished calls
    among them, a refused dial and a sale's tier change in between (applied on the database,
    between the book's runs), and copies of two events (same ce-id, later sequence)."""
    events: list[DomainEvent] = [_lead("l-1"), _lead("l-2")]
    for i in range(30):
        events.extend(_call(i, f"l-{i % 3 + 1}"))
        if i == 12:
            events.append(
                CallRefused(
                    call_id="r-1",
                    campaign_id="broadband",
                    agent=AgentRef(id="a-1", team="t-1"),
                    lead_id="l-1",
                    reason="dnc",
                    refused_at=START + timedelta(minutes=7 * i + 4),
                )
            )
        if i == 20:
            events.append(
                LeadTierChanged(lead_id="l-2", tier="success", changed_at=START + timedelta(minutes=7 * i + 4))
            )
    items = [_item(event, seq) for seq, event in enumerate(events, 1)]
    copies = [items[5], items[30]]  # a CallPlaced and a CallEnded, stored again
    for event, ctx in copies:
        items.append((event, EventContext(ctx.envelope, ctx.stream, len(items) + 1, ctx.subject)))
    return items


async def _state(database_url: str, batches: list[list[Item]]) -> dict[str, list[dict[str, Any]]]:
    migrations = Path(scheduling.projection.__file__).parent / "migrations" / "versions"
    async with migrated_sessions(database_url, migrations) as sessions:
        projection = SchedulingProjection(PolicyStore())
        for batch in batches:
            async with sessions() as session, session.begin():
                await projection.apply_batch(session, batch)
        async with sessions() as session:
            return {
                "leads": [dict(r) for r in (await session.execute(select(lead_state).order_by("lead_id"))).mappings()],
                "callbacks": [
                    dict(r) for r in (await session.execute(select(callback).order_by("callback_id"))).mappings()
                ],
                "outbox": [
                    {k: v for k, v in r.items() if k not in ("id", "created_at")}
                    for r in (await session.execute(select(outbox_message).order_by(outbox_message.c.id))).mappings()
                ],
            }


@pytest.mark.parametrize("batch_size", [1000, 7])
async def test_a_batch_decides_what_its_events_decide_one_by_one(
    any_database: ProvisionedDatabase, batch_size: int
) -> None:
    items = _events()
    one_by_one = await _state(any_database.url, [[item] for item in items])
    batched = await _state(
        await asyncio.to_thread(any_database.fresh),
        [items[i : i + batch_size] for i in range(0, len(items), batch_size)],
    )
    assert batched == one_by_one
    # Not a vacuous comparison: the run books, fulfils, supersedes and cancels callbacks.
    closes = {(r["status"], r["close_reason"]) for r in one_by_one["callbacks"]}
    assert {("done", "called"), ("cancelled", "opted_out"), ("cancelled", "sold")} <= closes
    assert ("cancelled", "superseded") in closes or ("cancelled", "refused") in closes
    types = [r["type"] for r in one_by_one["outbox"]]
    assert {"CallbackScheduled", "CallbackCancelled", "CallbackDone"} <= set(types)
    assert {r["lead_id"] for r in one_by_one["leads"]} == {"l-1", "l-2", "l-3"}
