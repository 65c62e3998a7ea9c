"""Input call record (partner shape, domain.md section 6) and output findings."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Speaker = Literal["agent", "customer"]
HangupBy = Literal["agent", "customer", "network"]
Eligibility = Literal["eligible", "ineligible", "unknown"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Campaign(_Record):
    id: str
    brand: str = ""
    authorized_brands: tuple[str, ...] = ()
    allowed_caller_carriers: tuple[str, ...] = ()
    price_on_phone: bool = True


class Agent(_Record):
    id: str
    team: str | None = None
    supervisor: str | None = None


class Lead(_Record):
    """The customer. Dataset files carry ``name``; the service only ever has ``name_digest``
    (``common.privacy.name_digest``), which QA-01 matches with the PII key."""

    id: str
    name: str | None = None
    name_digest: str | None = None
    phone: str | None = None
    birth_year: int | None = None


class SpeechTurn(_Record):
    speaker: Speaker
    start_s: float
    end_s: float
    text: str


class HoldTurn(_Record):
    hold: Literal[True]
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


Turn = Annotated[SpeechTurn | HoldTurn, Field(union_mode="left_to_right")]


class CallRecord(_Record):
    """A finished call as a dialer/softphone reports it. Unknown keys (e.g. ``expected``) are ignored."""

    call_id: str
    direction: str = "outbound"
    campaign: Campaign
    agent: Agent
    lead: Lead
    caller_number: str | None = None
    placed_at: AwareDatetime
    answered_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    ring_count: int | None = None
    hangup_by: HangupBy | None = None
    eligibility: Eligibility = "unknown"
    disposition: str | None = None
    callback_at: AwareDatetime | None = None
    turns: tuple[Turn, ...] = ()

    @classmethod
    def from_json_obj(cls, obj: dict[str, Any]) -> CallRecord:
        return cls.model_validate(obj)


class Evidence(BaseModel):
    """A further span a finding rests on (e.g. QA-05's contradiction and the customer's reaction,
    besides the promise the finding's own ``turn``/``span`` point at)."""

    model_config = ConfigDict(frozen=True)

    role: str
    turn: int
    span: tuple[int, int]
    text: str


class Finding(BaseModel):
    """One automatic QA finding; a reviewer confirms or dismisses it (only confirmed ones carry fines)."""

    model_config = ConfigDict(frozen=True)

    rule: str
    title: str
    severity: str
    fine_agent: int = 0
    fine_supervisor: int = 0
    penalty: str = ""
    turn: int | None = None
    evidence: str = ""
    span: tuple[int, int] | None = None
    reason: str = ""
    policy_version: str = ""
    related: tuple[Evidence, ...] = ()

    def brief(self) -> dict[str, Any]:
        return {"rule": self.rule, "turn": self.turn, "evidence": self.evidence}
