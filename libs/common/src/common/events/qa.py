"""Events owned by the QA service (stream ``QA``).

Subjects: ``tm.qa.<violation id>.<EventType>`` for a finding's life (found, confirmed or
dismissed, fines), ``tm.qa.<call id>.<EventType>`` for what concerns the call as a whole
(sampled for review, sale voided, rework callback), ``tm.qa.<complaint id>.ComplaintFiled``.

Every id is deterministic (``common.envelope.deterministic_event_id``): a violation id from the
call, the rule, the turn and the policy version, so a re-check never publishes a finding twice.
Fields added after the first version are optional.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from common.events.base import DomainEvent, register

FindingSource = Literal["auto", "complaint"]
Payee = Literal["agent", "supervisor", "team"]


@register
class ViolationFound(DomainEvent):
    """An automatic finding (or one a complaint opened): pending review, no fine yet."""

    owner = "qa"
    violation_id: str
    call_id: str
    rule: str
    severity: str
    agent_id: str
    team_id: str | None = None
    supervisor_id: str | None = None
    campaign_id: str | None = None
    fine_agent: int = 0
    fine_supervisor: int = 0
    turn: int | None = None
    evidence: str | None = None
    reason: str | None = None
    policy_version: str | None = None
    # Added by the QA service (optional).
    lead_id: str | None = None
    title: str | None = None
    penalty: str | None = None
    span_start: int | None = None  # characters of the turn's text the evidence covers
    span_end: int | None = None
    source: FindingSource = "auto"
    complaint_id: str | None = None
    call_day: date | None = None  # the call's day in the policy's timezone
    found_at: datetime | None = None

    def aggregate_id(self) -> str:
        return self.violation_id


class _Review(DomainEvent):
    owner = "qa"
    violation_id: str
    call_id: str
    rule: str
    agent_id: str
    team_id: str | None = None
    supervisor_id: str | None = None
    campaign_id: str | None = None
    call_day: date | None = None
    reviewer: str
    comment: str | None = None

    def aggregate_id(self) -> str:
        return self.violation_id


@register
class ViolationConfirmed(_Review):
    """A reviewer upheld the finding: its fines follow as ``FineAssessed``."""

    confirmed_at: datetime
    fine_agent: int = 0
    fine_supervisor: int = 0


@register
class ViolationDismissed(_Review):
    """A reviewer rejected the finding: no fine."""

    dismissed_at: datetime


@register
class FineAssessed(DomainEvent):
    """A fine (or a complaint deduction) for one payee of a confirmed finding, in yuan."""

    owner = "qa"
    fine_id: str
    violation_id: str
    call_id: str
    rule: str
    payee: Payee
    payee_id: str
    amount: int
    penalty: str | None = None
    kind: Literal["fine", "complaint_deduction"] = "fine"
    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None
    complaint_id: str | None = None
    call_day: date | None = None
    assessed_at: datetime

    def aggregate_id(self) -> str:
        return self.violation_id


@register
class ComplaintFiled(DomainEvent):
    """A customer complaint about a call; it opens a finding under the complaint rule (QA-05)."""

    owner = "qa"
    complaint_id: str
    call_id: str
    kind: str
    deduction: int = 0
    description: str | None = None
    filed_by: str | None = None
    violation_id: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None
    lead_id: str | None = None
    call_day: date | None = None
    filed_at: datetime

    def aggregate_id(self) -> str:
        return self.complaint_id


@register
class ReviewSampled(DomainEvent):
    """A call entered the inspectors' review queue: drawn at random, or because of a finding
    or a complaint."""

    owner = "qa"
    call_id: str
    agent_id: str
    team_id: str | None = None
    reasons: list[str]
    period: str | None = None
    sampled_at: datetime

    def aggregate_id(self) -> str:
        return self.call_id


@register
class SaleVoided(DomainEvent):
    """A confirmed finding invalidates the call's sale (QA-11, QA-12): reports stop counting it."""

    owner = "qa"
    call_id: str
    violation_id: str
    rule: str
    agent_id: str
    team_id: str | None = None
    campaign_id: str | None = None
    lead_id: str | None = None
    call_day: date | None = None
    voided_at: datetime

    def aggregate_id(self) -> str:
        return self.call_id


@register
class ReworkCallbackRequested(DomainEvent):
    """The agent must call the customer back to redo a voided sale properly; scheduling books it."""

    owner = "qa"
    call_id: str
    violation_id: str
    lead_id: str
    agent_id: str
    team_id: str | None = None
    campaign_id: str | None = None
    rule: str
    reason: str = "rework"
    requested_at: datetime

    def aggregate_id(self) -> str:
        return self.call_id
