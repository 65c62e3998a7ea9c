"""A finished call as a partner (dialer, softphone) reports it: shared/domain.md section 6.

One model for every reader of that shape: the calls service's ``POST /v1/calls`` (which adds what
its campaign catalogue and its own use of the record require, ``calls.domain.records``), and
QA's rules, which read the shared datasets in this shape and rebuild the same record from
``CallEnded``. Its parts are the call events' own types (campaign, agent, turns), so a record
rebuilt from an event takes them as they are.

This is the shape, not what accepting a report takes: which dispositions exist (the campaign's
catalogue), that the times are in order, that the lead's number is given, are checked by the
calls service (``calls.domain.records``); QA reads records that need none of it."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from common.events.calls import AgentRef, CampaignRef, Direction, Eligibility, HangupBy, HoldPeriod, SpeechTurn

# Ids become NATS subject tokens and URL segments: keep them to a safe alphabet.
Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-:]{1,128}$")]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9\- ]{5,20}$")]
# How records and catalogues spell an outcome (domain section 2); which codes a campaign knows
# is its catalogue's business.
DispositionCode = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LeadInRecord(BaseModel):
    """The customer as the record names them. A partner sends ``name`` and ``phone``; a record
    rebuilt from ``CallEnded`` has neither (events never carry a name or a raw number) but the
    keyed ``name_digest`` (``common.privacy.name_digest``), which QA's bare-name check matches."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: Identifier
    name: str | None = Field(default=None, max_length=100)
    phone: PhoneNumber | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    name_digest: str | None = Field(default=None, description="set by the platform, not by a partner")


class CallRecord(BaseModel):
    """One finished call. Keys outside the shape are ignored (the datasets' ``expected``)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    call_id: Identifier
    direction: Direction = "outbound"
    campaign: CampaignRef
    agent: AgentRef
    lead: LeadInRecord
    caller_number: PhoneNumber | None = None
    placed_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime
    ring_count: int | None = Field(default=None, ge=0, le=100)
    hangup_by: HangupBy
    eligibility: Eligibility = "unknown"
    disposition: DispositionCode
    callback_at: AwareDatetime | None = None
    appointment_at: AwareDatetime | None = Field(
        default=None, description="when the visit or seminar booked on this call takes place"
    )
    notes: str | None = Field(default=None, max_length=10_000)
    recording_uri: str | None = Field(default=None, max_length=2_000)
    turns: list[SpeechTurn | HoldPeriod] = Field(default_factory=list)
    # Optional additions: the number's id at the leads service; inbound registration fields.
    number_id: Identifier | None = None
    heard_from: FreeText | None = None
    need: str | None = Field(default=None, max_length=2_000)

    @property
    def talk_seconds(self) -> float:
        if self.answered_at is None:
            return 0.0
        return (self.ended_at - self.answered_at).total_seconds()
