"""Request and response models of the QA API (``qa.api``)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from common.pagination import Page
from common.schemas import Timestamp
from pydantic import BaseModel, Field

from qa.rules.policy import ComplaintKind, Policy, SamplingSpec

# --- requests ----------------------------------------------------------------------------------


class ReviewIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=128, description="the inspector's id")
    comment: str | None = Field(default=None, max_length=4000, description="required to dismiss")


class ComplaintIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=128)
    kind: str = Field(description="mismatch | unconsented_activation | not_handled_in_time | unsatisfactory")
    description: str | None = Field(default=None, max_length=4000)
    filed_by: str | None = Field(default=None, max_length=128)
    complaint_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="the client's id, makes a retry safe"
    )


class AgentIn(BaseModel):
    started_on: date = Field(description="the agent's first day; new agents are sampled at a higher share")


# --- responses ---------------------------------------------------------------------------------


class Violation(BaseModel):
    """A finding: the rule, where in the call (turn and character span), its fines, its review."""

    violation_id: str
    call_id: str
    rule: str
    title: str | None
    severity: str
    source: str = Field(description="auto (a rule found it) or complaint")
    complaint_id: str | None
    complaint_deduction: int
    agent_id: str
    team_id: str | None
    supervisor_id: str | None
    campaign_id: str | None
    lead_id: str | None
    day: date | None
    turn: int | None
    span_start: int | None
    span_end: int | None
    evidence: str | None
    reason: str | None
    fine_agent: int
    fine_supervisor: int
    penalty: str | None
    voids_sale: bool
    policy_version: str | None
    status: Literal["open", "confirmed", "dismissed"]
    reviewer: str | None
    comment: str | None
    reviewed_at: Timestamp | None
    found_at: Timestamp


class SpokenEvidence(BaseModel):
    turn: int
    speaker: str | None
    start_s: float | None
    text: str
    span: list[int] | None = Field(description="[start, end) characters of the evidence in text")
    marked: str = Field(description="text with the evidence between 【 and 】")


class HoldEvidence(BaseModel):
    turn: int
    hold: Literal[True]
    start_s: float | None
    end_s: float | None


class ViolationDetail(Violation):
    highlight: SpokenEvidence | HoldEvidence | None


class ViolationPage(Page[Violation]):
    total: int = Field(description="findings matching the filter, all pages")
    by_status: dict[str, int] = Field(description="findings matching the filter per status, all pages")


class ReviewItem(BaseModel):
    """A call in the review queue and why it is there."""

    call_id: str
    agent_id: str
    team_id: str | None
    day: date | None
    period: str | None
    reasons: list[str] = Field(description="random:share | random:minimum | finding | complaint")
    status: Literal["pending", "done"]
    reviewer: str | None
    comment: str | None
    sampled_at: Timestamp
    completed_at: Timestamp | None


class QueuedCall(ReviewItem):
    open_findings: int


class ReviewQueuePage(Page[QueuedCall]):
    total: int


class Complaint(BaseModel):
    complaint_id: str
    call_id: str
    kind: str
    deduction: int
    description: str | None
    filed_by: str | None
    violation_id: str = Field(description="the QA-05 finding carrying the deduction")
    filed_at: Timestamp


class CallFindings(BaseModel):
    call_id: str
    agent_id: str | None
    team_id: str | None
    campaign_id: str | None
    lead_id: str | None
    day: date | None
    disposition: str | None
    sale: bool
    policy_version: str | None
    checked_at: Timestamp | None
    turns: int = Field(description="turns in the transcript checked")
    findings: list[ViolationDetail]
    review: ReviewItem | None
    complaints: list[Complaint]


class FineTotal(BaseModel):
    payee: str = Field(description="agent, supervisor or team")
    payee_id: str
    kind: str
    count: int
    amount: int


class Fines(BaseModel):
    items: list[FineTotal]


class AgentStart(BaseModel):
    agent_id: str
    started_on: date


class RuleSummary(BaseModel):
    title: str
    severity: str
    fine_agent: int
    fine_supervisor: int
    penalty: str
    enabled: bool
    campaigns: list[str] | None
    voids_sale: bool


class PolicySummary(BaseModel):
    """The rule catalogue in force, without the phrase lists and patterns."""

    version: str
    timezone: str
    rules: dict[str, RuleSummary]
    sampling: SamplingSpec
    complaints: dict[str, ComplaintKind]

    @classmethod
    def of(cls, policy: Policy) -> PolicySummary:
        return cls(
            version=policy.version,
            timezone=policy.timezone,
            rules={
                rule_id: RuleSummary(
                    title=r.title,
                    severity=r.severity,
                    fine_agent=r.fine_agent,
                    fine_supervisor=r.fine_supervisor,
                    penalty=r.penalty,
                    enabled=r.enabled,
                    campaigns=r.campaigns,
                    voids_sale=bool(r.params.get("voids_sale", False)),
                )
                for rule_id, r in policy.rules.items()
            },
            sampling=policy.sampling,
            complaints=policy.complaints,
        )
