"""The reporting read model: figures per agent, team, campaign and day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallPlaced
from common.projection import EventContext
from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import report_day

metadata = MetaData()

agent_daily = Table(
    "agent_daily",
    metadata,
    Column("day", Date, primary_key=True),
    Column("agent_id", String(128), primary_key=True),
    Column("team_id", String(128), primary_key=True),
    Column("campaign_id", String(128), primary_key=True),
    Column("dials", Integer, nullable=False, default=0),
    Column("connected", Integer, nullable=False, default=0),
    Column("talk_seconds", Float, nullable=False, default=0.0),
)

COUNTERS = ("dials", "connected", "talk_seconds")


def _upsert_adding(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO UPDATE SET counter = counter + excluded.counter: adding to a row
    whether or not it exists, in one statement that executemany can batch."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(agent_daily)
    return stmt.on_conflict_do_update(
        index_elements=["day", "agent_id", "team_id", "campaign_id"],
        set_={c: agent_daily.c[c] + stmt.excluded[c] for c in COUNTERS},
    )


_UPSERTS = {name: _upsert_adding(name) for name in ("postgresql", "sqlite")}


async def add_to_agent_days(session: AsyncSession, increments: dict[tuple[Any, ...], dict[str, float]]) -> None:
    if not increments:
        return
    rows = [
        {"day": k[0], "agent_id": k[1], "team_id": k[2], "campaign_id": k[3],
         **{c: inc.get(c, 0) for c in COUNTERS}}
        for k, inc in increments.items()
    ]
    await session.execute(_UPSERTS[session.get_bind().dialect.name], rows)


class DailyFigures:
    """Dials from ``CallPlaced``; connected calls and talk time from ``CallEnded``."""

    name = "reporting-daily"
    subscriptions: dict[str, Sequence[str]] = {"calls": ["CallPlaced", "CallEnded"]}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        await self.apply_batch(session, [(event, ctx)])

    async def apply_batch(self, session: AsyncSession, items: Sequence[tuple[DomainEvent, EventContext]]) -> None:
        # Sum the batch in memory first: a batch of 500 events becomes one statement with one
        # row per agent-day, not 500 round trips.
        increments: dict[tuple[Any, ...], dict[str, float]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
        for event, _ctx in items:
            if isinstance(event, CallPlaced):
                key = (report_day(event.placed_at), event.agent.id, event.agent.team, event.campaign.id)
                increments[key]["dials"] += 1
            elif isinstance(event, CallEnded) and event.connected:
                key = (report_day(event.placed_at), event.agent.id, event.agent.team, event.campaign.id)
                increments[key]["connected"] += 1
                increments[key]["talk_seconds"] += event.talk_seconds
        await add_to_agent_days(session, increments)

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(agent_daily))
