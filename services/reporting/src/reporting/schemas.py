"""The shapes of the reporting API's answers (the daily and weekly tables), for the OpenAPI
document and to check what the routes return."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reporting.queries import GroupBy


class Measures(BaseModel):
    """One row's figures (or the totals). Rates are null when their denominator is zero."""

    model_config = ConfigDict(extra="forbid")

    dials: int
    blocked_dials: int
    connected: int
    connect_rate: float | None
    contacts: int
    talk_seconds: float
    avg_talk_seconds: float | None
    effective_calls: int
    effective_talk_seconds: float
    intent: int
    intent_rate: float | None
    sales: int
    voided_sales: int
    conversions: int
    conversion_rate: float | None
    appointments: int
    callbacks_agreed: int
    callbacks_scheduled: int
    callbacks_due: int
    callbacks_done: int
    callbacks_overdue: int
    callbacks_cancelled: int
    violations_found: int
    violations_confirmed: int
    violations_dismissed: int
    fines_agent: int
    fines_supervisor: int
    complaint_deductions: int
    complaints: int


class ReportRow(Measures):
    """A group's row: ``agent_id`` and ``team_id`` (group_by=agent), ``team_id`` (team) or
    ``campaign_id`` (campaign); the keys of the other groupings are absent."""

    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None


class DailyReport(BaseModel):
    date_: date = Field(alias="date")
    group_by: GroupBy
    rows: list[ReportRow]
    totals: Measures


class WeeklyReport(BaseModel):
    week: str = Field(description="the ISO week, YYYY-Www")
    from_: date = Field(alias="from")
    to: date
    group_by: GroupBy
    rows: list[ReportRow]
    totals: Measures


# The CSV alternative of a table, documented beside the JSON one.
CSV: dict[str, Any] = {"content": {"text/csv": {"schema": {"type": "string"}}}}
