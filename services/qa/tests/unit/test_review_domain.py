"""The review decision (confirm / dismiss) as a pure function, table-tested."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from common.events.qa import (
    FineAssessed,
    ReworkCallbackRequested,
    SaleVoided,
    ViolationConfirmed,
    ViolationDismissed,
)
from qa.domain.highlight import highlight
from qa.domain.ids import violation_id
from qa.domain.review import ReviewError, ViolationState, decide_review

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
BASE = ViolationState(
    violation_id="v-1",
    call_id="c-1",
    rule="QA-05",
    status="open",
    agent_id="a-1",
    team_id="t-1",
    supervisor_id="s-1",
    campaign_id="cm-1",
    lead_id="l-1",
    fine_agent=200,
    fine_supervisor=100,
    penalty="坐席扣款200元并书面警告;主管扣款100元",
    call_day=date(2026, 11, 20),
)


def kinds(state: ViolationState, action: str = "confirm", comment: str | None = "ok") -> list[str]:
    d = decide_review(state, action, reviewer="qa-7", comment=comment, now=NOW)  # type: ignore[arg-type]
    return [e.event_type for e, _ in d.events]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (BASE, ["ViolationConfirmed", "FineAssessed", "FineAssessed"]),
        (replace(BASE, fine_supervisor=0), ["ViolationConfirmed", "FineAssessed"]),
        (replace(BASE, supervisor_id=None), ["ViolationConfirmed", "FineAssessed"]),
        (replace(BASE, rule="QA-09", fine_agent=0, fine_supervisor=0), ["ViolationConfirmed"]),
        (
            replace(BASE, complaint_id="cp-1", complaint_deduction=100),
            ["ViolationConfirmed", "FineAssessed", "FineAssessed", "FineAssessed"],
        ),
        (
            replace(BASE, rule="QA-11", fine_agent=0, fine_supervisor=0, voids_sale=True, sale_recorded=True),
            ["ViolationConfirmed", "SaleVoided", "ReworkCallbackRequested"],
        ),
        (
            replace(BASE, rule="QA-12", fine_agent=0, fine_supervisor=0, voids_sale=True, sale_recorded=False),
            ["ViolationConfirmed"],
        ),  # nothing was sold: nothing to void
        (
            replace(
                BASE, rule="QA-11", fine_agent=0, fine_supervisor=0, voids_sale=True, sale_recorded=True, lead_id=None
            ),
            ["ViolationConfirmed", "SaleVoided"],
        ),
    ],
)
def test_confirm(state: ViolationState, expected: list[str]) -> None:
    assert kinds(state) == expected


def test_fines_name_their_payees_and_amounts() -> None:
    d = decide_review(
        replace(BASE, complaint_id="cp-1", complaint_deduction=200), "confirm", reviewer="qa-7", comment=None, now=NOW
    )
    fines = [e for e, _ in d.events if isinstance(e, FineAssessed)]
    assert [(f.payee, f.payee_id, f.amount, f.kind) for f in fines] == [
        ("agent", "a-1", 200, "fine"),
        ("supervisor", "s-1", 100, "fine"),
        ("team", "t-1", 200, "complaint_deduction"),
    ]
    assert len({f.fine_id for f in fines}) == 3
    confirmed = d.events[0][0]
    assert isinstance(confirmed, ViolationConfirmed) and confirmed.reviewer == "qa-7"


def test_dismiss_carries_no_fine_and_needs_a_comment() -> None:
    d = decide_review(BASE, "dismiss", reviewer="qa-7", comment="customer joking", now=NOW)
    assert d.status == "dismissed"
    assert [type(e) for e, _ in d.events] == [ViolationDismissed]
    with pytest.raises(ReviewError) as err:
        decide_review(BASE, "dismiss", reviewer="qa-7", comment="  ", now=NOW)
    assert (err.value.status, err.value.field) == (422, "comment")


@pytest.mark.parametrize(
    ("status", "reviewer", "action", "outcome"),
    [
        ("confirmed", "qa-7", "confirm", "noop"),  # a retried request
        ("confirmed", "qa-8", "confirm", 409),
        ("confirmed", "qa-7", "dismiss", 409),
        ("dismissed", "qa-7", "dismiss", "noop"),
        ("dismissed", "qa-7", "confirm", 409),
    ],
)
def test_reviewed_findings(status: str, reviewer: str, action: str, outcome: object) -> None:
    state = replace(BASE, status=status, reviewer="qa-7")  # type: ignore[arg-type]
    if outcome == "noop":
        assert decide_review(state, action, reviewer=reviewer, comment="x", now=NOW).events == []  # type: ignore[arg-type]
    else:
        with pytest.raises(ReviewError) as err:
            decide_review(state, action, reviewer=reviewer, comment="x", now=NOW)  # type: ignore[arg-type]
        assert (err.value.status, err.value.field) == (outcome, "status")


def test_reviewer_required() -> None:
    with pytest.raises(ReviewError) as err:
        decide_review(BASE, "confirm", reviewer=" ", comment=None, now=NOW)
    assert (err.value.status, err.value.field) == (422, "reviewer")


def test_event_ids_are_deterministic() -> None:
    state = replace(BASE, rule="QA-11", voids_sale=True, sale_recorded=True)
    a = decide_review(state, "confirm", reviewer="qa-7", comment=None, now=NOW)
    b = decide_review(state, "confirm", reviewer="qa-7", comment=None, now=datetime(2027, 1, 1, tzinfo=UTC))
    assert [i for _, i in a.events] == [i for _, i in b.events]
    assert len({i for _, i in a.events}) == len(a.events)
    voided = [e for e, _ in a.events if isinstance(e, SaleVoided | ReworkCallbackRequested)]
    assert {e.call_id for e in voided} == {"c-1"}


def test_violation_id_from_call_rule_turn_and_policy_version() -> None:
    assert violation_id("c-1", "QA-01", 4, "v1") == violation_id("c-1", "QA-01", 4, "v1")
    ids = {
        violation_id("c-1", "QA-01", 4, "v1"),
        violation_id("c-1", "QA-01", 5, "v1"),
        violation_id("c-1", "QA-07", 4, "v1"),
        violation_id("c-2", "QA-01", 4, "v1"),
        violation_id("c-1", "QA-01", 4, "v2"),
        violation_id("c-1", "QA-13", None, "v1"),
    }
    assert len(ids) == 6


@pytest.mark.parametrize(
    ("text", "span", "marked"),
    [
        ("张伟,您周末要是加班", (0, 2), "【张伟】,您周末要是加班"),
        ("你什么意思", (0, 5), "【你什么意思】"),
        ("abc", None, "abc"),
        ("abc", (2, 9), "abc"),  # a span outside the text is ignored
    ],
)
def test_highlight(text: str, span: tuple[int, int] | None, marked: str) -> None:
    assert highlight(text, *(span or (None, None))) == marked
