"""Events owned by the calls service (stream ``CALLS``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events.base import DomainEvent, register

Direction = Literal["outbound", "inbound"]
HangupBy = Literal["agent", "customer", "network"]
Eligibility = Literal["eligible", "ineligible", "unknown"]


class AgentRef(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    id: str
    team: str
    supervisor: str | None = None


class CampaignRef(BaseModel):
    """What QA and the guard need to know about the campaign a call belongs to."""

    model_config = ConfigDict(extra="allow", frozen=True)
    id: str
    brand: str | None = None
    authorized_brands: list[str] = Field(default_factory=list)
    allowed_caller_carriers: list[str] = Field(default_factory=list)
    price_on_phone: bool = True


class SpeechTurn(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    speaker: Literal["agent", "customer"]
    start_s: float
    end_s: float
    text: str


class HoldPeriod(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    hold: Literal[True]
    start_s: float
    end_s: float


TranscriptTurn = SpeechTurn | HoldPeriod


class CustomerRef(BaseModel):
    """The customer as events may carry them: no raw phone number, no name.

    ``name_digest`` is a keyed hash of the full name (see ``common.privacy``) so QA can spot an
    agent using the bare full name without the name itself leaving the calls service."""

    model_config = ConfigDict(extra="allow", frozen=True)
    lead_id: str
    phone_masked: str | None = None
    phone_region: str | None = None
    name_digest: str | None = None
    birth_year: int | None = None


@register
class CallPlaced(DomainEvent):
    owner = "calls"
    call_id: str
    direction: Direction = "outbound"
    campaign: CampaignRef
    agent: AgentRef
    customer: CustomerRef
    caller_number: str | None = None
    placed_at: datetime
    first_contact: bool | None = None

    def aggregate_id(self) -> str:
        return self.call_id


@register
class CallEnded(DomainEvent):
    owner = "calls"
    call_id: str
    direction: Direction = "outbound"
    campaign: CampaignRef
    agent: AgentRef
    customer: CustomerRef
    caller_number: str | None = None
    placed_at: datetime
    answered_at: datetime | None = None
    ended_at: datetime
    ring_count: int | None = None
    hangup_by: HangupBy
    eligibility: Eligibility = "unknown"
    disposition: str
    callback_at: datetime | None = None
    talk_seconds: float = 0.0
    notes: str | None = None
    recording_uri: str | None = None
    turns: list[TranscriptTurn] = Field(default_factory=list)

    def aggregate_id(self) -> str:
        return self.call_id

    @property
    def connected(self) -> bool:
        return self.answered_at is not None


@register
class CallTranscribed(DomainEvent):
    owner = "calls"
    call_id: str
    turns: list[TranscriptTurn]
    recording_uri: str | None = None

    def aggregate_id(self) -> str:
        return self.call_id


@register
class CallRefused(DomainEvent):
    """The compliance guard refused a dial; reporting counts blocked dials from it."""

    owner = "calls"
    call_id: str
    campaign_id: str
    agent: AgentRef
    lead_id: str
    reason: str
    detail: str | None = None
    refused_at: datetime

    def aggregate_id(self) -> str:
        return self.call_id
