"""The calls read model (``calls-read``) fed the way the runner feeds it live and in a rebuild (a
batch at a time, events read from the messages' bytes with the transcript's turns validated as
data, ``fields_read_as``) leaves exactly the rows it leaves fed the old way: every event decoded
into the event's models and applied one at a time. And the turns read as data pass and fail the
same checks as the event's own turn models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common.envelope import Envelope
from common.event_reader import EventReader
from common.events.base import DomainEvent, decode
from common.events.calls import (
    AgentRef,
    CallEnded,
    CallPlaced,
    CallRefused,
    CallTranscribed,
    CampaignRef,
    CampaignSettingsChanged,
    CustomerRef,
    RedialRequested,
)
from common.projection import EventContext, read_as_of, unread_fields_of
from common.testing import ProvisionedDatabase, migrated_sessions

import calls.projection
from calls.projection import CallsReadModel, calls_table, campaign_settings_table

AT = datetime(2026, 11, 20, 1, 30, tzinfo=UTC)
MIGRATIONS = Path(calls.projection.__file__).parent / "migrations" / "versions"
AGENT = AgentRef(id="a-1", team="t-1")


def turns(n: int, call: int) -> list[dict[str, Any]]:
    """Speech turns with integral and fractional times, a hold, and a field no version knows."""
    out: list[dict[str, Any]] = []
    for t in range(n):
        if t == 3:
            out.append({"hold": True, "start_s": t * 6, "end_s": t * 6 + 4.5})
            continue
        turn: dict[str, Any] = {
            "speaker": "agent" if t % 2 == 0 else "customer",
            "start_s": t * 6 if t % 3 else t * 6 + 0.25,
            "end_s": t * 6 + 5,
            "text": f"第{call}通 第{t}句 您好",
        }
        if t == 5:
            turn["confidence"] = 0.93
        out.append(turn)
    return out


def scenario() -> list[DomainEvent]:
    events: list[DomainEvent] = [
        CampaignSettingsChanged(
            campaign_id="k-1", version=2, settings={"max_attempts": 3}, changed_by="s-1", changed_at=AT
        )
    ]
    for i in range(12):
        placed = AT + timedelta(minutes=i)
        ids: dict[str, Any] = {
            "call_id": f"c-{i}",
            "campaign": CampaignRef(id="k-1"),
            "agent": AgentRef(id=f"a-{i % 3}", team="t-1", supervisor="s-1" if i % 2 else None),
            "customer": CustomerRef(lead_id=f"l-{i % 4}", number_id=f"n-{i}", phone_masked="138****8000"),
            "placed_at": placed,
        }
        events.append(CallPlaced(**ids, first_contact=i % 2 == 0, caller_number="+8613900139000"))
        if i == 7:
            continue  # placed, never ended
        events.append(
            CallEnded(
                **ids,
                answered_at=placed + timedelta(seconds=8) if i % 4 else None,
                ended_at=placed + timedelta(seconds=200 + i),
                hangup_by="network" if i == 5 else "customer",
                disposition="callback" if i % 3 == 0 else "success",
                disposition_flags=["human_answered", "customer_contact"] if i % 2 else None,
                callback_at=placed + timedelta(days=1) if i % 3 == 0 else None,
                talk_seconds=180.5 + i,
                notes="回电" if i % 5 == 0 else None,
                turns=turns(20 if i % 4 else 0, i),  # some calls end without a transcript
                dropped=i == 5,
            )
        )
        if i % 4 == 0:  # the transcript comes later
            events.append(CallTranscribed(call_id=f"c-{i}", turns=turns(6, 100 + i), recording_uri=f"s3://r/{i}"))
        if i == 5:
            events.append(
                RedialRequested(
                    call_id="c-5",
                    lead_id="l-1",
                    campaign_id="k-1",
                    agent=AGENT,
                    not_before=placed + timedelta(seconds=300),
                    requested_at=placed + timedelta(seconds=240),
                )
            )
    events.append(
        CallRefused(
            call_id="c-refused",
            campaign_id="k-1",
            agent=AGENT,
            lead_id="l-1",
            reason="dnc",
            refused_at=AT,
        )
    )
    return events


def message(event: DomainEvent) -> tuple[dict[str, str], bytes]:
    envelope = Envelope(type=event.event_type, source="/test", data=event.to_data(), subject=event.aggregate_id())
    return envelope.headers(), envelope.body()


def ctx(envelope: Envelope, seq: int) -> EventContext:
    return EventContext(envelope, "calls", seq, "calls.x", False)


def as_models(messages: list[tuple[dict[str, str], bytes]]) -> list[tuple[DomainEvent, EventContext]]:
    """The old way: each event's envelope parsed and decoded into the event's models."""
    out = []
    for seq, (headers, body) in enumerate(messages, 1):
        envelope = Envelope.from_message(headers, body)
        out.append((decode(envelope), ctx(envelope, seq)))
    return out


def as_read_live(
    projection: CallsReadModel, messages: list[tuple[dict[str, str], bytes]]
) -> list[tuple[DomainEvent, EventContext]]:
    """The runner's way: read from the bytes, the transcript's turns as data."""
    reader = EventReader(unread_fields_of(projection), read_as_of(projection))
    out = []
    for seq, (headers, body) in enumerate(messages, 1):
        envelope = Envelope.from_headers(headers)
        out.append((reader.read(envelope, body), ctx(envelope, seq)))
    return out


async def table(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions() as session:
        rows = (await session.execute(select(calls_table).order_by(calls_table.c.call_id))).mappings()
        settings = (await session.execute(select(campaign_settings_table))).mappings()
        # And the values as stored, unconverted (SQLite's text for times, days and JSON).
        stored = (await (await session.connection()).exec_driver_sql("SELECT * FROM calls ORDER BY call_id")).mappings()
        return {
            "calls": [{k: v for k, v in row.items() if k != "updated_at"} for row in rows],
            "stored": [{k: v for k, v in row.items() if k != "updated_at"} for row in stored],
            "campaign_settings": [dict(row) for row in settings],
        }


async def built(url: str, items: list[tuple[DomainEvent, EventContext]], *, batches: int | None) -> dict[str, Any]:
    projection = CallsReadModel()
    async with migrated_sessions(url, MIGRATIONS) as sessions:
        if batches is None:
            for event, context in items:
                async with sessions() as session, session.begin():
                    await projection.apply(session, event, context)
        else:
            size = -(-len(items) // batches)
            for start in range(0, len(items), size):
                async with sessions() as session, session.begin():
                    await projection.apply_batch(session, items[start : start + size])
        return await table(sessions)


@pytest.fixture
def second_database(any_database: ProvisionedDatabase) -> str:
    return any_database.fresh()  # outside the event loop: PostgreSQL's is created with asyncio.run


@pytest.fixture
def third_database(any_database: ProvisionedDatabase) -> str:
    return any_database.fresh()


async def test_the_rows_read_live_are_the_rows_of_the_events_models(
    any_database: ProvisionedDatabase, second_database: str, third_database: str
) -> None:
    messages = [message(event) for event in scenario()]
    old = await built(any_database.url, as_models(messages), batches=None)
    live = as_read_live(CallsReadModel(), messages)
    assert any(isinstance(event, CallEnded) and event.turns and isinstance(event.turns[0], dict) for event, _c in live)
    in_three = await built(second_database, live, batches=3)
    in_one = await built(third_database, live, batches=1)

    assert in_three == old
    assert in_one == old
    calls = {row["call_id"]: row for row in old["calls"]}
    assert len(calls) == 13 and calls["c-7"]["status"] == "placed" and calls["c-refused"]["status"] == "refused"
    assert calls["c-1"]["transcript"][5]["confidence"] == 0.93
    assert calls["c-1"]["transcript"][3] == {"hold": True, "start_s": 18.0, "end_s": 22.5}
    assert calls["c-4"]["transcript"][0]["text"] == "第104通 第0句 您好"  # CallTranscribed's
    assert calls["c-4"]["recording_uri"] == "s3://r/4"
    assert calls["c-5"]["redial_requested"] is True


@pytest.mark.parametrize(
    "turn",
    [
        {"speaker": "caller", "start_s": 1, "end_s": 2, "text": "x"},
        {"speaker": "agent", "start_s": "soon", "end_s": 2, "text": "x"},
        {"speaker": "agent", "start_s": 1, "end_s": 2},
        {"hold": False, "start_s": 1, "end_s": 2},
        "hello",
    ],
)
def test_a_turn_the_events_models_refuse_is_refused_read_as_data(turn: Any) -> None:
    event = scenario()[2]
    assert isinstance(event, CallEnded)
    data = {**event.to_data(), "turns": [turn]}
    envelope = Envelope(type=event.event_type, source="/t", data=data, subject="c-0")
    headers, body = envelope.headers(), envelope.body()
    with pytest.raises(ValidationError):
        decode(Envelope.from_message(headers, body))
    reader = EventReader(unread_fields_of(CallsReadModel()), read_as_of(CallsReadModel()))
    with pytest.raises(ValidationError):
        reader.read(Envelope.from_headers(headers), body)


def test_a_field_read_as_must_be_the_events() -> None:
    class Typo(CallsReadModel):
        fields_read_as = {"CallEnded": {"turn": list[Any]}}

    with pytest.raises(ValueError, match="turn"):
        read_as_of(Typo())
