"""A finished call as a partner (dialer, softphone) reports it: domain.md section 6.

Validation here is the first line of defence: a record the platform cannot trust is refused
with the field that is wrong, before anything is published."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from common.events.calls import AgentRef, CampaignRef, HoldPeriod, SpeechTurn

# Ids become NATS subject tokens and URL segments: keep them to a safe alphabet.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-:]{1,128}$")]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9\- ]{5,20}$")]

# The outcomes of domain section 2; a campaign's own catalogue may add more (calls issue).
STANDARD_DISPOSITIONS = (
    "no_answer", "busy", "invalid_number", "wrong_person", "callback", "refused", "no_interest",
    "interested", "strong_interest", "appointment", "success", "complaint",
)
Disposition = Literal[
    "no_answer", "busy", "invalid_number", "wrong_person", "callback", "refused", "no_interest",
    "interested", "strong_interest", "appointment", "success", "complaint",
]


class LeadInRecord(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: Identifier
    name: str | None = Field(default=None, max_length=100)
    phone: PhoneNumber
    birth_year: int | None = Field(default=None, ge=1900, le=2100)


class FinishedCallRecord(BaseModel):
    """One finished call, reported in one request."""

    model_config = ConfigDict(extra="ignore", json_schema_extra={"examples": []})

    call_id: Identifier
    direction: Literal["outbound", "inbound"] = "outbound"
    campaign: CampaignRef
    agent: AgentRef
    lead: LeadInRecord
    caller_number: PhoneNumber | None = None
    placed_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime
    ring_count: int | None = Field(default=None, ge=0, le=100)
    hangup_by: Literal["agent", "customer", "network"]
    eligibility: Literal["eligible", "ineligible", "unknown"] = "unknown"
    disposition: Disposition
    callback_at: AwareDatetime | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    recording_uri: str | None = Field(default=None, max_length=2_000)
    turns: list[SpeechTurn | HoldPeriod] = Field(default_factory=list)

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        if self.ended_at < self.placed_at:
            raise ValueError("ended_at is before placed_at")
        if self.answered_at is not None and not (self.placed_at <= self.answered_at <= self.ended_at):
            raise ValueError("answered_at must lie between placed_at and ended_at")
        if self.disposition == "callback" and self.callback_at is None:
            # 时间一定要确定: a callback without an agreed time cannot be scheduled.
            raise ValueError("callback_at is required when disposition is callback")
        return self

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None:
            return 0.0
        return (self.ended_at - self.answered_at).total_seconds()
