"""The compliance guard: the dials that must not happen, as pure rules.

The service gathers the facts (its own projection of the leads' events, the lead's and the
number's past dials, the campaign settings) into a ``DialFacts``; ``evaluate`` says which rules
refuse the dial. Every rule is checked, so a refusal names all its reasons; the first one (in
the order below: the most serious first) is the headline reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from common.timeutil import zone

from calls.domain.campaign import CampaignSettings
from calls.domain.window import check_window


class Reason(StrEnum):
    UNKNOWN_LEAD = "unknown_lead"
    DO_NOT_CALL_LEAD = "do_not_call_lead"
    DO_NOT_CALL_NUMBER = "do_not_call_number"
    UNKNOWN_NUMBER = "unknown_number"
    NUMBER_INVALID = "number_invalid"
    OWNED_BY_OTHER_AGENT = "owned_by_other_agent"
    OWNED_BY_OTHER_TEAM = "owned_by_other_team"
    PUBLIC_HOLIDAY = "public_holiday"
    NON_WORKING_DAY = "non_working_day"
    OUTSIDE_CALLING_WINDOW = "outside_calling_window"
    CAP_LEAD_DAY = "attempt_cap_lead_day"
    CAP_NUMBER_DAY = "attempt_cap_number_day"
    CAP_LEAD_24H = "attempt_cap_lead_rolling_24h"
    CAP_NUMBER_24H = "attempt_cap_number_rolling_24h"
    CAP_LEAD_LIFETIME = "attempt_cap_lead_lifetime"
    CAP_NUMBER_LIFETIME = "attempt_cap_number_lifetime"
    CALLER_CARRIER_FORBIDDEN = "caller_carrier_forbidden"


@dataclass(frozen=True, slots=True)
class DncEntry:
    """One do-not-call entry that matches the dial: on the whole lead or on the number."""

    scope: str  # "lead" | "number"
    until: datetime | None = None  # None: permanent
    reason: str | None = None
    source: str | None = None

    def active(self, now: datetime) -> bool:
        return self.until is None or now < self.until


@dataclass(frozen=True, slots=True)
class LeadFacts:
    """What the guard's own projection knows about the lead (from the leads events)."""

    lead_id: str
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    timezone: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class DialFacts:
    now: datetime
    agent_id: str
    team_id: str
    lead: LeadFacts | None  # None: the leads service never told us about this lead
    dnc: Sequence[DncEntry] = ()
    number_flagged_invalid: bool = False
    number_unknown: bool = False  # a number_id that is not one of the lead's numbers
    number_timezone: str | None = None
    number_country: str | None = None
    # When the lead's and the number's earlier outbound dials were placed.
    lead_attempts: Sequence[datetime] = ()
    number_attempts: Sequence[datetime] = ()
    caller_carrier: str | None = None  # libphonenumber's name for the caller number's range
    campaign_allowed_carriers: Sequence[str] = ()  # from the dial request's campaign


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    refusals: list[Refusal] = field(default_factory=list)
    local_time: datetime | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusals

    @property
    def reason(self) -> Reason | None:
        return self.refusals[0].reason if self.refusals else None

    @property
    def reasons(self) -> list[str]:
        return [r.reason.value for r in self.refusals]

    @property
    def detail(self) -> str | None:
        return "; ".join(r.detail for r in self.refusals) or None


def check_dnc(facts: DialFacts) -> list[Refusal]:
    out: list[Refusal] = []
    for scope, reason in (("lead", Reason.DO_NOT_CALL_LEAD), ("number", Reason.DO_NOT_CALL_NUMBER)):
        active = [e for e in facts.dnc if e.scope == scope and e.active(facts.now)]
        if active:
            entry = active[0]
            until = f" until {entry.until.isoformat()}" if entry.until else " permanently"
            out.append(Refusal(reason, f"{scope} on the do-not-call list{until} ({entry.source or 'unknown source'})"))
    return out


def check_ownership(facts: DialFacts, settings: CampaignSettings) -> list[Refusal]:
    if not settings.enforce_ownership or facts.lead is None:
        return []
    lead = facts.lead
    if lead.owner_agent_id and lead.owner_agent_id != facts.agent_id:
        return [Refusal(Reason.OWNED_BY_OTHER_AGENT, "the lead belongs to another agent")]
    if not lead.owner_agent_id and lead.owner_team_id and lead.owner_team_id != facts.team_id:
        return [Refusal(Reason.OWNED_BY_OTHER_TEAM, "the lead is in another team's pool")]
    return []


def count_attempts(
    attempts: Sequence[datetime], now: datetime, tz_name: str | None, settings: CampaignSettings
) -> tuple[int, int, int]:
    """(on the customer's calendar day of ``now``, in the 24 hours before ``now``, ever)."""
    tz = zone(tz_name, settings.default_timezone)
    today = now.astimezone(tz).date()
    since = now - timedelta(hours=24)
    day = sum(1 for a in attempts if a.astimezone(tz).date() == today)
    rolling = sum(1 for a in attempts if since < a <= now)
    return day, rolling, len(attempts)


def check_caps(facts: DialFacts, settings: CampaignSettings, tz_name: str | None) -> list[Refusal]:
    caps = settings.caps
    out: list[Refusal] = []
    lead_counts = count_attempts(facts.lead_attempts, facts.now, tz_name, settings)
    number_counts = count_attempts(facts.number_attempts, facts.now, tz_name, settings)
    table = (
        (Reason.CAP_LEAD_DAY, caps.lead_day, lead_counts[0], "the lead", "today"),
        (Reason.CAP_NUMBER_DAY, caps.number_day, number_counts[0], "the number", "today"),
        (Reason.CAP_LEAD_24H, caps.lead_rolling_24h, lead_counts[1], "the lead", "in 24 hours"),
        (Reason.CAP_NUMBER_24H, caps.number_rolling_24h, number_counts[1], "the number", "in 24 hours"),
        (Reason.CAP_LEAD_LIFETIME, caps.lead_lifetime, lead_counts[2], "the lead", "in total"),
        (Reason.CAP_NUMBER_LIFETIME, caps.number_lifetime, number_counts[2], "the number", "in total"),
    )
    for reason, cap, count, what, span in table:
        if cap is not None and count >= cap:
            out.append(Refusal(reason, f"{what} was dialled {count} times {span} (cap {cap})"))
    return out


def check_carrier(facts: DialFacts, settings: CampaignSettings) -> list[Refusal]:
    allowed = settings.allowed_caller_carriers
    if allowed is None:
        allowed = list(facts.campaign_allowed_carriers)
    carrier = facts.caller_carrier or None
    if carrier and carrier in settings.forbidden_caller_carriers:
        return [Refusal(Reason.CALLER_CARRIER_FORBIDDEN, f"caller number on {carrier}, forbidden by the campaign")]
    if allowed and carrier not in allowed:
        shown = carrier or "an unknown carrier"
        return [
            Refusal(
                Reason.CALLER_CARRIER_FORBIDDEN,
                f"caller number on {shown}; the campaign allows {', '.join(allowed)}",
            )
        ]
    return []


def customer_timezone(facts: DialFacts) -> str | None:
    """The lead's own time zone first (the leads service keeps it), then the number's."""
    return (facts.lead.timezone if facts.lead else None) or facts.number_timezone


def evaluate(facts: DialFacts, settings: CampaignSettings) -> Verdict:
    """Every rule, most serious first."""
    refusals: list[Refusal] = []
    if facts.lead is None and settings.refuse_unknown_leads:
        refusals.append(Refusal(Reason.UNKNOWN_LEAD, "the leads service has not published this lead"))
    refusals += check_dnc(facts)
    if facts.number_unknown and facts.lead is not None:
        refusals.append(Refusal(Reason.UNKNOWN_NUMBER, "the number id is not one of the lead's numbers"))
    if facts.number_flagged_invalid:
        refusals.append(Refusal(Reason.NUMBER_INVALID, "the number is flagged invalid"))
    refusals += check_ownership(facts, settings)
    tz_name = customer_timezone(facts)
    country = facts.number_country or (facts.lead.country if facts.lead else None)
    window = check_window(facts.now, settings, timezone=tz_name, country=country)
    if not window.allowed:
        # A refused window always names its reason; were one ever missing, the dial is still refused.
        refusals.append(Refusal(Reason(window.reason or Reason.OUTSIDE_CALLING_WINDOW), window.detail or ""))
    refusals += check_caps(facts, settings, tz_name)
    refusals += check_carrier(facts, settings)
    return Verdict(refusals, window.local_time)
