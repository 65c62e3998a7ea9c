"""HTTP API of the reporting service: the daily and weekly tables as JSON or CSV."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from common.service import runtime_of
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import Response

from reporting.context import ReportingRuntime
from reporting.domain.measures import parse_iso_week
from reporting.export import to_csv
from reporting.queries import GroupBy, columns_for, report_table
from reporting.schemas import CSV, DailyReport, WeeklyReport

router = APIRouter(prefix="/v1/reports", tags=["reports"])

Format = Literal["json", "csv"]


async def _table(
    runtime: ReportingRuntime, first: date, last: date, group_by: GroupBy
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    threshold = runtime.settings.effective_talk_min_seconds
    async with runtime.session_factory() as session:
        return await report_table(session, first, last, group_by, effective_talk_min_seconds=threshold)


def _csv(filename: str, group_by: GroupBy, rows: list[dict[str, Any]], totals: dict[str, Any]) -> Response:
    return Response(
        content=to_csv(columns_for(group_by), rows, totals).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _week(week: str) -> tuple[date, date]:
    try:
        return parse_iso_week(week)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


_DAY = Query(alias="date", description="the day, YYYY-MM-DD, in the call centre's local time")
_WEEK = Query(description="the ISO week, YYYY-Www (Monday to Sunday), e.g. 2026-W47")
_GROUP = Query(default="agent", description="one row per agent (with its team), team or campaign")
_FORMAT = Query(default="json", description="csv: a file for Excel (UTF-8 with BOM)")


@router.get("/daily", response_model=DailyReport, response_model_exclude_unset=True, responses={200: CSV})
async def get_daily_report(
    day: date = _DAY,
    group_by: GroupBy = _GROUP,
    format: Format = _FORMAT,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any] | Response:
    """The daily table (电话行销统计日表): dials, connect rate, talk and effective talk time, intent
    and conversion rates, appointments, callbacks, violations, fines, complaints, blocked dials."""
    rows, totals = await _table(runtime, day, day, group_by)
    if format == "csv":
        return _csv(f"daily-{day.isoformat()}-{group_by}.csv", group_by, rows, totals)
    return {"date": day.isoformat(), "group_by": group_by, "rows": rows, "totals": totals}


@router.get("/daily.csv", response_class=Response, responses={200: CSV})
async def get_daily_report_csv(
    day: date = _DAY,
    group_by: GroupBy = _GROUP,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> Response:
    """The daily table as CSV for Excel."""
    rows, totals = await _table(runtime, day, day, group_by)
    return _csv(f"daily-{day.isoformat()}-{group_by}.csv", group_by, rows, totals)


@router.get("/weekly", response_model=WeeklyReport, response_model_exclude_unset=True, responses={200: CSV})
async def get_weekly_report(
    week: str = _WEEK,
    group_by: GroupBy = _GROUP,
    format: Format = _FORMAT,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> dict[str, Any] | Response:
    """The weekly table (电话行销统计周表): the daily measures summed over an ISO week."""
    first, last = _week(week)
    rows, totals = await _table(runtime, first, last, group_by)
    if format == "csv":
        return _csv(f"weekly-{week}-{group_by}.csv", group_by, rows, totals)
    return {
        "week": week,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "group_by": group_by,
        "rows": rows,
        "totals": totals,
    }


@router.get("/weekly.csv", response_class=Response, responses={200: CSV})
async def get_weekly_report_csv(
    week: str = _WEEK,
    group_by: GroupBy = _GROUP,
    runtime: ReportingRuntime = Depends(runtime_of),
) -> Response:
    """The weekly table as CSV for Excel."""
    first, last = _week(week)
    rows, totals = await _table(runtime, first, last, group_by)
    return _csv(f"weekly-{week}-{group_by}.csv", group_by, rows, totals)
