"""Helpers for the QA rule-checker tests: build small call records by hand."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from qa.rules import CallRecord, Policy, check_call, load_policy

TurnSpec = tuple[str, str] | tuple[str, float]


def make_call(turns: list[TurnSpec], **overrides: Any) -> CallRecord:
    """A clean-by-default outbound call; turns are ("a"|"c", text) or ("hold", seconds)."""
    out: list[dict[str, Any]] = []
    t = 0.5
    for kind, value in turns:
        if kind == "hold":
            dur = float(value)
            out.append({"hold": True, "start_s": t, "end_s": t + dur})
            t += dur + 0.5
        else:
            text = str(value)
            d = max(1.0, len(text) * 0.2)
            out.append(
                {
                    "speaker": "agent" if kind == "a" else "customer",
                    "start_s": t,
                    "end_s": t + d,
                    "text": text,
                }
            )
            t += d + 0.5
    campaign = {
        "id": "cm-test",
        "brand": "中国移动",
        "authorized_brands": ["中国移动"],
        "allowed_caller_carriers": ["China Mobile"],
        "price_on_phone": True,
    }
    campaign.update(overrides.pop("campaign", {}))
    lead = {"id": "l-1", "name": "王建国", "phone": "+8613812345678", "birth_year": 1985}
    lead.update(overrides.pop("lead", {}))
    record: dict[str, Any] = {
        "call_id": "c-test",
        "direction": "outbound",
        "campaign": campaign,
        "agent": {"id": "a-1", "team": "t-1", "supervisor": "s-1"},
        "lead": lead,
        "caller_number": "+8613900001111",
        "placed_at": "2026-11-20T10:03:00+08:00",
        "answered_at": "2026-11-20T10:03:12+08:00",
        "ended_at": "2026-11-20T10:06:40+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "interested",
        "callback_at": None,
        "turns": out,
    }
    record.update(overrides)
    return CallRecord.model_validate(record)


MakeCall = Callable[..., CallRecord]


@pytest.fixture(scope="session")
def mk() -> MakeCall:
    return make_call


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def rules_of(policy: Policy) -> Callable[[CallRecord], set[str]]:
    def run(call: CallRecord) -> set[str]:
        return {f.rule for f in check_call(call, policy)}

    return run


# A detector case: (name, turns, make_call overrides, rule, whether the rule is expected to fire).
DetectorCase = tuple[str, list[Any], dict[str, Any], str, bool]


@pytest.fixture(scope="session")
def check_case(rules_of: Callable[[CallRecord], set[str]]) -> Callable[[DetectorCase], None]:
    """The one assertion of the case tables (detectors, and each round's kinds): the call built
    from the case's turns and overrides raises its rule, or does not."""

    def check(case: DetectorCase) -> None:
        name, turns, overrides, rule, expected = case
        call = make_call(turns, **dict(overrides))
        assert (rule in rules_of(call)) is expected, f"{name}: {rule} expected={expected}"

    return check
