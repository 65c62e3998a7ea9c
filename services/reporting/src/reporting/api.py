"""HTTP API of the reporting service."""

from __future__ import annotations

from datetime import date
from typing import Any

from common.service import Runtime, runtime_of
from fastapi import APIRouter, Depends, Query

from reporting.queries import GroupBy, daily_table

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get("/daily")
async def get_daily_report(
    day: date = Query(alias="date", description="the day, YYYY-MM-DD, in the call centre's local time"),
    group_by: GroupBy = Query(default="agent"),
    runtime: Runtime = Depends(runtime_of),
) -> dict[str, Any]:
    """The daily table (电话行销统计日表): dials, connected, connect rate and talk time."""
    async with runtime.session_factory() as session:
        rows = await daily_table(session, day, group_by)
    return {"date": day.isoformat(), "group_by": group_by, "rows": rows}
