"""The shapes of the reporting API's answers (the daily and weekly tables, the trend, the
ranking), for the OpenAPI document and to check what the routes return."""

from __future__ import annotations

from datetime import date
from typing import Any

from common.pagination import Page
from pydantic import BaseModel, ConfigDict, Field

from reporting.export import XLSX
from reporting.queries import GroupBy, Metric, Period


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
    dialling_seconds: float = Field(description="time on the phone, from each call's placed_at to its ended_at")


class ReportRow(Measures):
    """A group's row: ``agent_id`` and ``team_id`` (group_by=agent), ``team_id`` (team) or
    ``campaign_id`` (campaign); the keys of the other groupings are absent. An agent's row of
    the daily table also holds its dialling time against the norm (two hours a day)."""

    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None
    dialling_norm_seconds: float | None = Field(default=None, description="the day's norm (DIALLING_NORM_SECONDS)")
    dialling_norm_share: float | None = Field(default=None, description="dialling_seconds / dialling_norm_seconds")
    over_dialling_norm: bool | None = Field(default=None, description="dialled longer than the norm")


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


class TrendPoint(BaseModel):
    period: str = Field(description="the day (YYYY-MM-DD) or ISO week (YYYY-Www)")
    from_: date = Field(alias="from", description="the period's first day within the range")
    to: date = Field(description="the period's last day within the range")
    value: float | None = Field(description="the metric; null for a rate whose denominator is 0")
    numerator: float | None = Field(description="a rate's numerator, or the count itself")
    denominator: float | None = Field(description="a rate's denominator; null for a count")


class Trend(BaseModel):
    """A measure of the whole centre (or one team) day by day or week by week."""

    metric: Metric
    by: Period
    from_: date = Field(alias="from")
    to: date
    team: str | None
    points: list[TrendPoint]


class RankedAgent(BaseModel):
    rank: int = Field(description="1 is the best (the highest value)")
    agent_id: str | None
    team_id: str | None
    value: float
    numerator: float | None = Field(description="a rate's numerator, or the count itself")
    denominator: float | None = Field(description="a rate's denominator; null for a count")


class Ranking(Page[RankedAgent]):
    """The day's agents by a measure: ``items`` pages through them best first; ``bottom`` is the
    ``limit`` lowest, worst first. Agents whose rate has a zero denominator are not ranked."""

    metric: Metric
    date_: date = Field(alias="date")
    team: str | None
    total: int = Field(description="agents ranked")
    unranked: int = Field(description="agents of the day without a value for the metric")
    bottom: list[RankedAgent]


# The file alternatives of a table, documented beside the JSON one.
CSV: dict[str, Any] = {"content": {"text/csv": {"schema": {"type": "string"}}}}
TABLE_FILES: dict[str, Any] = {
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        XLSX: {"schema": {"type": "string", "format": "binary"}},
    }
}
