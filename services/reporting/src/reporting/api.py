"""HTTP API of the reporting service: the daily and weekly tables as JSON, CSV or XLSX, the trend
of a measure and the agents' ranking."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from common.identity import Caller, Identity, Nothing, row_scope
from common.pagination import Cursor, Limit, next_offset_cursor, offset_of
from common.schemas import rendered
from common.service import runtime_of
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response

from reporting.context import ReportingRuntime
from reporting.domain.measures import parse_iso_week
from reporting.export import XLSX, Sheet, to_csv, to_xlsx
from reporting.queries import (
    GROUP_KEYS,
    GroupBy,
    Metric,
    Period,
    against_norm,
    columns_for,
    ranking,
    report_table,
    trend,
)
from reporting.schemas import CSV, TABLE_FILES, DailyReport, Ranking, Trend, WeeklyReport

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Format = Literal["json", "csv", "xlsx"]
LEVELS: tuple[GroupBy, ...] = ("agent", "team", "campaign")
# A trend reads one rollup row per agent and campaign a day: a range is bounded so an answer is.
MAX_TREND_DAYS = 366


async def _table(
    runtime: ReportingRuntime,
    first: date,
    last: date,
    group_by: GroupBy,
    *,
    daily: bool = False,
    team: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``team``: only that team's rows and totals (a supervisor's tables, narrowed in the query)."""
    threshold = runtime.settings.effective_talk_min_seconds
    async with runtime.session_factory() as session:
        rows, totals = await report_table(
            session, first, last, group_by, effective_talk_min_seconds=threshold, team=team
        )
    if daily and group_by == "agent":
        norm = runtime.settings.dialling_norm_seconds
        rows = [{**row, **against_norm(row, norm)} for row in rows]
    return rows, totals


def _team(caller: Identity) -> str | None:
    """The team a caller's tables are narrowed to: a supervisor's own; none for the roles that
    see the whole centre (managers, QA, administrators)."""
    return row_scope(caller).team


def _narrowed_team(caller: Identity, requested: str | None) -> str | None:
    narrowed = row_scope(caller).narrow(requested, _team(caller))
    if isinstance(narrowed, Nothing):
        raise HTTPException(403, f"this caller may see its own team's figures only, not {requested}'s")
    return narrowed


def _columns(group_by: GroupBy, daily: bool) -> list[str]:
    columns = list(columns_for(group_by))
    if daily and group_by == "agent":
        columns += ["dialling_norm_seconds", "dialling_norm_share", "over_dialling_norm"]
    return columns


def _csv(filename: str, columns: list[str], rows: list[dict[str, Any]], totals: dict[str, Any]) -> Response:
    return Response(
        content=to_csv(columns, rows, totals).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _xlsx(
    runtime: ReportingRuntime,
    title: str,
    filename: str,
    first: date,
    last: date,
    *,
    daily: bool,
    team: str | None = None,
) -> Response:
    """Every level of the table, one sheet each."""
    sheets = []
    for level in LEVELS:
        rows, totals = await _table(runtime, first, last, level, daily=daily, team=team)
        sheets.append(Sheet(level, GROUP_KEYS[level], rows, totals, with_norm=daily and level == "agent"))
    return Response(
        content=to_xlsx(title, sheets),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _format(request: Request, format: Format | None) -> Format:
    """``?format=`` when given; else the Accept header may ask for the workbook or the CSV."""
    if format is not None:
        return format
    accept = request.headers.get("accept", "")
    if XLSX in accept:
        return "xlsx"
    if "text/csv" in accept:
        return "csv"
    return "json"


def _week(week: str) -> tuple[date, date]:
    try:
        return parse_iso_week(week)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _invalid(field: str, message: str) -> RequestValidationError:
    """422 problem details naming the query parameter, as FastAPI's own validation does."""
    return RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error", "input": None}])


_DAY = Query(alias="date", description="the day, YYYY-MM-DD, in the call centre's local time")
_WEEK = Query(description="the ISO week, YYYY-Www (Monday to Sunday), e.g. 2026-W47")
_GROUP = Query(default="agent", description="one row per agent (with its team), team or campaign")
_FORMAT = Query(
    default=None,
    description="csv: a file for Excel (UTF-8 with BOM); xlsx: a workbook with one sheet per level "
    "(also chosen by an Accept header naming its media type); json when absent",
)
_TEAM = Query(default=None, min_length=1, max_length=128, description="only this team's agents")
_METRIC = Query(description="the measure: a count, a time in seconds, or a rate")


@router.get("/daily", response_model=DailyReport, response_model_exclude_unset=True, responses={200: TABLE_FILES})
async def get_daily_report(
    caller: Caller,
    request: Request,
    day: date = _DAY,
    group_by: GroupBy = _GROUP,
    format: Format | None = _FORMAT,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any] | Response:
    """The daily table (电话行销统计日表): dials, connect rate, talk and effective talk time, intent
    and conversion rates, appointments, callbacks, violations, fines, complaints, blocked dials,
    dialling time; an agent's row also holds its dialling time against the two-hours-a-day norm."""
    chosen = _format(request, format)
    if chosen == "xlsx":
        title = f"电话行销统计日表 {day.isoformat()}"
        return await _xlsx(runtime, title, f"daily-{day.isoformat()}.xlsx", day, day, daily=True, team=_team(caller))
    rows, totals = await _table(runtime, day, day, group_by, daily=True, team=_team(caller))
    if chosen == "csv":
        return _csv(f"daily-{day.isoformat()}-{group_by}.csv", _columns(group_by, True), rows, totals)
    # Rendered once: the table is hundreds of rows of thirty figures (see common.schemas.rendered).
    report = DailyReport.model_validate({"date": day, "group_by": group_by, "rows": rows, "totals": totals})
    return rendered(report, exclude_unset=True)


@router.get("/daily.csv", response_class=Response, responses={200: CSV})
async def get_daily_report_csv(
    caller: Caller,
    day: date = _DAY,
    group_by: GroupBy = _GROUP,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> Response:
    """The daily table as CSV for Excel."""
    rows, totals = await _table(runtime, day, day, group_by, daily=True, team=_team(caller))
    return _csv(f"daily-{day.isoformat()}-{group_by}.csv", _columns(group_by, True), rows, totals)


@router.get("/weekly", response_model=WeeklyReport, response_model_exclude_unset=True, responses={200: TABLE_FILES})
async def get_weekly_report(
    caller: Caller,
    request: Request,
    week: str = _WEEK,
    group_by: GroupBy = _GROUP,
    format: Format | None = _FORMAT,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any] | Response:
    """The weekly table (电话行销统计周表): the daily measures summed over an ISO week."""
    first, last = _week(week)
    chosen = _format(request, format)
    if chosen == "xlsx":
        return await _xlsx(
            runtime, f"电话行销统计周表 {week}", f"weekly-{week}.xlsx", first, last, daily=False, team=_team(caller)
        )
    rows, totals = await _table(runtime, first, last, group_by, team=_team(caller))
    if chosen == "csv":
        return _csv(f"weekly-{week}-{group_by}.csv", _columns(group_by, False), rows, totals)
    report = WeeklyReport.model_validate(
        {"week": week, "from": first, "to": last, "group_by": group_by, "rows": rows, "totals": totals}
    )
    return rendered(report, exclude_unset=True)


@router.get("/weekly.csv", response_class=Response, responses={200: CSV})
async def get_weekly_report_csv(
    caller: Caller,
    week: str = _WEEK,
    group_by: GroupBy = _GROUP,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> Response:
    """The weekly table as CSV for Excel."""
    first, last = _week(week)
    rows, totals = await _table(runtime, first, last, group_by, team=_team(caller))
    return _csv(f"weekly-{week}-{group_by}.csv", _columns(group_by, False), rows, totals)


@router.get("/trend", response_model=Trend, response_model_by_alias=True)
async def get_trend(
    caller: Caller,
    metric: Metric = _METRIC,
    first: date = Query(alias="from", description="the first day, YYYY-MM-DD"),
    last: date = Query(alias="to", description="the last day, YYYY-MM-DD (at most 366 days after from)"),
    by: Period = Query(default="day", description="one point per day or per ISO week"),
    team: str | None = _TEAM,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any]:
    """A measure over time for the whole centre or one team: one point per day or ISO week from
    ``from`` to ``to``, every period present; a rate comes with its numerator and denominator."""
    team = _narrowed_team(caller, team)
    if last < first:
        raise _invalid("to", "must not be before from")
    if last - first >= timedelta(days=MAX_TREND_DAYS):
        raise _invalid("to", f"at most {MAX_TREND_DAYS} days after from")
    async with runtime.session_factory() as session:
        points = await trend(
            session,
            metric,
            first,
            last,
            by,
            team=team,
            effective_talk_min_seconds=runtime.settings.effective_talk_min_seconds,
        )
    return {"metric": metric, "by": by, "from": first, "to": last, "team": team, "points": points}


@router.get("/ranking", response_model=Ranking, response_model_by_alias=True)
async def get_ranking(
    caller: Caller,
    metric: Metric = _METRIC,
    day: date = _DAY,
    team: str | None = _TEAM,
    limit: Limit = 10,
    cursor: Cursor = None,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any]:
    """The day's agents ranked by a measure: ``items`` the best first (paged: ``limit``,
    ``cursor``), ``bottom`` the ``limit`` lowest, worst first."""
    team = _narrowed_team(caller, team)
    scope = f"ranking:{metric}:{day.isoformat()}:{team or ''}"
    start = offset_of(scope, cursor)
    async with runtime.session_factory() as session:
        ranked, unranked = await ranking(
            session, metric, day, team=team, effective_talk_min_seconds=runtime.settings.effective_talk_min_seconds
        )
    page = ranked[start : start + limit]
    return {
        "metric": metric,
        "date": day,
        "team": team,
        "total": len(ranked),
        "unranked": unranked,
        "items": page,
        "next_cursor": next_offset_cursor(scope, start, len(page), len(ranked)),
        "bottom": ranked[::-1][:limit],
    }
