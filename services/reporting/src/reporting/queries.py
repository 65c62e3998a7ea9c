"""Read side: the daily and weekly tables (电话行销统计日表 / 周表) by agent, team or campaign, the
trend of a measure over days or weeks, and the agents' ranking of a day.

All are sums over the rollup (``daily_figures``, one row per day, agent, team and campaign), so
they cost the same whatever the day's volume; rates are computed here from their summed
numerators and denominators."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Literal, TypeAlias

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reporting.domain.measures import DEFAULT_EFFECTIVE_TALK_MIN_SECONDS, iso_week_of, net_conversions, rate
from reporting.domain.rollup import (
    CALLBACK_FIGURES,
    FIGURES,
    KEY_COLUMNS,
    UNKNOWN,
    Figures,
    call_figures,
    callback_figures,
    rollup_key,
    total,
)
from reporting.projection import EFFECTIVE_THRESHOLD, call_facts, callback_facts, daily_figures, figures_setting

GroupBy = Literal["agent", "team", "campaign"]

GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "agent": ("agent_id", "team_id"),
    "team": ("team_id",),
    "campaign": ("campaign_id",),
}

# The measures of a table's row, in the order of its columns.
MEASURES = (
    "dials",
    "blocked_dials",
    "connected",
    "connect_rate",
    "contacts",
    "talk_seconds",
    "avg_talk_seconds",
    "effective_calls",
    "effective_talk_seconds",
    "intent",
    "intent_rate",
    "sales",
    "voided_sales",
    "conversions",
    "conversion_rate",
    "appointments",
    "callbacks_agreed",
    "callbacks_scheduled",
    "callbacks_due",
    "callbacks_done",
    "callbacks_overdue",
    "callbacks_cancelled",
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
    "dialling_seconds",
)
# Each rate (or average) with its numerator and denominator, as the table's columns name them.
RATES: dict[str, tuple[str, str]] = {
    "connect_rate": ("connected", "dials"),
    "intent_rate": ("intent", "connected"),
    "conversion_rate": ("conversions", "connected"),
    "avg_talk_seconds": ("talk_seconds", "connected"),
}
# The measures a trend or a ranking can follow: every count and time, and the rates.
Metric = Literal[
    "dials",
    "blocked_dials",
    "connected",
    "connect_rate",
    "contacts",
    "talk_seconds",
    "avg_talk_seconds",
    "effective_calls",
    "effective_talk_seconds",
    "intent",
    "intent_rate",
    "sales",
    "voided_sales",
    "conversions",
    "conversion_rate",
    "appointments",
    "callbacks_agreed",
    "callbacks_scheduled",
    "callbacks_due",
    "callbacks_done",
    "callbacks_overdue",
    "callbacks_cancelled",
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
    "dialling_seconds",
]


def _seconds(milliseconds: int) -> float:
    return round(milliseconds / 1000, 1)


def finish_row(figures: Mapping[str, int]) -> dict[str, Any]:
    """A group's summed figures (reporting.domain.rollup) → the report's measures: counts,
    times in seconds, rates and averages."""
    f = figures if len(figures) == len(FIGURES) else {name: figures.get(name, 0) for name in FIGURES}
    dials, connected = f["dials"], f["connected"]
    conversions = net_conversions(f["sales"], f["voided_sales"])
    return {
        "dials": dials,
        "blocked_dials": f["blocked_dials"],
        "connected": connected,
        "connect_rate": rate(connected, dials),
        "contacts": f["contacts"],
        "talk_seconds": _seconds(f["talk_ms"]),
        "avg_talk_seconds": round(f["talk_ms"] / 1000 / connected, 1) if connected else None,
        "effective_calls": f["effective_calls"],
        "effective_talk_seconds": _seconds(f["effective_talk_ms"]),
        "intent": f["intent"],
        "intent_rate": rate(f["intent"], connected),
        "sales": f["sales"],
        "voided_sales": f["voided_sales"],
        "conversions": conversions,
        "conversion_rate": rate(conversions, connected),
        "appointments": f["appointments"],
        "callbacks_agreed": f["callbacks_agreed"],
        **{name: f[name] for name in CALLBACK_FIGURES},
        "violations_found": f["violations_found"],
        "violations_confirmed": f["violations_confirmed"],
        "violations_dismissed": f["violations_dismissed"],
        "fines_agent": f["fines_agent"],
        "fines_supervisor": f["fines_supervisor"],
        "complaint_deductions": f["complaint_deductions"],
        "complaints": f["complaints"],
        "dialling_seconds": _seconds(f["dialling_ms"]),
    }


def against_norm(measures: Mapping[str, Any], norm_seconds: float) -> dict[str, Any]:
    """An agent's day of dialling held against the norm (每天拨电话时间总和以2小时为限)."""
    dialled = float(measures["dialling_seconds"])
    return {
        "dialling_norm_seconds": norm_seconds,
        "dialling_norm_share": rate(dialled, norm_seconds),
        "over_dialling_norm": dialled > norm_seconds,
    }


GroupKey: TypeAlias = tuple[Any, ...]


async def rollup_threshold(session: AsyncSession) -> float | None:
    """The effective-talk threshold the rollup holds figures for (None before its first batch)."""
    query = select(figures_setting.c.value).where(figures_setting.c.name == EFFECTIVE_THRESHOLD)
    value = (await session.execute(query)).scalar_one_or_none()
    return None if value is None else float(value)


async def rollup_groups(
    session: AsyncSession, first: date, last: date, keys: Sequence[str], *, team: str | None = None
) -> dict[GroupKey, Figures]:
    """The figures of the days ``first``..``last`` summed by ``keys``, from the rollup: as many
    rows as days × agents × campaigns, whatever the number of calls."""
    t = daily_figures.c
    key_cols = [t[k] for k in keys]
    query = (
        select(*key_cols, *[func.sum(t[f]).label(f) for f in FIGURES])
        .where(t.day >= first, t.day <= last)
        .group_by(*key_cols)
    )
    if team is not None:
        query = query.where(t.team_id == team)
    groups: dict[GroupKey, Figures] = {}
    for row in (await session.execute(query)).all():
        key = tuple(None if v == UNKNOWN else v for v in row[: len(keys)])
        groups[key] = {f: int(v or 0) for f, v in zip(FIGURES, row[len(keys) :], strict=True)}
    return groups


async def facts_groups(
    session: AsyncSession,
    first: date,
    last: date,
    keys: Sequence[str],
    *,
    team: str | None = None,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> dict[GroupKey, Figures]:
    """The same sums from the facts, one row per call and callback: the reference the rollup is
    kept equal to, and the answer for another threshold than the rollup's (costs what the
    range's volume costs)."""
    groups: dict[GroupKey, Figures] = {}
    for table, figures_of in (
        (call_facts, lambda r: call_figures(r, effective_talk_min_seconds)),
        (callback_facts, callback_figures),
    ):
        query = select(table).where(table.c.day >= first, table.c.day <= last)
        if team is not None:
            query = query.where(table.c.team_id == team)
        for mapping in (await session.execute(query)).mappings():
            row = dict(mapping)
            key = rollup_key(row)
            if key is None:
                continue
            by_column = dict(zip(KEY_COLUMNS, key, strict=True))
            group = tuple(None if by_column[k] == UNKNOWN else by_column[k] for k in keys)
            sums = groups.setdefault(group, dict.fromkeys(FIGURES, 0))
            for name, value in figures_of(row).items():
                sums[name] += value
    return {k: v for k, v in groups.items() if any(v.values())}


async def figures_by(
    session: AsyncSession,
    first: date,
    last: date,
    keys: Sequence[str],
    *,
    team: str | None = None,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> dict[GroupKey, Figures]:
    """From the rollup when it holds figures for this threshold, else from the facts."""
    threshold = await rollup_threshold(session)
    if threshold is not None and threshold != effective_talk_min_seconds:
        return await facts_groups(
            session, first, last, keys, team=team, effective_talk_min_seconds=effective_talk_min_seconds
        )
    return await rollup_groups(session, first, last, keys, team=team)


def _sort_key(item: tuple[GroupKey, Any]) -> tuple[str, ...]:
    return tuple(str(x or "") for x in item[0])


async def report_table(
    session: AsyncSession,
    first: date,
    last: date,
    group_by: GroupBy = "agent",
    *,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
    team: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The table for the days ``first``..``last`` (inclusive): one row per group, and the totals."""
    keys = GROUP_KEYS[group_by]
    groups = await figures_by(
        session, first, last, keys, team=team, effective_talk_min_seconds=effective_talk_min_seconds
    )
    rows = [
        {**dict(zip(keys, key, strict=True)), **finish_row(figures)}
        for key, figures in sorted(groups.items(), key=_sort_key)
    ]
    return rows, finish_row(total(groups.values()))


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
    return (*GROUP_KEYS[group_by], *MEASURES)


def measure_of(measures: Mapping[str, Any], metric: str) -> tuple[float | None, float | None, float | None]:
    """A metric's value in a finished row, with its numerator and denominator (for a rate or an
    average; the value itself and None for a count or a time)."""
    if metric in RATES:
        numerator, denominator = RATES[metric]
        return measures[metric], measures[numerator], measures[denominator]
    return measures[metric], measures[metric], None


Period: TypeAlias = Literal["day", "week"]


async def trend(
    session: AsyncSession,
    metric: str,
    first: date,
    last: date,
    by: Period,
    *,
    team: str | None = None,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> list[dict[str, Any]]:
    """One point per day (or ISO week) from ``first`` to ``last``, every period present (an empty
    one counts zero; its rates are null)."""
    days = await figures_by(
        session, first, last, ("day",), team=team, effective_talk_min_seconds=effective_talk_min_seconds
    )
    periods: dict[str, tuple[date, date, list[Figures]]] = {}
    for offset in range((last - first).days + 1):  # (no date past the range: 9999-12-31 has no next day)
        day = first + timedelta(days=offset)
        if by == "day":
            label, start, end = day.isoformat(), day, day
        else:
            # The week as the range holds it: from its Monday or ``first``, to its Sunday or ``last``.
            label = iso_week_of(day)
            start = max(first, day - timedelta(days=min(day.weekday(), (day - first).days)))
            end = min(last, day + timedelta(days=min(6 - day.weekday(), (last - day).days)))
        periods.setdefault(label, (start, end, []))[2].append(days.get((day,), {}))
    points = []
    for label, (start, end, figures) in periods.items():
        value, numerator, denominator = measure_of(finish_row(total(figures)), metric)
        points.append(
            {
                "period": label,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
            }
        )
    return points


async def ranking(
    session: AsyncSession,
    metric: str,
    day: date,
    *,
    team: str | None = None,
    effective_talk_min_seconds: float = DEFAULT_EFFECTIVE_TALK_MIN_SECONDS,
) -> tuple[list[dict[str, Any]], int]:
    """The day's agents ranked by ``metric``, best first (ties by agent id), and how many agents
    could not be ranked (a rate whose denominator is zero)."""
    rows, _totals = await report_table(
        session, day, day, "agent", team=team, effective_talk_min_seconds=effective_talk_min_seconds
    )
    ranked = []
    for row in rows:
        value, numerator, denominator = measure_of(row, metric)
        if value is None:
            continue
        ranked.append(
            {
                "agent_id": row["agent_id"],
                "team_id": row["team_id"],
                "value": value,
                "numerator": numerator,
                "denominator": denominator,
            }
        )
    ranked.sort(key=lambda r: (-r["value"], r["agent_id"] or ""))
    for position, entry in enumerate(ranked, start=1):
        entry["rank"] = position
    return ranked, len(rows) - len(ranked)
