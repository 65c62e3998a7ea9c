"""Every callback rule on its own, then the dispatcher and the placement (table tests)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from scheduling.domain.policy import (
    AppointmentRule,
    DaysRule,
    DroppedRule,
    InboundRule,
    NoAnswerRule,
    NotConvenientRule,
    RefusalRule,
    deep_merge,
    load_document,
    resolve,
)
from scheduling.domain.rules import (
    CallOutcome,
    LeadHistory,
    Wanted,
    add_months,
    appointment_confirmation,
    decide,
    dropped,
    follow_up_in_days,
    inbound_followup,
    no_answer,
    not_convenient,
    place,
    redial_after_drop,
    refusal,
    spread,
    supersedes,
)
from scheduling.domain.windows import CallingWindow

SH = ZoneInfo("Asia/Shanghai")
ENDED = datetime(2026, 11, 18, 10, 0, tzinfo=SH)  # a Wednesday
POLICY = resolve(load_document(), None)


def outcome(disposition: str, **kw: object) -> CallOutcome:
    base: dict[str, object] = {
        "call_id": "c-1",
        "lead_id": "l-1",
        "direction": "outbound",
        "disposition": disposition,
        "placed_at": ENDED - timedelta(minutes=3),
        "answered_at": ENDED - timedelta(minutes=2),
        "ended_at": ENDED,
    }
    base.update(kw)
    return CallOutcome(**base)  # type: ignore[arg-type]


def unanswered(disposition: str = "no_answer", **kw: object) -> CallOutcome:
    return outcome(disposition, answered_at=None, **kw)


# --- not convenient ----------------------------------------------------------------------


def test_not_convenient_uses_the_agreed_time_exactly() -> None:
    agreed = datetime(2026, 11, 18, 15, 0, tzinfo=SH)
    wanted = not_convenient(outcome("callback", callback_at=agreed), NotConvenientRule())
    assert (wanted.reason, wanted.at, wanted.exact) == ("callback", agreed, True)


def test_not_convenient_without_a_time_is_not_forgotten() -> None:
    wanted = not_convenient(outcome("callback"), NotConvenientRule(missing_time_fallback_minutes=60))
    assert (wanted.at, wanted.exact) == (ENDED + timedelta(hours=1), False)


# --- no answer ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "cycle", "expect_attempt", "expect_cycle", "min_delay", "max_delay", "after"),
    [
        (0, 1, 2, 1, timedelta(minutes=3), timedelta(minutes=5), (1, 1)),  # 1st no-answer → 2nd try
        (1, 1, 3, 1, timedelta(minutes=3), timedelta(minutes=5), (2, 1)),  # 2nd → 3rd try
        (2, 1, 1, 2, timedelta(hours=27), timedelta(hours=31), (0, 2)),  # 3rd → next cycle
        (2, 4, 1, 5, timedelta(hours=27), timedelta(hours=31), (0, 5)),
    ],
)
def test_no_answer_cycle(
    attempts: int,
    cycle: int,
    expect_attempt: int,
    expect_cycle: int,
    min_delay: timedelta,
    max_delay: timedelta,
    after: tuple[int, int],
) -> None:
    history = LeadHistory(no_answer_attempts=attempts, cycle=cycle)
    wanted, new = no_answer(unanswered(), history, NoAnswerRule())
    assert wanted is not None
    assert (wanted.attempt, wanted.cycle) == (expect_attempt, expect_cycle)
    assert min_delay <= wanted.at - ENDED <= max_delay
    assert (new.no_answer_attempts, new.cycle) == after


def test_no_answer_gives_up_after_the_last_cycle() -> None:
    wanted, new = no_answer(unanswered(), LeadHistory(no_answer_attempts=2, cycle=5), NoAnswerRule(max_cycles=5))
    assert wanted is None and new.no_answer_attempts == 3


def test_no_answer_cycles_are_spread_over_the_day() -> None:
    """27–31 h rather than 24 h: successive cycles try the customer at different hours."""
    hours = set()
    for lead in range(50):
        o = unanswered(lead_id=f"l-{lead}")
        wanted, _ = no_answer(o, LeadHistory(no_answer_attempts=2), NoAnswerRule())
        assert wanted is not None
        hours.add(round((wanted.at - ENDED).total_seconds() / 3600))
    assert hours >= {27, 28, 29, 30, 31} - {27, 31} and len(hours) >= 3
    assert all(27 <= h <= 31 for h in hours)


def test_spread_is_stable_and_in_range() -> None:
    assert spread("x", 3, 5) == spread("x", 3, 5)
    values = [spread(str(i), 3, 5) for i in range(200)]
    assert all(3 <= v <= 5 for v in values) and max(values) - min(values) > 1.5
    assert spread("x", 4, 4) == 4


# --- dropped call -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "dropped_", "expected"),
    [
        ("interested", True, True),  # the calls service's verdict (CallEnded.dropped) decides
        ("no_answer", True, True),
        ("interested", False, False),
        ("success", True, False),  # outcomes that stand whatever the line did next
        ("callback", True, False),
        ("refused", True, False),
    ],
)
def test_the_dropped_call_rule_follows_the_calls_services_verdict(
    disposition: str, dropped_: bool, expected: bool
) -> None:
    assert redial_after_drop(outcome(disposition, dropped=dropped_), DroppedRule()) is expected


def test_dropped_call_is_redialled_at_once_then_falls_back() -> None:
    o = outcome("interested", dropped=True)
    wanted, new = dropped(o, LeadHistory(), DroppedRule(max_redials=2))
    assert wanted is not None and wanted.at == ENDED and wanted.reason == "dropped" and new.redials == 1
    assert dropped(o, LeadHistory(redials=2), DroppedRule(max_redials=2))[0] is None
    # Through the dispatcher: after two redials the no-answer rhythm takes over.
    decision = decide(o, LeadHistory(redials=2), POLICY, SH)
    assert decision.wanted is not None and decision.wanted.reason == "no_answer"


# --- inbound, interest, refusal, appointment, sale ----------------------------------------


@pytest.mark.parametrize(
    ("direction", "disposition", "expected_days"),
    [
        ("inbound", "wrong_person", None),
        ("inbound", "complaint", None),
        ("inbound", "success", None),
        ("inbound", "no_answer", 1),
        ("inbound", "interested", 1),
        ("outbound", "interested", None),
    ],
)
def test_inbound_followup(direction: str, disposition: str, expected_days: int | None) -> None:
    wanted = inbound_followup(outcome(disposition, direction=direction), InboundRule(min_days=1, max_days=3))
    if expected_days is None:
        assert wanted is None
    else:
        assert wanted is not None and wanted.at == ENDED + timedelta(days=expected_days)


@pytest.mark.parametrize(("reason", "days"), [("interested", 3), ("strong_interest", 1), ("after_sale", 7)])
def test_follow_up_in_days(reason: str, days: int) -> None:
    wanted = follow_up_in_days(outcome("x"), DaysRule(days=days), reason)
    assert (wanted.reason, wanted.at) == (reason, ENDED + timedelta(days=days))


@pytest.mark.parametrize(
    ("ended", "expected"),
    [
        (datetime(2026, 11, 18, 10, 0, tzinfo=SH), datetime(2026, 12, 18, 10, 0, tzinfo=SH)),
        (datetime(2026, 1, 31, 10, 0, tzinfo=SH), datetime(2026, 2, 28, 10, 0, tzinfo=SH)),  # 28 days ok
        (datetime(2026, 12, 15, 16, 0, tzinfo=SH), datetime(2027, 1, 15, 16, 0, tzinfo=SH)),
        (datetime(2027, 1, 31, 10, 0, tzinfo=SH), datetime(2027, 2, 28, 10, 0, tzinfo=SH)),
    ],
)
def test_refusal_next_month(ended: datetime, expected: datetime) -> None:
    wanted = refusal(outcome("refused", ended_at=ended), RefusalRule(), SH)
    assert wanted.at == expected


def test_refusal_never_sooner_than_min_days() -> None:
    ended = datetime(2026, 1, 31, 10, 0, tzinfo=SH)
    wanted = refusal(outcome("refused", ended_at=ended), RefusalRule(min_days=30), SH)
    assert wanted.at == ended + timedelta(days=30)


def test_add_months_clamps_the_day() -> None:
    assert add_months(datetime(2028, 1, 31), 1) == datetime(2028, 2, 29)
    assert add_months(datetime(2026, 11, 30), 3) == datetime(2027, 2, 28)


def test_appointment_confirmation_the_day_before() -> None:
    appointment = datetime(2026, 11, 20, 14, 0, tzinfo=SH)
    wanted = appointment_confirmation(
        outcome("appointment", appointment_at=appointment), AppointmentRule(at=time(10)), SH
    )
    assert wanted is not None
    assert wanted.at == datetime(2026, 11, 19, 10, 0, tzinfo=SH) and wanted.before == appointment
    # No time given: callback_at is read as the appointment time; none at all: nothing to book.
    assert appointment_confirmation(outcome("appointment", callback_at=appointment), AppointmentRule(), SH)
    assert appointment_confirmation(outcome("appointment"), AppointmentRule(), SH) is None


def test_appointment_on_monday_is_confirmed_on_friday() -> None:
    appointment = datetime(2026, 11, 23, 14, 0, tzinfo=SH)  # Monday
    decision = decide(outcome("appointment", appointment_at=appointment), LeadHistory(), POLICY, SH)
    assert decision.wanted is not None
    placed = place(decision.wanted, CallingWindow(), SH, decision.history)
    assert placed.due_at == datetime(2026, 11, 20, 17, 59, tzinfo=SH)
    assert placed.adjustment == "weekend (sun)"


# --- dispatcher ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("o", "reason", "cancel", "cancel_reason"),
    [
        (outcome("callback", callback_at=ENDED + timedelta(hours=5)), "callback", "all", "superseded"),
        (unanswered(), "no_answer", "automatic", "superseded"),
        (unanswered("busy"), "no_answer", "automatic", "superseded"),
        (outcome("interested", dropped=True), "dropped", "automatic", "superseded"),
        (outcome("wrong_person", direction="inbound"), None, "automatic", "wrong_person"),
        (outcome("no_interest", direction="inbound"), "refusal", "all", "refused"),
        (outcome("interested"), "interested", "automatic", "superseded"),
        (outcome("strong_interest"), "strong_interest", "automatic", "superseded"),
        (outcome("refused"), "refusal", "all", "refused"),
        (
            outcome("appointment", appointment_at=ENDED + timedelta(days=3)),
            "appointment_confirmation",
            "all",
            "superseded",
        ),
        (outcome("success"), "after_sale", "all", "sold"),
        (outcome("complaint"), None, "all", "complaint"),
        (outcome("invalid_number", answered_at=None), None, "automatic", "invalid_number"),
        (outcome("something_new"), None, "none", None),
        (outcome("something_new", direction="inbound"), "inbound_followup", "automatic", "superseded"),
    ],
)
def test_decide(o: CallOutcome, reason: str | None, cancel: str, cancel_reason: str | None) -> None:
    decision = decide(o, LeadHistory(), POLICY, SH)
    assert (decision.wanted.reason if decision.wanted else None) == reason
    assert (decision.cancel, decision.cancel_reason) == (cancel, cancel_reason)


def test_an_answered_call_starts_a_fresh_no_answer_cycle() -> None:
    decision = decide(outcome("interested"), LeadHistory(no_answer_attempts=2, cycle=3, redials=1), POLICY, SH)
    assert (decision.history.no_answer_attempts, decision.history.cycle, decision.history.redials) == (
        0,
        1,
        0,
    )


def test_refusal_holds_automatic_callbacks_until_next_month() -> None:
    refused = decide(outcome("refused"), LeadHistory(), POLICY, SH)
    assert refused.wanted is not None and refused.history.quiet_until == refused.wanted.at
    # The customer does not answer a later (e.g. inbound-triggered) dial: the retry waits.
    later = decide(unanswered(ended_at=ENDED + timedelta(days=2)), refused.history, POLICY, SH)
    assert later.wanted is not None
    placed = place(later.wanted, CallingWindow(), SH, later.history)
    assert placed.due_at >= refused.wanted.at
    assert placed.adjustment is not None and "after refusal" in placed.adjustment
    # …but an agreed time is the customer's own wish.
    agreed = datetime(2026, 11, 25, 15, 0, tzinfo=SH)
    wish = Wanted("callback", agreed, exact=True)
    assert place(wish, CallingWindow(), SH, refused.history).due_at == agreed


@pytest.mark.parametrize(
    ("wanted_at", "exact", "due", "adjustment"),
    [
        (datetime(2026, 11, 18, 15, 0, tzinfo=SH), True, datetime(2026, 11, 18, 15, 0, tzinfo=SH), None),
        (
            datetime(2026, 11, 18, 12, 30, tzinfo=SH),
            True,
            datetime(2026, 11, 18, 13, 0, tzinfo=SH),
            "break (lunch or rest)",
        ),
        (
            datetime(2026, 11, 18, 20, 0, tzinfo=SH),
            True,
            datetime(2026, 11, 19, 9, 0, tzinfo=SH),
            "after calling hours",
        ),
    ],
)
def test_place_agreed_times(wanted_at: datetime, exact: bool, due: datetime, adjustment: str | None) -> None:
    placed = place(Wanted("callback", wanted_at, exact=exact), CallingWindow(), SH, LeadHistory())
    assert (placed.due_at, placed.adjustment) == (due, adjustment)


@pytest.mark.parametrize(
    ("cancel", "pending", "expected"),
    [
        ("all", "callback", True),
        ("automatic", "callback", False),
        ("automatic", "appointment_confirmation", False),
        ("automatic", "no_answer", True),
        ("automatic", "interested", True),
        ("none", "no_answer", False),
    ],
)
def test_supersedes(cancel: str, pending: str, expected: bool) -> None:
    assert supersedes(cancel, pending) is expected  # type: ignore[arg-type]


# --- policy as data -----------------------------------------------------------------------


def test_policy_file_and_overrides() -> None:
    doc = load_document()
    default = resolve(doc, "any")
    assert default.version == doc.version
    assert default.rules.no_answer.max_attempts_per_cycle == 3
    doc.campaigns["vip"] = {"rules": {"sale": {"days": 14}}}
    vip = resolve(doc, "vip", {"rules": {"interested": {"days": 2}}}, 3)
    assert (vip.rules.sale.days, vip.rules.interested.days, vip.rules.strong_interest.days) == (14, 2, 1)
    assert vip.version == f"{doc.version}+vip.3"
    with pytest.raises(ValueError):
        resolve(doc, "x", {"rules": {"no_answer": {"retry_min_minutes": 9, "retry_max_minutes": 3}}})
    with pytest.raises(ValueError):
        resolve(doc, "x", {"rules": {"no_such_rule": {}}})


def test_deep_merge() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3}, "d": 4}) == {"a": {"b": 1, "c": 3}, "d": 4}


def test_decision_is_pure() -> None:
    o = unanswered()
    h = LeadHistory(no_answer_attempts=1)
    assert decide(o, h, POLICY, SH) == decide(o, replace(h), POLICY, SH)
