"""Events owned by the leads service (stream ``LEADS``).

Never carries a raw phone number or a full name: other teams subscribe to these. Numbers are
identified by ``number_id`` (stable, opaque) and shown masked (138****8000); the raw number lives
only in the leads service's database. Services that must match a dialled number against a lead
(the calls guard) use ``number_digest``: a keyed hash of the E.164 number (``common.privacy``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from common.events.base import DomainEvent, register

IntentTier = Literal["unreachable", "declined", "intent", "strong_intent", "success"]
NumberKind = Literal["mobile", "office", "home", "other"]


class LeadNumber(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    number_id: str
    kind: NumberKind = "mobile"
    masked: str
    number_digest: str
    carrier: str | None = None  # "China Mobile" / "China Unicom" / "China Telecom" / …
    region: str | None = None  # ISO country code or province, as libphonenumber gives it
    timezone: str | None = None  # IANA name, e.g. Asia/Shanghai
    area: str | None = None  # city/province as libphonenumber's geocoder gives it (北京市)


class LeadProfile(BaseModel):
    """What other services may know about a lead."""

    model_config = ConfigDict(extra="allow", frozen=True)
    industry: str | None = None
    region: str | None = None
    size: str | None = None
    source: str | None = None
    tags: list[str] = Field(default_factory=list)
    timezone: str = "Asia/Shanghai"
    birth_year: int | None = None
    referred_by_lead_id: str | None = None


class _LeadEvent(DomainEvent):
    owner = "leads"
    lead_id: str

    def aggregate_id(self) -> str:
        return self.lead_id


@register
class LeadCreated(_LeadEvent):
    numbers: list[LeadNumber]
    profile: LeadProfile
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    tier: IntentTier | None = None
    created_at: datetime


@register
class LeadUpdated(_LeadEvent):
    numbers: list[LeadNumber] | None = None
    profile: LeadProfile | None = None
    updated_at: datetime


@register
class LeadMerged(_LeadEvent):
    """``merged_lead_id`` was the same person imported again; it now lives on as ``lead_id``."""

    merged_lead_id: str
    numbers: list[LeadNumber]
    merged_at: datetime


@register
class LeadAssigned(_LeadEvent):
    """Ownership changed. ``owner_agent_id`` None means released to the team pool."""

    owner_agent_id: str | None
    owner_team_id: str | None
    previous_agent_id: str | None = None
    reason: str = "assigned"  # assigned | reassigned | released | referral
    assigned_at: datetime


@register
class LeadTierChanged(_LeadEvent):
    tier: IntentTier
    previous_tier: IntentTier | None = None
    call_id: str | None = None
    disposition: str | None = None
    changed_at: datetime


@register
class LeadOptedOut(_LeadEvent):
    """Do not call. ``number_id`` None means every number of the lead; ``until`` None means
    permanently (a 30-day rest after "下个月再联系" has an ``until``)."""

    number_id: str | None = None
    reason: str
    source: str = "customer_request"  # customer_request | refusals | regulator_list | company_list | manual
    until: datetime | None = None
    opted_out_at: datetime
    # Added later (optional): which number, shown masked and as a keyed digest, and the call
    # that caused the opt-out when it came from a call.
    masked: str | None = None
    number_digest: str | None = None
    call_id: str | None = None


@register
class LeadOptOutLifted(_LeadEvent):
    number_id: str | None = None
    reason: str
    lifted_at: datetime


@register
class LeadFlagged(_LeadEvent):
    """Needs clean-up: wrong person, invalid number, stale."""

    number_id: str | None = None
    flag: str  # wrong_person | invalid_number | stale | ownership_conflict
    call_id: str | None = None
    flagged_at: datetime
    reason: str | None = None


@register
class LeadFlagResolved(_LeadEvent):
    """The clean-up a ``LeadFlagged`` asked for was done (number or name corrected)."""

    flag: str
    number_id: str | None = None
    resolved_at: datetime


@register
class LeadMergedInto(_LeadEvent):
    """Tombstone on the lead that was merged away: ``lead_id`` now lives on as ``into_lead_id``
    (the surviving lead publishes ``LeadMerged``)."""

    into_lead_id: str
    merged_at: datetime


@register
class LeadDeleted(_LeadEvent):
    """The lead was erased (the customer's personal data is deleted from the leads database).
    Treat it as gone: never call it again."""

    reason: str
    deleted_at: datetime


@register
class LeadPersonalDataErased(_LeadEvent):
    """The lead's personal data was erased (PIPL/GDPR right to erasure) by destroying its data
    key (``common.personal_data``): every sealed value of its events is unreadable from now on.
    Ids only. Every projection holding the lead's personal data scrubs it; the lead, its calls
    and every figure stay."""

    erased_at: datetime
    erased_by: str | None = None


class _DncEvent(DomainEvent):
    owner = "leads"
    entry_id: str

    def aggregate_id(self) -> str:
        return self.entry_id


@register
class DncEntryAdded(_DncEvent):
    """A number put on the do-not-call list directly (a regulator's or the company's list),
    whether or not a lead has it yet. Identified by its keyed digest, shown masked."""

    number_digest: str
    masked: str
    source: str = "company_list"  # regulator_list | company_list | manual
    reason: str
    until: datetime | None = None  # None: permanent
    added_at: datetime


@register
class DncEntryRemoved(_DncEvent):
    reason: str
    removed_at: datetime
