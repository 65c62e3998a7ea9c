"""The report for Excel: as CSV (UTF-8 with a BOM so Excel reads the Chinese headers, CRLF line
ends, rates as percentages Excel reads as numbers) and as an XLSX workbook (openpyxl: one sheet
per level, Chinese headers, rates as percentages beside their numerators and denominators,
frozen header row, fitted column widths)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

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
    "dialling_seconds": "拨打时长(秒) dialling s",
    "dialling_norm_seconds": "拨打时长定额(秒) dialling norm s",
    "dialling_norm_share": "定额占比 share of norm",
    "over_dialling_norm": "超出定额 over norm",
}
RATES = frozenset({"connect_rate", "intent_rate", "conversion_rate", "dialling_norm_share"})
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


# --- XLSX ---------------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Kind = Literal["text", "count", "seconds", "money", "rate", "flag"]


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a sheet: which figure of the report's row, under which header, shown how."""

    field: str
    header: str
    kind: Kind


# The names of the seeds' tables (电话行销统计日表 / 周表) and of their measures (拨打量, 接通率,
# 有效通话时长, 意向率, 成交率); each rate stands right of its numerator and denominator, so a
# column repeats where a rate divides by it (接通量 is the denominator of three rates).
KEY_COLUMNS: dict[str, Column] = {
    "agent_id": Column("agent_id", "坐席", "text"),
    "team_id": Column("team_id", "班组", "text"),
    "campaign_id": Column("campaign_id", "项目", "text"),
}
MEASURE_COLUMNS: tuple[Column, ...] = (
    Column("dials", "拨打量", "count"),
    Column("connected", "接通量", "count"),
    Column("connect_rate", "接通率", "rate"),
    Column("blocked_dials", "拦截量", "count"),
    Column("contacts", "接触客户数", "count"),
    Column("talk_seconds", "通话时长(秒)", "seconds"),
    Column("connected", "接通量", "count"),
    Column("avg_talk_seconds", "平均通话时长(秒)", "seconds"),
    Column("effective_calls", "有效通话数", "count"),
    Column("effective_talk_seconds", "有效通话时长(秒)", "seconds"),
    Column("intent", "意向数", "count"),
    Column("connected", "接通量", "count"),
    Column("intent_rate", "意向率", "rate"),
    Column("sales", "成交数", "count"),
    Column("voided_sales", "作废成交数", "count"),
    Column("conversions", "有效成交数", "count"),
    Column("connected", "接通量", "count"),
    Column("conversion_rate", "成交率", "rate"),
    Column("appointments", "预约数", "count"),
    Column("callbacks_agreed", "约定回访数", "count"),
    Column("callbacks_scheduled", "回访计划数", "count"),
    Column("callbacks_due", "回访到期数", "count"),
    Column("callbacks_done", "回访完成数", "count"),
    Column("callbacks_overdue", "回访逾期数", "count"),
    Column("callbacks_cancelled", "回访取消数", "count"),
    Column("violations_found", "违规发现数", "count"),
    Column("violations_confirmed", "违规确认数", "count"),
    Column("violations_dismissed", "违规驳回数", "count"),
    Column("fines_agent", "坐席罚款(元)", "money"),
    Column("fines_supervisor", "主管罚款(元)", "money"),
    Column("complaint_deductions", "投诉扣款(元)", "money"),
    Column("complaints", "投诉数", "count"),
    Column("dialling_seconds", "拨打时长(秒)", "seconds"),
)
# An agent's day against the norm (每天拨电话时间总和以2小时为限): the daily table's agent sheet.
NORM_COLUMNS: tuple[Column, ...] = (
    Column("dialling_seconds", "拨打时长(秒)", "seconds"),
    Column("dialling_norm_seconds", "拨打时长定额(秒)", "seconds"),
    Column("dialling_norm_share", "定额占比", "rate"),
    Column("over_dialling_norm", "超出定额", "flag"),
)
SHEET_TITLES = {"agent": "坐席", "team": "班组", "campaign": "项目"}
TOTAL_LABEL = "合计"
_FORMATS: dict[str, str] = {"count": "0", "seconds": "0.0", "money": "0", "rate": "0.0%"}


@dataclass(frozen=True, slots=True)
class Sheet:
    """One level of the report: its rows and totals as the JSON answer gives them."""

    level: str  # agent, team or campaign
    keys: Sequence[str]
    rows: Sequence[Mapping[str, Any]]
    totals: Mapping[str, Any]
    with_norm: bool = False


def sheet_columns(sheet: Sheet) -> list[Column]:
    columns = [KEY_COLUMNS[k] for k in sheet.keys]
    if sheet.with_norm:
        # The norm's columns replace the plain dialling time at the end.
        return [*columns, *MEASURE_COLUMNS[:-1], *NORM_COLUMNS]
    return [*columns, *MEASURE_COLUMNS]


def _display_width(value: Any, column: Column) -> int:
    if value is None:
        return 0
    if column.kind == "rate" and isinstance(value, int | float):
        text = f"{value * 100:.1f}%"
    elif column.kind == "seconds" and isinstance(value, int | float):
        text = f"{value:.1f}"
    else:
        text = str(value)
    # A CJK character takes two columns of Excel's width unit.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx(title: str, sheets: Sequence[Sheet]) -> bytes:
    """The workbook: one sheet per level, header row frozen, columns fitted to their contents,
    the totals (合计) last. Cells hold the JSON's numbers: a rate is its fraction shown as a
    percentage, so Excel computes with the same figure."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    workbook.properties.title = title
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet in sheets:
        ws = workbook.create_sheet(SHEET_TITLES.get(sheet.level, sheet.level))
        columns = sheet_columns(sheet)
        ws.append([c.header for c in columns])
        for row in sheet.rows:
            ws.append([row.get(c.field) for c in columns])
        totals = [sheet.totals.get(c.field) if c.kind != "text" else None for c in columns]
        totals[0] = TOTAL_LABEL
        ws.append(totals)
        for cell in ws[1]:
            cell.font = bold
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=False)
        for cell in ws[ws.max_row]:
            cell.font = bold
        widths = [_display_width(c.header, c) for c in columns]
        for index, column in enumerate(columns, start=1):
            number_format = _FORMATS.get(column.kind)
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                if number_format and isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    cell.number_format = number_format
                widths[index - 1] = max(widths[index - 1], _display_width(cell.value, column))
            ws.column_dimensions[get_column_letter(index)].width = min(widths[index - 1] + 2, 60)
        # The header row stays in view, and so do the keys naming each row.
        ws.freeze_panes = ws.cell(row=2, column=len(sheet.keys) + 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
