"""The callback rules (domain.md section 3), each a pure function of a finished call, what
the service knows about the lead, and the campaign's policy.

A rule says *when* the customer should be called ("wanted"); ``place`` then fits that into the
customer's calling window. Random spreads (3–5 minutes, 27–31 hours) are derived from a hash
of the lead and the attempt, so a replayed event always gives the same answer.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from scheduling.domain.policy import (
    AppointmentRule,
    CallbackPolicy,
    DaysRule,
    DroppedRule,
    InboundRule,
    NoAnswerRule,
    NotConvenientRule,
    RefusalRule,
)
from scheduling.domain.windows import CallingWindow, next_allowed, previous_allowed

Cancel = Literal["none", "automatic", "all"]
# Reasons whose time the customer agreed to: an automatic rule never supersedes them.
AGREED_REASONS = frozenset({"callback", "appointment_confirmation"})


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What the rules need from a ``CallEnded``."""

    call_id: str
    lead_id: str
    direction: str
    disposition: str
    placed_at: datetime
    answered_at: datetime | None
    ended_at: datetime
    callback_at: datetime | None = None
    appointment_at: datetime | None = None
    dropped: bool = False  # the line dropped: the calls service's verdict (CallEnded.was_dropped)


@dataclass(frozen=True, slots=True)
class LeadHistory:
    """The part of a lead's past the rules depend on."""

    no_answer_attempts: int = 0  # unanswered calls in the current cycle
    cycle: int = 1
    redials: int = 0  # consecutive immediate redials after dropped calls
    quiet_until: datetime | None = None  # after a refusal: no automatic call before this


@dataclass(frozen=True, slots=True)
class Wanted:
    reason: str
    at: datetime
    exact: bool = False
    attempt: int = 1
    cycle: int = 1
    before: datetime | None = None  # must happen before this (the appointment itself)


@dataclass(frozen=True, slots=True)
class Decision:
    wanted: Wanted | None
    history: LeadHistory
    cancel: Cancel = "none"
    cancel_reason: str | None = None
    note: str | None = None  # why nothing was scheduled


def spread(key: str, low: float, high: float) -> float:
    """A stable pseudo-random value in [low, high]."""
    if high <= low:
        return low
    fraction = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64
    return low + (high - low) * fraction


# --- the rules ---------------------------------------------------------------------------


def not_convenient(o: CallOutcome, rule: NotConvenientRule) -> Wanted:
    """Not convenient now: call back at the agreed time (时间一定要确定)."""
    if o.callback_at is not None:
        return Wanted("callback", o.callback_at, exact=True)
    return Wanted("callback", o.ended_at + timedelta(minutes=rule.missing_time_fallback_minutes))


def no_answer(o: CallOutcome, history: LeadHistory, rule: NoAnswerRule) -> tuple[Wanted | None, LeadHistory]:
    """No answer: retry after 3–5 minutes, at most N attempts a cycle, then rest 27–31 hours
    (not 24: the next cycle tries the customer at another hour)."""
    attempts = history.no_answer_attempts + 1
    if attempts < rule.max_attempts_per_cycle:
        minutes = spread(f"{o.lead_id}/{history.cycle}/{attempts}", rule.retry_min_minutes, rule.retry_max_minutes)
        wanted = Wanted("no_answer", o.ended_at + timedelta(minutes=minutes), attempt=attempts + 1, cycle=history.cycle)
        return wanted, replace(history, no_answer_attempts=attempts, redials=0)
    if history.cycle >= rule.max_cycles:
        return None, replace(history, no_answer_attempts=attempts, redials=0)
    hours = spread(f"{o.lead_id}/cycle/{history.cycle}", rule.cycle_rest_min_hours, rule.cycle_rest_max_hours)
    wanted = Wanted("no_answer", o.ended_at + timedelta(hours=hours), attempt=1, cycle=history.cycle + 1)
    return wanted, replace(history, no_answer_attempts=0, cycle=history.cycle + 1, redials=0)


def redial_after_drop(o: CallOutcome, rule: DroppedRule) -> bool:
    """Whether the dropped-call rule applies: the line dropped (the calls service decides that,
    ``CallEnded.dropped``) and the outcome is not one that stands whatever the line did next."""
    return o.dropped and o.disposition not in rule.final_dispositions


def dropped(o: CallOutcome, history: LeadHistory, rule: DroppedRule) -> tuple[Wanted | None, LeadHistory]:
    """A dropped call is redialled at once (up to ``max_redials`` in a row)."""
    if history.redials >= rule.max_redials:
        return None, history
    return Wanted("dropped", o.ended_at, attempt=history.redials + 1), replace(history, redials=history.redials + 1)


def inbound_followup(o: CallOutcome, rule: InboundRule) -> Wanted | None:
    """An inbound inquiry is followed up within 1–3 days (回访): due after ``min_days``."""
    if o.direction != "inbound" or o.disposition in rule.skip_dispositions:
        return None
    return Wanted("inbound_followup", o.ended_at + timedelta(days=rule.min_days))


def follow_up_in_days(o: CallOutcome, rule: DaysRule, reason: str) -> Wanted:
    """Interested / strongly interested / after a sale: follow up after N days."""
    return Wanted(reason, o.ended_at + timedelta(days=rule.days))


def add_months(local: datetime, months: int) -> datetime:
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def refusal(o: CallOutcome, rule: RefusalRule, tz: ZoneInfo) -> Wanted:
    """A refusal: 下个月我再联系您. Same local day and time next month, and never sooner than
    ``min_days`` (so a refusal on 31 January is not re-contacted on 28 February's eve)."""
    local = o.ended_at.astimezone(tz)
    at = add_months(local, rule.months)
    floor = local + timedelta(days=rule.min_days)
    return Wanted("refusal", max(at, floor))


def appointment_confirmation(o: CallOutcome, rule: AppointmentRule, tz: ZoneInfo) -> Wanted | None:
    """An appointment or event: a confirmation call the day before, at the policy's hour."""
    appointment = o.appointment_at or o.callback_at
    if appointment is None:
        return None
    local = appointment.astimezone(tz)
    day_before = (local - timedelta(days=rule.days_before)).date()
    at = datetime.combine(day_before, rule.at, tzinfo=tz)
    return Wanted("appointment_confirmation", at, before=appointment)


# --- the dispatcher ------------------------------------------------------------------------


def decide(o: CallOutcome, history: LeadHistory, policy: CallbackPolicy, tz: ZoneInfo) -> Decision:
    """Which rule a finished call falls under, what it schedules, what it supersedes."""
    rules = policy.rules
    d = o.disposition
    answered = o.answered_at is not None
    if redial_after_drop(o, rules.dropped):
        wanted, new = dropped(o, history, rules.dropped)
        if wanted is None:  # redialled enough: fall back to the no-answer rhythm
            wanted, new = no_answer(o, replace(history, redials=0), rules.no_answer)
        return Decision(wanted, new, "automatic", "superseded", None if wanted else "no more attempts")
    fresh = replace(history, no_answer_attempts=0, cycle=1, redials=0) if answered else history
    if d in rules.no_answer.dispositions and not answered:
        wanted, new = no_answer(o, history, rules.no_answer)
        return Decision(wanted, new, "automatic", "superseded", None if wanted else "no answer: cycles exhausted")
    if d == "success":
        return Decision(follow_up_in_days(o, rules.sale, "after_sale"), replace(fresh, quiet_until=None), "all", "sold")
    if d in rules.refusal.dispositions:
        wanted = refusal(o, rules.refusal, tz)
        return Decision(wanted, replace(fresh, quiet_until=wanted.at), "all", "refused")
    if d == "complaint":
        return Decision(None, fresh, "all", "complaint", "complaint: no automatic callback")
    if d in ("invalid_number", "wrong_person"):
        return Decision(None, fresh, "automatic", d, f"{d}: nothing to schedule")
    if d == "callback":
        return Decision(not_convenient(o, rules.not_convenient), replace(fresh, quiet_until=None), "all", "superseded")
    if d == "appointment":
        wanted = appointment_confirmation(o, rules.appointment, tz)
        return Decision(
            wanted,
            replace(fresh, quiet_until=None),
            "all",
            "superseded",
            None if wanted else "appointment without a time",
        )
    inbound = inbound_followup(o, rules.inbound)
    if inbound is not None and d not in ("interested", "strong_interest"):
        return Decision(inbound, fresh, "automatic", "superseded")
    if d == "interested":
        return Decision(
            follow_up_in_days(o, rules.interested, "interested"),
            replace(fresh, quiet_until=None),
            "automatic",
            "superseded",
        )
    if d == "strong_interest":
        return Decision(
            follow_up_in_days(o, rules.strong_interest, "strong_interest"),
            replace(fresh, quiet_until=None),
            "automatic",
            "superseded",
        )
    if inbound is not None:
        return Decision(inbound, fresh, "automatic", "superseded")
    return Decision(None, fresh, note=f"disposition {d!r}: no rule schedules a callback")


@dataclass(frozen=True, slots=True)
class Placed:
    due_at: datetime
    adjustment: str | None


def place(wanted: Wanted, window: CallingWindow, tz: ZoneInfo, history: LeadHistory) -> Placed:
    """Fit a wanted time into the calling window (customer's local time).

    An agreed time is honoured exactly when allowed. A refusal's rest (``quiet_until``) holds
    automatic callbacks back. A confirmation that must precede an appointment is moved earlier
    rather than later when the day before is closed."""
    at = wanted.at
    notes: list[str] = []
    if not wanted.exact and history.quiet_until and at < history.quiet_until and wanted.reason != "refusal":
        at = history.quiet_until
        notes.append("after refusal: not before next month")
    placement = next_allowed(window, at, tz)
    if wanted.before is not None and placement.at >= _day_start(wanted.before, tz):
        earlier = previous_allowed(window, at, tz)
        placement = earlier
    if placement.reason:
        notes.append(placement.reason)
    return Placed(placement.at, "; ".join(notes) or None)


def _day_start(at: datetime, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def supersedes(cancel: Cancel, pending_reason: str) -> bool:
    if cancel == "all":
        return True
    if cancel == "automatic":
        return pending_reason not in AGREED_REASONS
    return False
