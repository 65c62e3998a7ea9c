"""Request and response models of the scheduling API (``scheduling.api``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from common.pagination import Page
from common.schemas import Timestamp
from common.timeutil import as_utc
from pydantic import AwareDatetime, BaseModel, Field
from sqlalchemy import RowMapping

from scheduling.domain.policy import CallbackPolicy, PolicyDocument
from scheduling.handlers import local_iso
from scheduling.tables import OPEN_STATUSES

# --- requests ----------------------------------------------------------------------------------


class AbsenceIn(BaseModel):
    reason: str | None = Field(default=None, max_length=256)


class RescheduleIn(BaseModel):
    due_at: AwareDatetime = Field(description="the new time agreed with the customer (ISO 8601 with offset)")
    exact: bool = Field(default=True, description="an agreed time: honoured exactly when allowed")
    note: str | None = Field(default=None, max_length=500)


class CancelIn(BaseModel):
    reason: str = Field(default="api", max_length=128)


# --- responses ---------------------------------------------------------------------------------


class Callback(BaseModel):
    """A callback as agents and supervisors see it; times in UTC, ``local_due`` in the lead's zone."""

    callback_id: str
    lead_id: str
    agent_id: str | None
    team_id: str | None
    campaign_id: str | None
    reason: str
    status: Literal["scheduled", "due", "done", "missed", "cancelled"]
    overdue: bool = Field(description="open and past due")
    due_at: Timestamp
    local_due: str = Field(description="due_at in the lead's time zone, ISO 8601 with offset")
    timezone: str | None
    requested_at: Timestamp
    adjustment: str | None = Field(description="why the time was moved from the one asked for")
    exact: bool
    attempt: int
    cycle: int
    revision: int
    released: bool = Field(description="released to the team (the agent is absent or missed it)")
    source_call_id: str | None
    policy_version: str | None
    fired_at: Timestamp | None
    closed_at: Timestamp | None
    close_reason: str | None
    done_call_id: str | None

    @classmethod
    def of(cls, row: RowMapping, now: datetime) -> Callback:
        due_at = as_utc(row["due_at"])
        assert due_at is not None
        tz = row["timezone"]
        return cls(
            callback_id=row["callback_id"],
            lead_id=row["lead_id"],
            agent_id=row["agent_id"],
            team_id=row["team_id"],
            campaign_id=row["campaign_id"],
            reason=row["reason"],
            status=row["status"],
            overdue=row["status"] in OPEN_STATUSES and due_at < now,
            due_at=due_at,
            local_due=local_iso(due_at, tz),
            timezone=tz,
            requested_at=as_utc(row["requested_at"]) or due_at,
            adjustment=row["adjustment"],
            exact=bool(row["exact"]),
            attempt=row["attempt"],
            cycle=row["cycle"],
            revision=row["revision"],
            released=bool(row["released"]),
            source_call_id=row["source_call_id"],
            policy_version=row["policy_version"],
            fired_at=as_utc(row["fired_at"]),
            closed_at=as_utc(row["closed_at"]),
            close_reason=row["close_reason"],
            done_call_id=row["done_call_id"],
        )


class Agenda(BaseModel):
    """One agent's day (not paged: a day's callbacks)."""

    agent_id: str
    date_: date = Field(alias="date")
    timezone: str
    now: Timestamp
    callbacks: list[Callback]


class CallbackPage(Page[Callback]):
    now: Timestamp
    status: str | None


class Absence(BaseModel):
    agent_id: str
    reason: str | None
    since: Timestamp | None


class AbsentAgents(BaseModel):
    absent: list[Absence] = Field(description="marked absent through the API")
    configured: list[str] = Field(description="absent by configuration (SCHEDULING_ABSENT_AGENTS)")


class AbsenceMarked(BaseModel):
    agent_id: str
    absent: Literal[True]
    released: int = Field(description="open callbacks released to the team now")


class AbsenceLifted(BaseModel):
    agent_id: str
    absent: Literal[False]
    was_absent: bool


class Override(BaseModel):
    override: dict[str, Any]
    override_version: int


class Policies(BaseModel):
    file: PolicyDocument
    overrides: dict[str, Override]


class CampaignPolicy(BaseModel):
    campaign_id: str
    policy: CallbackPolicy


class CampaignPolicyOverridden(CampaignPolicy):
    override_version: int


class OverrideDeleted(BaseModel):
    campaign_id: str
    deleted: Literal[True]
