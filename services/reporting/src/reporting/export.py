"""The report as CSV for Excel: UTF-8 with a BOM (so Excel reads the Chinese headers), CRLF line
ends, rates as percentages Excel reads as numbers."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

HEADERS: dict[str, str] = {
    "agent_id": "坐席 agent",
    "team_id": "班组 team",
    "campaign_id": "项目 campaign",
    "dials": "拨打量 dials",
    "blocked_dials": "拦截 blocked dials",
    "connected": "接通量 connected",
    "connect_rate": "接通率 connect rate",
    "contacts": "接触客户 contacts",
    "talk_seconds": "通话时长(秒) talk s",
    "avg_talk_seconds": "平均通话(秒) avg talk s",
    "effective_calls": "有效通话 effective calls",
    "effective_talk_seconds": "有效通话时长(秒) effective talk s",
    "intent": "意向 intent",
    "intent_rate": "意向率 intent rate",
    "sales": "成交 sales",
    "voided_sales": "作废成交 voided sales",
    "conversions": "有效成交 conversions",
    "conversion_rate": "成交率 conversion rate",
    "appointments": "预约 appointments",
    "callbacks_agreed": "约定回访 callbacks agreed",
    "callbacks_scheduled": "回访计划 callbacks scheduled",
    "callbacks_due": "回访到期 callbacks due",
    "callbacks_done": "回访完成 callbacks done",
    "callbacks_overdue": "回访逾期 callbacks overdue",
    "callbacks_cancelled": "回访取消 callbacks cancelled",
    "violations_found": "违规发现 violations found",
    "violations_confirmed": "违规确认 violations confirmed",
    "violations_dismissed": "违规驳回 violations dismissed",
    "fines_agent": "坐席罚款(元) agent fines",
    "fines_supervisor": "主管罚款(元) supervisor fines",
    "complaint_deductions": "投诉扣款(元) complaint deductions",
    "complaints": "投诉 complaints",
}
RATES = frozenset({"connect_rate", "intent_rate", "conversion_rate"})
BOM = "\ufeff"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column in RATES:
        return f"{float(value) * 100:.1f}%"
    return str(value)


def to_csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], totals: Mapping[str, Any] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([HEADERS.get(c, c) for c in columns])
    for row in rows:
        writer.writerow([_cell(c, row.get(c)) for c in columns])
    if totals is not None:
        label = {columns[0]: "合计 total"}
        writer.writerow([label.get(c) or _cell(c, totals.get(c)) for c in columns])
    return BOM + out.getvalue()
