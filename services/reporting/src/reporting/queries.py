"""Read side: the daily and weekly tables (电话行销统计日表 / 周表) by agent, team or campaign.

Both are sums over the per-call and per-callback facts of a range of days, grouped here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Literal

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import DEFAULT_EFFECTIVE_TALK_MIN_SECONDS, net_conversions, rate
from reporting.projection import call_facts, callback_facts

GroupBy = Literal["agent", "team", "campaign"]

GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_id", "team_id"),
    "team": ("team_id",),
    "campaign": ("campaign_id",),
}

# The counted measures, in the order of the table's columns.
CALL_SUMS = (
    "dials",
    "blocked_dials",
    "connected",
    "contacts",
    "talk_seconds",
    "effective_calls",
    "effective_talk_seconds",
    "intent",
    "sales",
    "voided_sales",
    "appointments",
    "callbacks_agreed",
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
)
CALLBACK_SUMS = ("callbacks_scheduled", "callbacks_due", "callbacks_done", "callbacks_overdue", "callbacks_cancelled")


def _call_measures(min_effective: float) -> list[Any]:
    c = call_facts.c
    effective = and_(c.contact == 1, c.talk_seconds >= literal(min_effective))
    return [
        func.sum(c.placed).label("dials"),
        func.sum(c.blocked).label("blocked_dials"),
        func.sum(c.connected).label("connected"),
        func.sum(c.contact).label("contacts"),
        func.sum(c.talk_seconds).label("talk_seconds"),
        func.sum(case((effective, 1), else_=0)).label("effective_calls"),
        func.sum(case((effective, c.talk_seconds), else_=0.0)).label("effective_talk_seconds"),
        func.sum(c.interested).label("intent"),
        func.sum(c.sale).label("sales"),
        func.sum(case((and_(c.sale == 1, c.voided == 1), 1), else_=0)).label("voided_sales"),
        func.sum(c.appointment).label("appointments"),
        func.sum(c.callback).label("callbacks_agreed"),
        func.sum(c.violations_found).label("violations_found"),
        func.sum(c.violations_confirmed).label("violations_confirmed"),
        func.sum(c.violations_dismissed).label("violations_dismissed"),
        func.sum(c.fines_agent).label("fines_agent"),
        func.sum(c.fines_supervisor).label("fines_supervisor"),
        func.sum(c.complaint_deductions).label("complaint_deductions"),
        # A complaint recorded as the call's outcome and a complaint filed about the call are the
        # same complaint: a call counts the larger of the two.
        func.sum(case((c.complaints > c.complaint_call, c.complaints), else_=c.complaint_call)).label("complaints"),
    ]


def _callback_measures() -> list[Any]:
    c = callback_facts.c
    return [
        func.sum(c.scheduled).label("callbacks_scheduled"),
        func.sum(c.due).label("callbacks_due"),
        func.sum(c.done).label("callbacks_done"),
        func.sum(c.missed).label("callbacks_overdue"),
        func.sum(c.cancelled).label("callbacks_cancelled"),
    ]


def finish_row(sums: dict[str, Any]) -> dict[str, Any]:
    """Raw sums of a group → the report's row: counts as ints, rates, averages."""
    out = {
        k: int(sums.get(k) or 0)
        for k in (*CALL_SUMS, *CALLBACK_SUMS)
        if k not in ("talk_seconds", "effective_talk_seconds")
    }
    talk = float(sums.get("talk_seconds") or 0.0)
    effective = float(sums.get("effective_talk_seconds") or 0.0)
    dials, connected = out["dials"], out["connected"]
    conversions = net_conversions(out["sales"], out["voided_sales"])
    return {
        "dials": dials,
        "blocked_dials": out["blocked_dials"],
        "connected": connected,
        "connect_rate": rate(connected, dials),
        "contacts": out["contacts"],
        "talk_seconds": round(talk, 1),
        "avg_talk_seconds": round(talk / connected, 1) if connected else None,
        "effective_calls": out["effective_calls"],
        "effective_talk_seconds": round(effective, 1),
        "intent": out["intent"],
        "intent_rate": rate(out["intent"], connected),
        "sales": out["sales"],
        "voided_sales": out["voided_sales"],
        "conversions": conversions,
        "conversion_rate": rate(conversions, connected),
        "appointments": out["appointments"],
        "callbacks_agreed": out["callbacks_agreed"],
        **{k: out[k] for k in CALLBACK_SUMS},
        "violations_found": out["violations_found"],
        "violations_confirmed": out["violations_confirmed"],
        "violations_dismissed": out["violations_dismissed"],
        "fines_agent": out["fines_agent"],
        "fines_supervisor": out["fines_supervisor"],
        "complaint_deductions": out["complaint_deductions"],
        "complaints": out["complaints"],
    }


async def report_table(
    session: AsyncSession,
    first: date,
    last: date,
    group_by: GroupBy = "agent",
    *,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The table for the days ``first``..``last`` (inclusive): one row per group, and the totals."""
    keys = GROUP_KEYS[group_by]
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for table, measures in (
        (call_facts, _call_measures(effective_talk_min_seconds)),
        (callback_facts, _callback_measures()),
    ):
        key_cols = [table.c[k] for k in keys]
        query = select(*key_cols, *measures).where(table.c.day >= first, table.c.day <= last).group_by(*key_cols)
        for row in (await session.execute(query)).mappings():
            key = tuple(row[k] for k in keys)
            groups.setdefault(key, {}).update({k: v for k, v in row.items() if k not in keys})
    totals: dict[str, float] = {}
    for sums in groups.values():
        for k, v in sums.items():
            totals[k] = totals.get(k, 0) + (v or 0)
    rows = [
        {**dict(zip(keys, key, strict=True)), **finish_row(sums)}
        for key, sums in sorted(groups.items(), key=lambda kv: tuple(x or "" for x in kv[0]))
    ]
    return rows, finish_row(totals)


async def daily_table(
    session: AsyncSession,
    day: date,
    group_by: GroupBy = "agent",
    *,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> list[dict[str, Any]]:
    rows, _totals = await report_table(
        session, day, day, group_by, effective_talk_min_seconds=effective_talk_min_seconds
    )
    return rows


def columns_for(group_by: GroupBy) -> Sequence[str]:
    return (*GROUP_KEYS[group_by], *finish_row({}).keys())
