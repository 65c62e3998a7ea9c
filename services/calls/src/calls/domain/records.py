"""A finished call as a partner (dialer, softphone) reports it (domain.md section 6), and the
requests that place and end a call.

The record's shape is shared with QA (``common.events.partner``); what this service adds is
what it needs to accept one: the lead's number (its digest and masked form go on the events) and
the campaign's catalogue. Validation here is the first line of defence: a record the platform
cannot trust is refused with the field that is wrong, before anything is published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from common.events.calls import AgentRef, CampaignRef, Direction, Eligibility, HangupBy, HoldPeriod, SpeechTurn
from common.events.partner import CallRecord, DispositionCode, FreeText, Identifier, LeadInRecord, PhoneNumber

from calls.domain.campaign import CampaignSettings, Catalogue

# The outcomes of domain section 2. The valid codes are data: the default catalogue
# (dispositions.yaml) with the campaign's overrides; see ``catalogue_problems``.
STANDARD_DISPOSITIONS = (
    "no_answer",
    "busy",
    "invalid_number",
    "wrong_person",
    "callback",
    "refused",
    "no_interest",
    "interested",
    "strong_interest",
    "appointment",
    "success",
    "complaint",
)


class ReportedLead(LeadInRecord):
    """The lead of a reported call: its number is required here, since the call's number digest
    and masked phone are derived from it."""

    phone: PhoneNumber


class FinishedCallRecord(CallRecord):
    """One finished call, reported in one request (``POST /v1/calls``): the shared record, with
    the lead's number required and its times in order."""

    model_config = ConfigDict(json_schema_extra={"examples": []})

    lead: ReportedLead

    @model_validator(mode="after")
    def _times_in_order(self) -> Self:
        if self.ended_at < self.placed_at:
            raise ValueError("ended_at is before placed_at")
        if self.answered_at is not None and not (self.placed_at <= self.answered_at <= self.ended_at):
            raise ValueError("answered_at must lie between placed_at and ended_at")
        return self


# --- what every call record must hold, against the campaign's catalogue --------------------


@dataclass(frozen=True, slots=True)
class Problem:
    field: str
    message: str
    kind: str = "value_error"  # "missing" for a blank field

    def as_error(self) -> dict[str, object]:
        """FastAPI's 422 error shape, so clients handle every 422 alike."""
        return {"loc": ["body", self.field], "msg": self.message, "type": self.kind}


def catalogue_problems(
    disposition: str, callback_at: object, catalogue: Catalogue, appointment_at: object = None
) -> list[Problem]:
    found = catalogue.get(disposition)
    if found is None:
        return [
            Problem(
                "disposition",
                f"unknown disposition {disposition!r}; the campaign's catalogue has {', '.join(catalogue.codes())}",
            )
        ]
    if "callback" in found.flags and callback_at is None:
        # 时间一定要确定: a callback without an agreed time cannot be scheduled.
        return [Problem("callback_at", f"callback_at is required when disposition is {disposition}", "missing")]
    if "appointment" in found.flags and appointment_at is None:
        # The confirmation call the day before is booked from it (domain section 3).
        return [Problem("appointment_at", f"appointment_at is required when disposition is {disposition}", "missing")]
    return []


def inbound_problems(direction: str, heard_from: str | None, need: str | None) -> list[Problem]:
    """来电登记表 不准丢项漏项: an inbound call records how they heard of us and what they want."""
    if direction != "inbound":
        return []
    out = []
    if not heard_from:
        out.append(Problem("heard_from", "Field required for an inbound call", "missing"))
    if not need:
        out.append(Problem("need", "Field required for an inbound call", "missing"))
    return out


def record_problems(record: FinishedCallRecord, catalogue: Catalogue) -> list[Problem]:
    return catalogue_problems(
        record.disposition, record.callback_at, catalogue, record.appointment_at
    ) + inbound_problems(record.direction, record.heard_from, record.need)


# --- dialling a call ----------------------------------------------------------------------


class PlaceCallRequest(BaseModel):
    """The dialer or a softphone asks to dial a lead (outbound), or registers an inbound call
    as it starts. Outbound dials go through the compliance guard."""

    model_config = ConfigDict(extra="ignore")

    call_id: Identifier
    direction: Direction = "outbound"
    campaign: CampaignRef
    agent: AgentRef
    lead_id: Identifier
    number: PhoneNumber | None = Field(default=None, description="the number to dial (or the caller's)")
    number_id: Identifier | None = Field(default=None, description="or the number's id at the leads service")
    caller_number: PhoneNumber | None = None
    heard_from: FreeText | None = None
    visited: bool = Field(default=False, description="the CRM knows the customer visited the store")
    attended_seminar: bool = Field(default=False, description="the CRM knows the customer attended a seminar")
    source: str | None = Field(default=None, max_length=64)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.number is None and self.number_id is None:
            raise ValueError("number or number_id is required")
        if self.direction == "outbound" and self.caller_number is None:
            raise ValueError("caller_number is required for an outbound dial")
        return self


class EndCallRequest(BaseModel):
    """The end of a placed call. Every field is checked by ``end_problems`` so a record with
    several blanks is refused once, naming all of them."""

    model_config = ConfigDict(extra="ignore")

    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    ring_count: int | None = Field(default=None, ge=0, le=100)
    hangup_by: HangupBy | None = None
    eligibility: Eligibility | None = None
    disposition: DispositionCode | None = None
    callback_at: AwareDatetime | None = None
    appointment_at: AwareDatetime | None = Field(
        default=None, description="when the visit or seminar booked on this call takes place"
    )
    notes: str | None = Field(default=None, max_length=10_000)
    recording_uri: str | None = Field(default=None, max_length=2_000)
    turns: list[SpeechTurn | HoldPeriod] = Field(default_factory=list)
    heard_from: FreeText | None = None
    need: str | None = Field(default=None, max_length=2_000)


ALWAYS_REQUIRED = ("ended_at", "ring_count", "hangup_by", "eligibility", "disposition")


def end_problems(
    request: EndCallRequest,
    *,
    direction: str,
    placed_at: datetime,
    heard_from: str | None,
    catalogue: Catalogue,
    settings: CampaignSettings,
) -> list[Problem]:
    """Blank and inconsistent fields of an end-of-call record, all of them."""
    problems = [
        Problem(name, "Field required", "missing") for name in ALWAYS_REQUIRED if getattr(request, name) in (None, "")
    ]
    flags: list[str] = []
    if request.disposition:
        found = catalogue_problems(request.disposition, request.callback_at, catalogue, request.appointment_at)
        problems += found
        flags = catalogue.flags_of(request.disposition)
    if "human_answered" in flags and request.answered_at is None:
        problems.append(Problem("answered_at", f"Field required when disposition is {request.disposition}", "missing"))
    if "customer_contact" in flags:
        for name in settings.required_on_contact:
            if not getattr(request, name, None):
                problems.append(Problem(name, "Field required when the customer was reached", "missing"))
    problems += inbound_problems(direction, request.heard_from or heard_from, request.need)
    if request.ended_at is not None and request.ended_at < placed_at:
        problems.append(Problem("ended_at", "ended_at is before the call was placed"))
    if request.answered_at is not None:
        if request.answered_at < placed_at or (request.ended_at and request.answered_at > request.ended_at):
            problems.append(Problem("answered_at", "answered_at must lie between placed_at and ended_at"))
    seen: set[str] = set()
    unique = []
    for p in problems:
        if p.field not in seen:
            seen.add(p.field)
            unique.append(p)
    return unique
