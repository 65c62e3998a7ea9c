"""QA's projection applied set-based (a whole batch in one ``apply_batch``) leaves exactly what
applying the same events one at a time leaves: the same rows, the same findings, the same
outbox messages with the same ids in the same order. The events mix what a batch can hold: a
transcript before its call, one after it, a redelivered call, an erasure between calls, a call
already in the review queue (reviewed) that now has findings, and enough calls of one agent for
sampling to draw."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import qa.projection
from common.envelope import Envelope, deterministic_event_id
from common.events.base import DomainEvent
from common.events.calls import CallTranscribed
from common.events.leads import LeadPersonalDataErased
from common.outbox import outbox_message
from common.projection import EventContext
from common.testing import ProvisionedDatabase, migrated_sessions
from qa.projection import QaChecks
from qa.rules.policy import load_policy
from qa.tables import qa_call, review_item, sample_counter, violation
from qa.testing import AMBIGUOUS_SALE, BARE_NAME, CLEAN, PII_KEY, call_ended, turns
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Items = list[tuple[DomainEvent, EventContext]]
START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _ctx(event: DomainEvent, seq: int) -> EventContext:
    envelope = Envelope(
        type=event.event_type,
        source="/test",
        data={},
        subject=f"t.x.{event.aggregate_id()}.{event.event_type}",
        id=deterministic_event_id("batch-test", str(seq)),
        correlation_id=f"corr-{seq}",
        extra_headers={"traceparent": f"00-{seq:032x}-{seq:016x}-01"},
    )
    return EventContext(envelope, "T_CALLS", seq, envelope.subject or "")


def scenario() -> tuple[Items, Items]:
    """Two batches; before the second, c-9 is put in the review queue, already reviewed."""
    first: list[DomainEvent] = [
        CallTranscribed(call_id="c-t", turns=turns(BARE_NAME)),  # the transcript first
        call_ended("c-t", [], placed_at=START),
        call_ended("c-1", BARE_NAME, placed_at=START + timedelta(minutes=1)),
        call_ended(
            "c-2", AMBIGUOUS_SALE, disposition="success", flags=["sale"], placed_at=START + timedelta(minutes=2)
        ),
        call_ended("c-3", CLEAN, agent="a-2", placed_at=START + timedelta(minutes=3)),
        CallTranscribed(call_id="c-3", turns=turns(BARE_NAME)),  # a later transcript: new findings
        call_ended("c-1", BARE_NAME, placed_at=START + timedelta(minutes=1)),  # delivered again
        LeadPersonalDataErased(lead_id="l-c-2", erased_at=START),
        CallTranscribed(call_id="c-2", turns=turns(AMBIGUOUS_SALE)),
    ]
    first += [
        call_ended(f"c-{i}", CLEAN, agent="a-3", placed_at=START + timedelta(minutes=10 + i), answered=i % 4 != 0)
        for i in range(10, 30)
    ]
    second: list[DomainEvent] = [
        call_ended("c-9", BARE_NAME, placed_at=START + timedelta(minutes=9)),
        call_ended("c-31", AMBIGUOUS_SALE, agent="a-3", placed_at=START + timedelta(minutes=31)),
        CallTranscribed(call_id="c-1", turns=turns(AMBIGUOUS_SALE)),
    ]
    seq = iter(range(1, 1000))
    return [(e, _ctx(e, next(seq))) for e in first], [(e, _ctx(e, next(seq))) for e in second]


async def _apply(sessions: async_sessionmaker[AsyncSession], batches: Sequence[Items], one_by_one: bool) -> None:
    projection = QaChecks(load_policy(), PII_KEY)
    for index, items in enumerate(batches):
        if index == 1:
            async with sessions() as session, session.begin():
                await session.execute(
                    insert(review_item).values(
                        call_id="c-9",
                        agent_id="a-1",
                        reasons=["complaint"],
                        status="done",
                        sampled_at=START,
                        completed_at=START,
                    )
                )
        if one_by_one:
            for item in items:
                async with sessions() as session, session.begin():
                    await projection.apply_batch(session, [item])
        else:
            async with sessions() as session, session.begin():
                await projection.apply_batch(session, items)


def _rows(rows: Any, leave_out: Sequence[str]) -> list[dict[str, Any]]:
    return [{k: v for k, v in dict(r).items() if k not in leave_out} for r in rows]


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    """Every row the projection writes, timestamps of the moment of writing left out."""
    async with sessions() as session:

        async def rows(query: Any, leave_out: Sequence[str] = ()) -> list[dict[str, Any]]:
            return _rows((await session.execute(query)).mappings(), leave_out)

        outbox = await rows(select(outbox_message).order_by(outbox_message.c.id), ["id", "created_at"])
        for row in outbox:
            row["data"] = {k: v for k, v in row["data"].items() if k not in ("found_at", "sampled_at")}
        return {
            "qa_call": await rows(select(qa_call).order_by(qa_call.c.call_id), ["checked_at"]),
            "violation": await rows(select(violation).order_by(violation.c.violation_id), ["found_at"]),
            "review_item": await rows(select(review_item).order_by(review_item.c.call_id), ["sampled_at"]),
            "sample_counter": await rows(select(sample_counter).order_by(sample_counter.c.agent_id)),
            "outbox": outbox,
        }


async def _state(url: str, one_by_one: bool) -> dict[str, Any]:
    async with migrated_sessions(url, Path(qa.projection.__file__).parent / "migrations" / "versions") as sessions:
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
    # The scenario did what it is meant to: findings from both transcripts' paths, draws by
    # sampling, the reviewed call back to pending with its finding, the erased call not re-judged.
    types = [row["type"] for row in batched["outbox"]]
    assert types.count("ViolationFound") == len(batched["violation"]) > 3
    found_for = {row["call_id"] for row in batched["violation"]}
    assert {"c-t", "c-1", "c-3", "c-9"} <= found_for
    reviews = {row["call_id"]: row for row in batched["review_item"]}
    assert any(r.startswith("random:") for row in reviews.values() for r in row["reasons"])
    assert reviews["c-9"]["reasons"] == ["complaint", "finding"] and reviews["c-9"]["status"] == "pending"
    assert reviews["c-9"]["completed_at"] is None
    erased = [row for row in batched["violation"] if row["call_id"] == "c-2"]
    assert erased and all(row["evidence"] in (None, "[erased]") for row in erased)
    assert [row["causation_id"] for row in batched["outbox"]] == [row["causation_id"] for row in one_by_one["outbox"]]
