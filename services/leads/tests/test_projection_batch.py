"""Leads' ``CallOutcomes`` applied set-based (a whole batch in one ``apply_batch``) leaves exactly
what applying the same events one at a time leaves (which is what the runner does to find the
event at fault in a failing batch): the same call attempts, contact counts, reactions and QA
refusals, and the same outbox commands with the same ids, causes and order. The batches mix
what a batch can hold: two calls of one lead (the later one ending earlier), a call to a lead
merged away, numbers named by id, digest and mask or not at all, a call of an unknown lead, a
call delivered again in the same batch and in a later one, QA's refusal finding before its call
and after it, and a finding between calls of one batch."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import leads.projection
import pytest
from common.envelope import Envelope, deterministic_event_id
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef, SpeechTurn
from common.events.leads import LeadCreated, LeadMergedInto, LeadNumber, LeadProfile
from common.events.qa import ViolationFound
from common.eventstore import EventStore
from common.outbox import outbox_message
from common.projection import EventContext
from common.testing import ProvisionedDatabase, migrated_sessions
from leads.handlers import LeadsContext
from leads.projection import CallOutcomes, LeadsView
from leads.settings import LeadsSettings
from leads.tables import call_attempt, call_reaction, lead_contact, qa_refusal
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Items = list[tuple[DomainEvent, EventContext]]
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
REFUSALS = ["不需要", "我说了不需要", "真的不需要,别再打了"]


def _ctx(event: DomainEvent, stream: str, seq: int) -> EventContext:
    envelope = Envelope(
        type=event.event_type,
        source="/test",
        data={},
        subject=f"t.x.{event.aggregate_id()}.{event.event_type}",
        id=deterministic_event_id("leads-batch-test", stream, str(seq)),
        correlation_id=f"corr-{stream}-{seq}",
        extra_headers={"traceparent": f"00-{seq:032x}-{seq:016x}-01"},
    )
    return EventContext(envelope, stream, seq, envelope.subject or "")


def _number(lead: int, n: int) -> LeadNumber:
    return LeadNumber(number_id=f"n-{lead}-{n}", masked=f"13{n}****000{lead}", number_digest=f"d-{lead}-{n}")


def _leads() -> Items:
    events: list[DomainEvent] = [
        LeadCreated(
            lead_id=f"l-{i}",
            numbers=[_number(i, 0), _number(i, 1)],
            profile=LeadProfile(),
            created_at=START - timedelta(days=1),
        )
        for i in range(1, 5)
    ]
    events.append(LeadMergedInto(lead_id="l-4", into_lead_id="l-3", merged_at=START - timedelta(hours=1)))
    return [(e, _ctx(e, "T_LEADS", seq)) for seq, e in enumerate(events, 1)]


def ended(
    call_id: str,
    lead_id: str,
    minute: int,
    disposition: str = "no_answer",
    *,
    connected: bool = False,
    says: Sequence[str] = (),
    **customer: Any,
) -> CallEnded:
    ended_at = START + timedelta(minutes=minute)
    return CallEnded(
        call_id=call_id,
        campaign=CampaignRef(id="k-1"),
        agent=AgentRef(id="a-1", team="t-1"),
        customer=CustomerRef(lead_id=lead_id, **customer),
        placed_at=ended_at - timedelta(minutes=3),
        answered_at=ended_at - timedelta(minutes=2) if connected else None,
        ended_at=ended_at,
        hangup_by="customer",
        disposition=disposition,
        turns=[
            SpeechTurn(speaker="customer", start_s=float(t), end_s=float(t) + 1, text=text)
            for t, text in enumerate(says)
        ],
    )


def refusal_found(call_id: str, rule: str = "QA-04") -> ViolationFound:
    return ViolationFound(
        violation_id=f"v-{call_id}-{rule}", call_id=call_id, rule=rule, severity="major", agent_id="a-1"
    )


def scenario() -> list[Items]:
    """Batches of the calls and QA streams, in the order the two runners commit them."""
    seqs = {"T_CALLS": 0, "T_QA": 0}

    def batch(stream: str, *events: DomainEvent) -> Items:
        items: Items = []
        for event in events:
            seqs[stream] += 1
            items.append((event, _ctx(event, stream, seqs[stream])))
        return items

    c2 = ended("c-2", "l-1", 5, "refused", connected=True, number_digest="d-1-1")
    return [
        batch("T_QA", refusal_found("c-5"), refusal_found("c-x", "QA-01")),  # c-5's finding before its call
        batch(
            "T_CALLS",
            ended("c-1", "l-1", 10, connected=True, phone_masked="130****0001", number_id="n-1-0"),
            c2,  # l-1 again in the batch, ending earlier
            ended("c-3", "l-4", 12, "callback", connected=True, phone_masked="131****0004"),  # merged into l-3
            ended("c-1", "l-1", 10, connected=True, phone_masked="130****0001", number_id="n-1-0"),  # again
            ended("c-5", "l-2", 13, "success", connected=True, phone_masked="131****0002"),  # QA refused first
            ended("c-6", "l-2", 14, "no_interest", connected=True, says=REFUSALS),
            ended("c-7", "l-9", 15, "do_not_call", connected=True, phone_masked="138****9999"),  # unknown lead
            ended("c-8", "l-3", 16, phone_masked="139****0000"),  # a mask not on the lead
        ),
        batch("T_QA", refusal_found("c-1"), refusal_found("c-6")),  # after their calls
        batch("T_CALLS", ended("c-9", "l-1", 2, number_digest="d-1-0"), c2),  # older than l-1's calls; a copy
        batch(
            "T_CALLS",
            ended("c-10", "l-3", 30, connected=True, number_id="n-3-1"),
            refusal_found("c-10"),  # a finding between calls of one batch (as the runner never mixes,
            refusal_found("c-11"),  # but apply_batch must keep the order if it were given one)
            ended("c-11", "l-4", 31, "refused", phone_masked="130****0004"),
        ),
    ]


async def _apply(sessions: async_sessionmaker[AsyncSession], batches: Sequence[Items], one_by_one: bool) -> None:
    settings = LeadsSettings(database_url="sqlite://")
    outcomes = CallOutcomes(LeadsContext(cast(EventStore, None), sessions, settings))
    async with sessions() as session, session.begin():
        await LeadsView().apply_batch(session, _leads())
    for items in batches:
        if one_by_one:
            for item in items:
                async with sessions() as session, session.begin():
                    await outcomes.apply_batch(session, [item])
        else:
            async with sessions() as session, session.begin():
                await outcomes.apply_batch(session, items)


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Every row the projection writes, the times of writing left out."""
    async with sessions() as session:

        async def rows(table: Any, order: Any, leave_out: Sequence[str] = ()) -> list[dict[str, Any]]:
            result = (await session.execute(select(table).order_by(order))).mappings()
            return [{k: v for k, v in row.items() if k not in leave_out} for row in result]

        return {
            "call_attempt": await rows(call_attempt, call_attempt.c.call_id),
            "lead_contact": await rows(lead_contact, lead_contact.c.lead_id),
            "call_reaction": await rows(call_reaction, call_reaction.c.call_id, ["reacted_at"]),
            "qa_refusal": await rows(qa_refusal, qa_refusal.c.call_id, ["found_at"]),
            "outbox": await rows(outbox_message, outbox_message.c.id, ["id", "created_at"]),
        }


async def _state(url: str, one_by_one: bool) -> dict[str, Any]:
    async with migrated_sessions(url, Path(leads.projection.__file__).parent / "migrations" / "versions") as sessions:
        await _apply(sessions, scenario(), one_by_one)
        return await snapshot(sessions)


@pytest.fixture
def second_database(any_database: ProvisionedDatabase) -> str:
    return any_database.fresh()  # outside the event loop: PostgreSQL's is created with asyncio.run


async def test_a_batch_leaves_what_its_events_one_by_one_leave(
    any_database: ProvisionedDatabase, second_database: str
) -> None:
    one_by_one = await _state(any_database.url, one_by_one=True)
    batched = await _state(second_database, one_by_one=False)

    assert batched == one_by_one
    # The scenario did what it is meant to.
    attempts = {row["call_id"]: row for row in batched["call_attempt"]}
    assert sorted(attempts) == ["c-1", "c-10", "c-11", "c-2", "c-3", "c-5", "c-6", "c-7", "c-8", "c-9"]
    assert attempts["c-2"]["number_id"] == "n-1-1"  # by digest
    assert attempts["c-3"]["lead_id"] == "l-3" and attempts["c-3"]["number_id"] == "n-4-1"  # merged; by mask
    assert attempts["c-7"]["number_id"] is None and attempts["c-8"]["number_id"] is None
    contacts = {row["lead_id"]: row for row in batched["lead_contact"]}
    assert (contacts["l-1"]["attempts"], contacts["l-1"]["connected"]) == (3, 2)  # c-1, c-2, c-9 once each
    assert contacts["l-1"]["last_attempt_at"] == contacts["l-1"]["last_contact_at"]  # c-1's, not c-9's
    assert (contacts["l-3"]["attempts"], contacts["l-3"]["connected"]) == (4, 2)
    outbox = batched["outbox"]
    commands = [(row["type"].rsplit(".", 1)[-1], row["data"]["call_id"]) for row in outbox]
    assert commands == [
        ("record_call_outcome", "c-1"),
        ("record_call_outcome", "c-2"),
        ("record_call_outcome", "c-3"),
        ("record_call_outcome", "c-5"),
        ("record_call_outcome", "c-6"),
        ("record_call_outcome", "c-7"),
        ("record_call_outcome", "c-8"),
        ("opt_out_after_refusals", "c-1"),
        ("opt_out_after_refusals", "c-6"),
        ("record_call_outcome", "c-9"),
        ("record_call_outcome", "c-10"),
        ("opt_out_after_refusals", "c-10"),
        ("record_call_outcome", "c-11"),
    ]
    by_call = {row["data"]["call_id"]: row for row in outbox if row["type"].endswith("record_call_outcome")}
    assert by_call["c-5"]["data"]["opt_out"]["source"] == "refusals"  # QA's finding came first
    assert by_call["c-11"]["data"]["opt_out"]["source"] == "refusals"  # found before it, in its batch
    assert by_call["c-2"]["data"]["opt_out"]["rest"] is True
    assert by_call["c-3"]["aggregate_id"] == "l-3"
    assert by_call["c-1"]["causation_id"] == _ctx(ended("c-1", "l-1", 10), "T_CALLS", 1).envelope.id
    assert all(row["applied"] for row in batched["qa_refusal"])
