"""Report measures as pure functions (统计: 拨打量, 接通率, 有效通话时长, 意向率, 成交率 …).

No I/O here: the projection classifies each call with these functions when it applies an event,
and the queries compute the same rates over the sums."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from common.timeutil import as_utc

# Default threshold of an effective call (有效通话): a connected call that reached the customer
# and lasted at least this long. Configurable (EFFECTIVE_TALK_MIN_SECONDS).
DEFAULT_EFFECTIVE_TALK_MIN_SECONDS = 30.0

# 每天拨电话时间总和以2小时为限 (seed 003, an agent's work plan): an agent's dialling time on a day,
# from each call's placed_at to its ended_at, is held against two hours. Configurable
# (DIALLING_NORM_SECONDS).
DEFAULT_DIALLING_NORM_SECONDS = 7200.0

# The standard dispositions (calls/domain/dispositions.yaml), used only when an event carries no
# disposition flags (a producer older than the flags).
_HUMAN_ANSWERED = frozenset(
    {
        "wrong_person",
        "callback",
        "not_convenient",
        "refused",
        "no_interest",
        "interested",
        "intent",
        "strong_interest",
        "appointment",
        "success",
        "complaint",
    }
)
_NOT_CUSTOMER = frozenset({"wrong_person"})
_INTENT = frozenset({"interested", "intent", "strong_interest", "appointment", "success"})
_SALE = frozenset({"success"})
_CALLBACK = frozenset({"callback", "not_convenient"})
_APPOINTMENT = frozenset({"appointment"})
_COMPLAINT = frozenset({"complaint"})


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What one finished call counts for."""

    connected: bool  # a person picked up (接通)
    contact: bool  # the intended customer was reached and talked
    interested: bool  # intent shown (意向)
    sale: bool  # sale or activation (成交)
    appointment: bool  # visit or seminar booked (预约)
    callback: bool  # a callback time was agreed
    complaint: bool  # the customer complained on the call


def classify(disposition: str, flags: Iterable[str] | None, *, answered: bool) -> CallOutcome:
    """A call's outcome from its disposition flags when the event carries them (a campaign's own
    outcomes then need no code change); otherwise from the standard disposition names, with
    "connected" meaning the call was answered.

    Appointments and complaints have no flag of their own in the catalogue: they come from the
    disposition name (or an ``appointment`` / ``complaint`` flag, should a campaign add one)."""
    name = disposition.strip().lower()
    if flags is not None:
        f = set(flags)
        return CallOutcome(
            connected="human_answered" in f,
            contact="customer_contact" in f,
            interested="interested" in f,
            sale="sale" in f,
            appointment="appointment" in f or name in _APPOINTMENT,
            callback="callback" in f,
            complaint="complaint" in f or name in _COMPLAINT,
        )
    connected = answered or name in _HUMAN_ANSWERED
    return CallOutcome(
        connected=connected,
        contact=connected and name in _HUMAN_ANSWERED and name not in _NOT_CUSTOMER,
        interested=name in _INTENT,
        sale=name in _SALE,
        appointment=name in _APPOINTMENT,
        callback=name in _CALLBACK,
        complaint=name in _COMPLAINT,
    )


def effective_talk_seconds(talk_seconds: float, contact: bool, min_seconds: float) -> float:
    """有效通话时长 of one call: its whole talk time if it reached the customer (``contact``) and
    lasted at least ``min_seconds``, else nothing. (A 20 s call to a wrong person is talk time,
    not effective talk time.)"""
    return talk_seconds if contact and talk_seconds >= min_seconds else 0.0


def dialling_seconds(placed_at: datetime, ended_at: datetime | None) -> float:
    """How long a call kept the agent on the phone, from placed to ended (ringing included);
    0 for a call not ended yet, or one whose clock ran backwards."""
    if ended_at is None:
        return 0.0
    return max((as_utc(ended_at) - as_utc(placed_at)).total_seconds(), 0.0)


def rate(part: int | float, whole: int | float) -> float | None:
    """``part / whole`` to 4 places; ``None`` (not 0) when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


def net_conversions(sales: int, voided: int) -> int:
    """Sales the report still counts: a sale voided by QA (QA-11, QA-12) is taken off, never
    below zero."""
    return max(sales - voided, 0)


def fine_column(payee: str | None, kind: str | None) -> str:
    """Which report column a ``FineAssessed`` adds to: the agent's fines, the supervisor's, or
    the team's complaint deductions (投诉扣款)."""
    if kind == "complaint_deduction" or payee == "team":
        return "complaint_deductions"
    if payee == "supervisor":
        return "fines_supervisor"
    return "fines_agent"


def report_day(moment: datetime, centre: tzinfo = UTC) -> date:
    """The day a call is listed under.

    A time the dialer reported with a local offset (10:00+08:00) counts on its own date, as
    reported. A UTC instant (what services stamp: refusals, due times) or a naive time is read
    in the call centre's time zone ``centre``: 2026-11-19T23:30Z is 2026-11-20 in Shanghai."""
    offset = moment.utcoffset()
    if offset is None:
        return moment.replace(tzinfo=UTC).astimezone(centre).date()
    if offset == timedelta(0):
        return moment.astimezone(centre).date()
    return moment.date()


_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{2})$")


def parse_iso_week(text: str) -> tuple[date, date]:
    """``2026-W47`` → (Monday, Sunday) of that ISO week. Raises ``ValueError``."""
    match = _ISO_WEEK.match(text.strip().upper())
    if not match:
        raise ValueError(f"not an ISO week (YYYY-Www): {text!r}")
    year, week = int(match.group(1)), int(match.group(2))
    monday = date.fromisocalendar(year, week, 1)  # ValueError for week 0 or 54 of a 52-week year
    return monday, monday + timedelta(days=6)


def iso_week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"
