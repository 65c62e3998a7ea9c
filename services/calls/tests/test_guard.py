"""The guard's rules as a table: do-not-call, ownership, window, attempt caps, carriers."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calls.domain.campaign import AttemptCaps, CampaignSettings
from calls.domain.guard import DialFacts, DncEntry, LeadFacts, count_attempts, evaluate

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 30, tzinfo=SH)  # a Friday morning in Shanghai
LEAD = LeadFacts("l-1", owner_agent_id="a-1", owner_team_id="t-1", timezone="Asia/Shanghai", country="CN")
BASE = DialFacts(now=NOW, agent_id="a-1", team_id="t-1", lead=LEAD, caller_carrier="China Mobile")
DEFAULT = CampaignSettings()


def at(h: int, mi: int = 0, day: int = 20) -> datetime:
    return datetime(2026, 11, day, h, mi, tzinfo=SH)


CASES: list[tuple[str, DialFacts, CampaignSettings, list[str]]] = [
    ("clean dial", BASE, DEFAULT, []),
    ("unknown lead", replace(BASE, lead=None), DEFAULT, ["unknown_lead"]),
    (
        "unknown lead allowed by the campaign",
        replace(BASE, lead=None),
        CampaignSettings(refuse_unknown_leads=False),
        [],
    ),
    ("lead opted out for good", replace(BASE, dnc=[DncEntry("lead")]), DEFAULT, ["do_not_call_lead"]),
    (
        "number opted out",
        replace(BASE, dnc=[DncEntry("number", source="regulator_list")]),
        DEFAULT,
        ["do_not_call_number"],
    ),
    (
        "rest period still running",
        replace(BASE, dnc=[DncEntry("lead", until=NOW + timedelta(days=3))]),
        DEFAULT,
        ["do_not_call_lead"],
    ),
    (
        "rest period over",
        replace(BASE, dnc=[DncEntry("lead", until=NOW - timedelta(seconds=1))]),
        DEFAULT,
        [],
    ),
    ("rest period ends exactly now", replace(BASE, dnc=[DncEntry("lead", until=NOW)]), DEFAULT, []),
    ("number flagged invalid", replace(BASE, number_flagged_invalid=True), DEFAULT, ["number_invalid"]),
    ("number id not of the lead", replace(BASE, number_unknown=True), DEFAULT, ["unknown_number"]),
    ("owned by another agent", replace(BASE, agent_id="a-2"), DEFAULT, ["owned_by_other_agent"]),
    ("ownership not enforced", replace(BASE, agent_id="a-2"), CampaignSettings(enforce_ownership=False), []),
    (
        "team pool, same team",
        replace(BASE, agent_id="a-2", lead=replace(LEAD, owner_agent_id=None)),
        DEFAULT,
        [],
    ),
    (
        "team pool, other team",
        replace(BASE, agent_id="a-2", team_id="t-9", lead=replace(LEAD, owner_agent_id=None)),
        DEFAULT,
        ["owned_by_other_team"],
    ),
    (
        "nobody owns it",
        replace(BASE, agent_id="a-2", team_id="t-9", lead=replace(LEAD, owner_agent_id=None, owner_team_id=None)),
        DEFAULT,
        [],
    ),
    ("lunch break", replace(BASE, now=at(12, 0)), DEFAULT, ["outside_calling_window"]),
    ("just before lunch", replace(BASE, now=at(11, 59)), DEFAULT, []),
    ("right after lunch", replace(BASE, now=at(13, 0)), DEFAULT, []),
    ("weekend", replace(BASE, now=at(10, 0, day=21)), DEFAULT, ["non_working_day"]),
    (
        "customer in New York at night",
        replace(BASE, lead=replace(LEAD, timezone="America/New_York", country="US")),
        DEFAULT,
        ["outside_calling_window"],
    ),
    (
        "number's zone when the lead has none",
        replace(BASE, lead=replace(LEAD, timezone=None), number_timezone="America/New_York", number_country="US"),
        DEFAULT,
        ["outside_calling_window"],
    ),
    (
        "two dials today",
        replace(BASE, lead_attempts=[at(9, 5), at(9, 40)], number_attempts=[at(9, 5), at(9, 40)]),
        DEFAULT,
        [],
    ),
    (
        "three dials today",
        replace(BASE, lead_attempts=[at(9, 5), at(9, 40), at(10, 0)]),
        DEFAULT,
        ["attempt_cap_lead_day", "attempt_cap_lead_rolling_24h"],
    ),
    (
        "three dials of the number today (on other leads too)",
        replace(BASE, number_attempts=[at(9, 5), at(9, 40), at(10, 0)]),
        DEFAULT,
        ["attempt_cap_number_day", "attempt_cap_number_rolling_24h"],
    ),
    (
        "three dials yesterday afternoon: a new day, but not 24 hours",
        replace(BASE, lead_attempts=[at(15, 0, day=19), at(16, 0, day=19), at(17, 0, day=19)]),
        DEFAULT,
        ["attempt_cap_lead_rolling_24h"],
    ),
    (
        "three dials yesterday, only the day counts",
        replace(BASE, lead_attempts=[at(15, 0, day=19), at(16, 0, day=19), at(17, 0, day=19)]),
        CampaignSettings(caps=AttemptCaps(lead_rolling_24h=None)),
        [],
    ),
    ("three dials two days ago", replace(BASE, lead_attempts=[at(15, 0, day=18)] * 3), DEFAULT, []),
    (
        "lifetime cap",
        replace(BASE, lead_attempts=[at(10, 0, day=d) for d in range(1, 11)]),
        CampaignSettings(caps=AttemptCaps(lead_lifetime=10)),
        ["attempt_cap_lead_lifetime"],
    ),
    (
        "number lifetime cap",
        replace(BASE, number_attempts=[at(10, 0, day=d) for d in range(1, 6)]),
        CampaignSettings(caps=AttemptCaps(number_lifetime=5)),
        ["attempt_cap_number_lifetime"],
    ),
    (
        "a cap of 5 a day",
        replace(BASE, lead_attempts=[at(9, i) for i in range(4)]),
        CampaignSettings(caps=AttemptCaps(lead_day=5, lead_rolling_24h=5)),
        [],
    ),
    (
        "caller carrier allowed by the request's campaign",
        replace(BASE, campaign_allowed_carriers=["China Mobile"]),
        DEFAULT,
        [],
    ),
    (
        "caller carrier not allowed (异网号码)",
        replace(BASE, caller_carrier="China Unicom", campaign_allowed_carriers=["China Mobile"]),
        DEFAULT,
        ["caller_carrier_forbidden"],
    ),
    (
        "caller carrier unknown where carriers are restricted",
        replace(BASE, caller_carrier=None, campaign_allowed_carriers=["China Mobile"]),
        DEFAULT,
        ["caller_carrier_forbidden"],
    ),
    (
        "campaign settings override the request's list",
        replace(BASE, caller_carrier="China Unicom", campaign_allowed_carriers=["China Mobile"]),
        CampaignSettings(allowed_caller_carriers=["China Unicom", "China Mobile"]),
        [],
    ),
    (
        "forbidden carrier",
        replace(BASE, caller_carrier="China Telecom"),
        CampaignSettings(forbidden_caller_carriers=["China Telecom"]),
        ["caller_carrier_forbidden"],
    ),
    (
        "several rules at once, most serious first",
        replace(BASE, agent_id="a-2", now=at(12, 30), dnc=[DncEntry("lead")]),
        DEFAULT,
        ["do_not_call_lead", "owned_by_other_agent", "outside_calling_window"],
    ),
]


@pytest.mark.parametrize(("facts", "settings", "reasons"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_guard(facts: DialFacts, settings: CampaignSettings, reasons: list[str]) -> None:
    verdict = evaluate(facts, settings)
    assert verdict.reasons == reasons
    assert verdict.allowed is (not reasons)
    if reasons:
        assert verdict.reason == reasons[0] and verdict.detail


def test_day_is_the_customers_calendar_day() -> None:
    # 23:30 on the 19th in New York is 12:30 on the 20th in Shanghai: not the same customer day
    # as 09:00 New York time on the 20th.
    ny = ZoneInfo("America/New_York")
    now = datetime(2026, 11, 20, 9, 0, tzinfo=ny)
    attempts = [datetime(2026, 11, 19, 23, 30, tzinfo=ny), datetime(2026, 11, 20, 8, 0, tzinfo=ny)]
    day, rolling, total = count_attempts(attempts, now, "America/New_York", DEFAULT)
    assert (day, rolling, total) == (1, 2, 2)
    day_in_shanghai, _, _ = count_attempts(attempts, now, "Asia/Shanghai", DEFAULT)
    assert day_in_shanghai == 2
