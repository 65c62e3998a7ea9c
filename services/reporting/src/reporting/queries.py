"""Read side: the daily table by agent, team or campaign."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import rate
from reporting.projection import agent_daily

GroupBy = Literal["agent", "team", "campaign"]


async def daily_table(session: AsyncSession, day: date, group_by: GroupBy = "agent") -> list[dict[str, Any]]:
    keys = {
        "agent": [agent_daily.c.agent_id, agent_daily.c.team_id],
        "team": [agent_daily.c.team_id],
        "campaign": [agent_daily.c.campaign_id],
    }[group_by]
    query = (
        select(
            *keys,
            func.sum(agent_daily.c.dials).label("dials"),
            func.sum(agent_daily.c.connected).label("connected"),
            func.sum(agent_daily.c.talk_seconds).label("talk_seconds"),
        )
        .where(agent_daily.c.day == day)
        .group_by(*keys)
        .order_by(*keys)
    )
    rows = []
    for row in (await session.execute(query)).mappings():
        dials, connected = int(row["dials"]), int(row["connected"])
        talk = float(row["talk_seconds"])
        rows.append({
            **{k.name: row[k.name] for k in keys},
            "dials": dials,
            "connected": connected,
            "connect_rate": rate(connected, dials),
            "talk_seconds": round(talk, 1),
            "avg_talk_seconds": round(talk / connected, 1) if connected else None,
        })
    return rows
