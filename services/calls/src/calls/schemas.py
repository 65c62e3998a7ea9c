"""Request and response models of the calls API (``calls.api``). The finished-call record and the
place/end requests live in ``calls.domain.records``: they are the partner's record itself."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events.calls import HoldPeriod, SpeechTurn
from common.pagination import Page
from common.problems import Problem

from calls.domain.campaign import CampaignSettings, Catalogue

# --- requests ----------------------------------------------------------------------------------


class TranscriptRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    turns: list[SpeechTurn | HoldPeriod]
    recording_uri: str | None = Field(default=None, max_length=2_000)


class FinishedCallBatch(BaseModel):
    """Finished calls in one request (``POST /v1/calls/batch``). The records are read one by one
    in the route (a bad one is rejected in the answer, the others recorded), so the model takes
    any JSON for each; the OpenAPI document describes them as ``FinishedCallRecord`` (the single
    route's body, so the schema is in the document)."""

    calls: list[Any] = Field(
        min_length=1,
        description="finished-call records, each as POST /v1/calls takes one",
        json_schema_extra={"items": {"$ref": "#/components/schemas/FinishedCallRecord"}},
    )


# --- responses ---------------------------------------------------------------------------------


class CallRecorded(BaseModel):
    call_id: str
    status: Literal["accepted", "duplicate"] = Field(description="duplicate: the same body again, nothing changed")


class BatchCallResult(BaseModel):
    """What became of one record of a batch, at its position in the request."""

    index: int = Field(description="the record's position in `calls`, from 0")
    call_id: str | None = Field(description="the record's call_id; null when it has no readable one")
    status: Literal["accepted", "duplicate", "rejected"] = Field(
        description="accepted: recorded now; duplicate: already recorded with this very body, nothing changed; "
        "rejected: not recorded, `problem` says why"
    )
    problem: Problem | None = Field(
        default=None,
        description="a rejected record's problem details (RFC 9457): 422 invalid fields, each named from the "
        "request's root (`calls.3.hangup_by`; a call_id that an earlier record of the batch has too); 409 this "
        "call_id was recorded before with a different body (`differences` names the fields)",
    )


class CallBatchRecorded(BaseModel):
    """The batch was read: one result per record, in the request's order."""

    accepted: int
    duplicate: int
    rejected: int
    results: list[BatchCallResult]


class CallPlacedAnswer(BaseModel):
    """The placed call, with the guard's view of the contact; a duplicate carries only its id."""

    call_id: str
    status: Literal["placed", "duplicate"]
    placed_at: str | None = None
    first_contact: bool | None = None
    contact: Literal["first", "repeat"] | None = None
    history: dict[str, Any] | None = Field(default=None, description="the lead's contact history the guard saw")


class DialRefused(BaseModel):
    """409: the compliance guard refused the dial (a ``CallRefused`` event)."""

    call_id: str
    status: Literal["refused"]
    reason: str = Field(description="the first reason, machine-readable")
    reasons: list[str]
    detail: str | None


class CallEndedAnswer(BaseModel):
    call_id: str
    status: str
    disposition: str
    disposition_flags: list[str] | None
    dropped: bool | None = Field(description="hung up by the network early in the call: a redial is requested")
    slow_answer: bool | None = Field(description="inbound, answered after more rings than the norm")
    redial_requested: bool


class CallProblem(BaseModel):
    """404 or 409 about one call."""

    call_id: str
    status: str | None = None
    detail: str


class TranscriptAnswer(BaseModel):
    call_id: str
    status: str = Field(description="transcribed, or duplicate for the same transcript again")


class CallSummary(BaseModel):
    """A call as lists show it. Columns the read model gains later pass through (extra allowed)."""

    model_config = ConfigDict(extra="allow")

    call_id: str
    status: Literal["placed", "ended", "refused"]
    direction: Literal["outbound", "inbound"]
    campaign_id: str
    agent_id: str
    team_id: str
    supervisor_id: str | None = None
    lead_id: str
    number_id: str | None = None
    phone_masked: str | None = None
    placed_at: str
    day: str
    answered_at: str | None = None
    ended_at: str | None = None
    disposition: str | None = None
    disposition_flags: list[str] | None = None
    talk_seconds: float | None = None
    contact: Literal["first", "repeat"] | None = None
    refusal_reason: str | None = None


class CallDetail(CallSummary):
    """One call with its transcript, contact history, notes and need."""

    transcript: list[dict[str, Any]] | None = None
    history: dict[str, Any] | None = None
    notes: str | None = None
    need: str | None = None


class CallPage(Page[CallSummary]):
    pass


class CampaignView(BaseModel):
    campaign_id: str
    version: int = Field(description="0: never configured, the defaults apply")
    settings: CampaignSettings
    catalogue: Catalogue


class CampaignConfigured(BaseModel):
    campaign_id: str
    version: int
    settings: CampaignSettings


class VersionConflictAnswer(BaseModel):
    campaign_id: str
    detail: str
    version: int = Field(description="the current version")


class CampaignCatalogue(Catalogue):
    campaign_id: str
