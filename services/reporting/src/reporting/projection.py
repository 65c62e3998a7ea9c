"""The reporting read model: figures per agent, team, campaign and day."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Date, Float, Integer, MetaData, String, Table, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.events.base import DomainEvent
from common.events.calls import CallEnded, CallPlaced
from common.projection import EventContext

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


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


async def add_to_agent_day(session: AsyncSession, key: dict[str, Any], **increments: float) -> None:
    """Upsert that adds to the counters: one statement, safe to batch."""
    row = {**key, **{c: 0 for c in COUNTERS}, **increments}
    stmt = _insert(session)(agent_daily).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "agent_id", "team_id", "campaign_id"],
        set_={c: agent_daily.c[c] + stmt.excluded[c] for c in increments},
    )
    await session.execute(stmt)


class DailyFigures:
    """Dials from ``CallPlaced``; connected calls and talk time from ``CallEnded``."""

    name = "reporting-daily"
    subscriptions: dict[str, Sequence[str]] = {"calls": ["CallPlaced", "CallEnded"]}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        if isinstance(event, CallPlaced):
            key = self._key(event.placed_at, event.agent.id, event.agent.team, event.campaign.id)
            await add_to_agent_day(session, key, dials=1)
        elif isinstance(event, CallEnded):
            key = self._key(event.placed_at, event.agent.id, event.agent.team, event.campaign.id)
            if event.connected:
                await add_to_agent_day(session, key, connected=1, talk_seconds=event.talk_seconds)

    @staticmethod
    def _key(placed_at: Any, agent_id: str, team_id: str, campaign_id: str) -> dict[str, Any]:
        return {"day": report_day(placed_at), "agent_id": agent_id, "team_id": team_id,
                "campaign_id": campaign_id}

    async def reset(self, session: AsyncSession) -> None:
        await session.execute(delete(agent_daily))
