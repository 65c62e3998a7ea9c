"""What one call or one callback adds to its day's figures (the rollup), as pure functions.

The daily, weekly and trend tables are sums of per-(day, agent, team, campaign) figures kept up
to date as events arrive, so a table costs the same whatever the day's volume. A call's facts
can change after they were counted (its CallEnded corrected, a sale voided, a finding confirmed,
the day and agent a QA event guessed replaced by the calls events), so the projection never adds
an event's part directly: it adds ``figures(after) - figures(before)`` of every call and callback
the batch touched. Whatever the order the events arrive in, the rollup is then the sum of the
figures of the facts as they stand, which is what a rebuild from the log gives too.

Only integers are summed (talk and dialling time in milliseconds), so no order of additions can
change a total, and rates are never stored: they are computed when a table is read, from their
numerators and denominators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeAlias

# The key of a rollup row. A dimension the events have not told yet is stored as "" (a primary
# key column cannot be NULL on PostgreSQL) and read back as None.
RollupKey: TypeAlias = tuple[date, str, str, str]
KEY_COLUMNS = ("day", "agent_id", "team_id", "campaign_id")
UNKNOWN = ""

# The summed figures, in the order of the report's measures.
CALL_FIGURES = (
    "dials",
    "blocked_dials",
    "connected",
    "contacts",
    "talk_ms",
    "effective_calls",
    "effective_talk_ms",
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
    "dialling_ms",
)
CALLBACK_FIGURES = (
    "callbacks_scheduled",
    "callbacks_due",
    "callbacks_done",
    "callbacks_overdue",
    "callbacks_cancelled",
)
FIGURES = (*CALL_FIGURES, *CALLBACK_FIGURES)
# The two figures that depend on the effective-talk threshold (a setting).
EFFECTIVE_FIGURES = ("effective_calls", "effective_talk_ms")

Figures: TypeAlias = dict[str, int]


def milliseconds(seconds: float | None) -> int:
    """Seconds as whole milliseconds, the unit the rollup sums (exact whatever the order)."""
    return round((seconds or 0.0) * 1000)


def rollup_key(facts: Mapping[str, Any]) -> RollupKey | None:
    """Where a call's or callback's facts count; None while its day is unknown (counted nowhere)."""
    day = facts.get("day")
    if day is None:
        return None
    return (day, *(facts.get(c) or UNKNOWN for c in KEY_COLUMNS[1:]))


def effective(facts: Mapping[str, Any], min_effective_seconds: float) -> bool:
    """有效通话: the call reached the customer and lasted at least the threshold (which counts)."""
    return bool(facts.get("contact")) and float(facts.get("talk_seconds") or 0.0) >= min_effective_seconds


def call_figures(facts: Mapping[str, Any], min_effective_seconds: float) -> Figures:
    """What one call's facts (a ``call_facts`` row) add to its day's figures."""
    sale = int(facts.get("sale") or 0)
    is_effective = effective(facts, min_effective_seconds)
    talk_ms = milliseconds(facts.get("talk_seconds"))
    return {
        "dials": int(facts.get("placed") or 0),
        "blocked_dials": int(facts.get("blocked") or 0),
        "connected": int(facts.get("connected") or 0),
        "contacts": int(facts.get("contact") or 0),
        "talk_ms": talk_ms,
        "effective_calls": int(is_effective),
        "effective_talk_ms": talk_ms if is_effective else 0,
        "intent": int(facts.get("interested") or 0),
        "sales": sale,
        "voided_sales": int(sale == 1 and bool(facts.get("voided"))),
        "appointments": int(facts.get("appointment") or 0),
        "callbacks_agreed": int(facts.get("callback") or 0),
        "violations_found": int(facts.get("violations_found") or 0),
        "violations_confirmed": int(facts.get("violations_confirmed") or 0),
        "violations_dismissed": int(facts.get("violations_dismissed") or 0),
        "fines_agent": int(facts.get("fines_agent") or 0),
        "fines_supervisor": int(facts.get("fines_supervisor") or 0),
        "complaint_deductions": int(facts.get("complaint_deductions") or 0),
        # A complaint recorded as the call's outcome and one filed about the call are the same
        # complaint: the call counts the larger of the two.
        "complaints": max(int(facts.get("complaints") or 0), int(facts.get("complaint_call") or 0)),
        "dialling_ms": milliseconds(facts.get("dialling_seconds")),
    }


def callback_figures(facts: Mapping[str, Any]) -> Figures:
    """What one callback's facts (a ``callback_facts`` row) add to the day it is due."""
    return {
        "callbacks_scheduled": int(facts.get("scheduled") or 0),
        "callbacks_due": int(facts.get("due") or 0),
        "callbacks_done": int(facts.get("done") or 0),
        "callbacks_overdue": int(facts.get("missed") or 0),
        "callbacks_cancelled": int(facts.get("cancelled") or 0),
    }


class Changes:
    """The rollup's changes from a batch: per key, the figures to add (negative to take off)."""

    def __init__(self) -> None:
        self.by_key: dict[RollupKey, Figures] = {}

    def add(self, key: RollupKey | None, figures: Mapping[str, int], sign: int = 1) -> None:
        if key is None:
            return
        row = self.by_key.get(key)
        if row is None:
            row = self.by_key[key] = {}
        for name, value in figures.items():
            if value:
                row[name] = row.get(name, 0) + sign * value

    def replace(self, before: tuple[RollupKey | None, Figures], after: tuple[RollupKey | None, Figures]) -> None:
        """One call's (or callback's) figures moved from ``before`` to ``after`` (key and figures)."""
        if before == after:
            return
        self.add(*before, sign=-1)
        self.add(*after)

    def rows(self) -> list[dict[str, Any]]:
        """The non-zero changes as rows (key columns and every figure), sorted by key so that
        writers lock rows in the same order."""
        out = []
        for key in sorted(self.by_key):
            figures = self.by_key[key]
            if any(figures.values()):
                out.append({**dict(zip(KEY_COLUMNS, key, strict=True)), **{f: figures.get(f, 0) for f in FIGURES}})
        return out

    def emptied(self) -> list[dict[str, Any]]:
        """The keys some figure went down for: their rows may now be all zero, and are removed
        then (a rebuild, seeing only the final facts, would never create them)."""
        return [
            dict(zip(KEY_COLUMNS, key, strict=True))
            for key in sorted(self.by_key)
            if any(v < 0 for v in self.by_key[key].values())
        ]


def total(rows: Iterable[Mapping[str, Any]]) -> Figures:
    """The figures of several rollup rows added up."""
    listed = list(rows)
    return {name: sum(row.get(name) or 0 for row in listed) for name in FIGURES}
