"""Events owned by the calls service (stream ``CALLS``).

Fields added after the first version are optional, so older readers and producers keep working."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events.base import DomainEvent, register

Direction = Literal["outbound", "inbound"]
HangupBy = Literal["agent", "customer", "network"]
Eligibility = Literal["eligible", "ineligible", "unknown"]

# The default of the calls service's campaign setting ``dropped_call_seconds``.
DROPPED_CALL_SECONDS = 180


def is_dropped_call(
    hangup_by: str,
    placed_at: datetime,
    answered_at: datetime | None,
    ended_at: datetime,
    within_seconds: float = DROPPED_CALL_SECONDS,
) -> bool:
    """掉线: the network cut the call in its first minutes (from the answer, or from the dial
    when it never connected). The one rule: the calls service judges every call with its
    campaign's window and publishes the verdict as ``CallEnded.dropped``."""
    if hangup_by != "network":
        return False
    start = answered_at or placed_at
    return ended_at - start <= timedelta(seconds=within_seconds)


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
    # Added by the calls service (optional): which of the lead's numbers was dialled, as the
    # leads service's opaque id and as the keyed digest of its E.164 form (common.privacy).
    number_id: str | None = None
    number_digest: str | None = None


class ContactHistory(BaseModel):
    """What the lead's history was when the call was placed: first contact or repeat (首次电话 /
    再次电话), and on what footing (talked before, visited the store, attended a seminar)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    previous_attempts: int = 0
    previous_connected: int = 0
    talked_before: bool = False
    visited: bool = False
    attended_seminar: bool = False
    last_contact_at: datetime | None = None
    last_disposition: str | None = None


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
    # Added by the calls service (optional).
    contact: Literal["first", "repeat"] | None = None
    history: ContactHistory | None = None
    heard_from: str | None = None  # inbound: how the customer heard of us
    source: str | None = None  # dialer | softphone | partner_report | inbound

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
    appointment_at: datetime | None = None  # added later: the visit or seminar booked on the call
    talk_seconds: float = 0.0
    notes: str | None = None
    recording_uri: str | None = None
    turns: list[TranscriptTurn] = Field(default_factory=list)
    # Added by the calls service (optional). The disposition's flags from the campaign's
    # catalogue (human_answered, customer_contact, interested, sale, do_not_call, callback,
    # final, unworkable): reports compute rates from flags, not from disposition names.
    disposition_flags: list[str] | None = None
    catalogue_version: str | None = None
    first_contact: bool | None = None
    heard_from: str | None = None  # inbound: how the customer heard of us
    need: str | None = None  # inbound: what the customer wants
    slow_answer: bool | None = None  # inbound answered after more rings than the norm (3)
    # The calls service's verdict, ``is_dropped_call`` with the campaign's window (None: stored
    # before the service judged every call: inbound ones, outbound ones from before the field).
    dropped: bool | None = None

    def aggregate_id(self) -> str:
        return self.call_id

    def has_flag(self, flag: str) -> bool:
        return flag in (self.disposition_flags or ())

    @property
    def was_dropped(self) -> bool:
        """Whether the line dropped, as the calls service judged it. An event without the verdict
        is judged by the same rule with the default window: the campaign's own window is the
        calls service's setting, which no other service reads."""
        if self.dropped is not None:
            return self.dropped
        return is_dropped_call(self.hangup_by, self.placed_at, self.answered_at, self.ended_at)

    @property
    def connected(self) -> bool:
        return self.answered_at is not None


@register
class CallTranscribed(DomainEvent):
    owner = "calls"
    call_id: str
    turns: list[TranscriptTurn]
    recording_uri: str | None = None
    # Added later (optional): the call's lead, whose key seals the transcript's text.
    lead_id: str | None = None

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
    # Added by the calls service (optional): every rule that refused, not only the first.
    reasons: list[str] | None = None
    team_id: str | None = None
    number_id: str | None = None
    number_digest: str | None = None
    phone_masked: str | None = None  # added later: the refused number as an agent may see it

    def aggregate_id(self) -> str:
        return self.call_id


@register
class RedialRequested(DomainEvent):
    """A dropped call (掉线, ``hangup_by=network`` early in the call) is to be redialled at once
    (domain section 3); scheduling turns it into an immediate callback."""

    owner = "calls"
    call_id: str
    lead_id: str
    campaign_id: str
    agent: AgentRef
    number_id: str | None = None
    number_digest: str | None = None
    reason: str = "dropped"
    not_before: datetime
    requested_at: datetime

    def aggregate_id(self) -> str:
        return self.call_id


def campaign_aggregate_id(campaign_id: str) -> str:
    # '~' is outside the call-id alphabet, so a campaign's subject can never be a call's.
    return f"campaign~{campaign_id}"


@register
class CampaignSettingsChanged(DomainEvent):
    """A campaign's guard settings and disposition overrides, as a whole new document
    (calls.domain.campaign.CampaignSettings); ``version`` counts the changes."""

    owner = "calls"
    campaign_id: str
    version: int
    settings: dict[str, Any]
    changed_by: str | None = None
    changed_at: datetime

    def aggregate_id(self) -> str:
        return campaign_aggregate_id(self.campaign_id)
