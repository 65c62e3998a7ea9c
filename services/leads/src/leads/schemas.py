"""Request and response models of the leads API (``leads.api``), and the shaping of what a
command decided into its answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from common.events.leads import LeadNumber, LeadProfile
from common.pagination import Page
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from leads.domain.importing import DraftNumber, LeadDraft
from leads.domain.lead import AssignAction, Lead
from leads.domain.outcomes import IntentTier
from leads.domain.phones import NumberKind

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-:]{1,128}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

# --- requests ----------------------------------------------------------------------------------


# A number as given, bare or in a PhoneIn: one constraint for both, so a blank bare string is a
# 422 naming it rather than a PhoneIn built from it failing in the route (a 500 schemathesis found).
PhoneText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: PhoneText
    kind: NumberKind | None = None


class ProfileFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industry: Text | None = None
    region: Text | None = None
    size: Text | None = None
    source: Text | None = None
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]] | None = None
    timezone: Text | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    referred_by_lead_id: Identifier | None = None


class LeadIn(ProfileFields):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phones: list[PhoneIn | PhoneText] = Field(min_length=1, max_length=10)
    owner_agent_id: Identifier | None = None
    owner_team_id: Identifier | None = None

    def draft(self, name: str, numbers: list[DraftNumber]) -> LeadDraft:
        """The lead to create, ``name`` and ``numbers`` normalised; region and time zone default
        to the first number's, as for an imported row."""
        primary = numbers[0].number
        profile = LeadProfile(
            industry=self.industry,
            region=self.region or primary.province,
            size=self.size,
            source=self.source,
            tags=self.tags or [],
            timezone=self.timezone or primary.timezone,
            birth_year=self.birth_year,
            referred_by_lead_id=self.referred_by_lead_id,
        )
        return LeadDraft(
            name=name,
            numbers=tuple(numbers),
            profile=profile,
            owner_agent_id=self.owner_agent_id,
            owner_team_id=self.owner_team_id,
        )


class LeadPatch(ProfileFields):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    add_phones: list[PhoneIn | PhoneText] = Field(default_factory=list, max_length=10)
    remove_number_ids: list[Identifier] = Field(default_factory=list)

    def profile_fields(self) -> dict[str, Any]:
        """The profile fields given (they replace the current ones; the others stay)."""
        return self.model_dump(include=set(ProfileFields.model_fields), exclude_unset=True)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: AssignAction = "assign"
    agent_id: Identifier | None = None
    team_id: Identifier | None = None


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = (
        "customer asked not to be called again"
    )
    source: Literal["customer_request", "refusals", "rest", "manual", "regulator_list", "company_list"] = (
        "customer_request"
    )
    number_id: Identifier | None = None
    permanent: bool = True
    until: AwareDatetime | None = None
    rest_days: int | None = Field(default=None, ge=1, le=3650)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_id: Identifier = Field(description="the lead to merge into this one (it lives on as this one)")


class DncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=10_000
    )
    source: Literal["regulator_list", "company_list", "manual"] = "company_list"
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = "do not call"
    permanent: bool = True
    until: AwareDatetime | None = None
    rest_days: int | None = Field(default=None, ge=1, le=3650)


# --- what a command decided --------------------------------------------------------------------


class OptOutView(BaseModel):
    number_id: str | None = Field(description="null: the whole lead")
    reason: str
    source: str
    until: str | None = Field(description="null: permanent")


class OpenFlag(BaseModel):
    flag: str
    number_id: str | None


class LeadState(BaseModel):
    """What the command just decided (the read model catches up within moments)."""

    lead_id: str
    owner_agent_id: str | None
    owner_team_id: str | None
    tier: IntentTier | str | None
    merged_into: str | None
    numbers: list[LeadNumber]
    profile: LeadProfile
    opt_outs: list[OptOutView] = Field(description="in force now")
    open_flags: list[OpenFlag]

    @staticmethod
    def fields_of(state: Lead, now: datetime) -> dict[str, Any]:
        """The state's fields, to be spread into an answer beside its ``status``."""
        return {
            "lead_id": state.lead_id,
            "owner_agent_id": state.owner_agent_id,
            "owner_team_id": state.owner_team_id,
            "tier": state.tier,
            "merged_into": state.merged_into,
            "numbers": list(state.numbers),
            "profile": state.profile,
            "opt_outs": [
                OptOutView(
                    number_id=number_id,
                    reason=o.reason,
                    source=o.source,
                    until=o.until.isoformat() if o.until else None,
                )
                for number_id, o in state.opt_outs
                if o.active(now)
            ],
            "open_flags": [
                OpenFlag(flag=f, number_id=n) for f, n in sorted(state.open_flags, key=lambda x: (x[0], x[1] or ""))
            ],
        }


class LeadChanged(LeadState):
    status: str = Field(description="created, merged, duplicate, updated, unchanged, assigned …")

    @classmethod
    def of(cls, status: str, state: Lead, now: datetime) -> LeadChanged:
        return cls(status=status, **LeadState.fields_of(state, now))


class LeadCreated(LeadState):
    status: Literal["created", "merged", "duplicate"] | str
    reason: str | None = Field(description="why it was merged or found a duplicate")


class LeadDeleted(BaseModel):
    lead_id: str
    status: str


class PersonalDataErased(BaseModel):
    lead_id: str
    status: Literal["erased", "unchanged"]


# --- the read model ----------------------------------------------------------------------------


class DncState(BaseModel):
    until: str | None
    permanent: bool
    reason: str | None


class NumberSummary(BaseModel):
    """A number as lists show it: masked only."""

    number_id: str
    kind: NumberKind | str
    masked: str
    carrier: str | None
    region: str | None
    area: str | None
    timezone: str | None
    dnc: DncState | None


class DialableNumber(NumberSummary):
    """A number on the lead's own page: raw, to dial, with its attempts."""

    e164: str | None = Field(description="null once erased")
    attempts: int
    last_attempt_at: str | None
    last_disposition: str | None


class Flag(BaseModel):
    flag: str
    number_id: str | None
    call_id: str | None
    reason: str | None
    flagged_at: str | None
    resolved_at: str | None


class LeadSummary(BaseModel):
    lead_id: str
    name: str | None
    status: Literal["active", "merged", "deleted"] | str
    merged_into: str | None
    owner_agent_id: str | None
    owner_team_id: str | None
    tier: str | None
    industry: str | None
    region: str | None
    size: str | None
    source: str | None
    tags: list[str]
    timezone: str | None
    birth_year: int | None
    referred_by_lead_id: str | None
    dnc: DncState | None
    flagged: bool
    numbers: list[NumberSummary]
    attempts: int
    last_attempt_at: str | None
    last_contact_at: str | None
    created_at: str | None
    updated_at: str | None


class FlaggedLead(LeadSummary):
    flags: list[Flag]


class TierChange(BaseModel):
    tier: str | None
    previous_tier: str | None
    call_id: str | None
    disposition: str | None
    changed_at: str | None


class Assignment(BaseModel):
    owner_agent_id: str | None
    owner_team_id: str | None
    previous_agent_id: str | None
    reason: str | None
    assigned_at: str | None


class LeadCall(BaseModel):
    call_id: str
    number_id: str | None
    agent_id: str | None
    disposition: str | None
    connected: bool
    ended_at: str | None


class LeadDetail(LeadSummary):
    numbers: list[DialableNumber]  # type: ignore[assignment]  # the raw numbers, on this page only
    tier_history: list[TierChange]
    assignments: list[Assignment]
    flags: list[Flag]
    calls: list[LeadCall]


class LeadPage(Page[LeadSummary]):
    total: int = Field(description="leads matching the filter, all pages")


class StaleLeadPage(LeadPage):
    days: int = Field(description="not reached for this many days")


class FlaggedLeadPage(Page[FlaggedLead]):
    total: int


# --- imports -----------------------------------------------------------------------------------


class ImportQueued(BaseModel):
    import_id: str
    status: Literal["queued"]
    status_url: str | None = None


class ImportRow(BaseModel):
    row: int
    status: Literal["created", "merged", "duplicate", "rejected"] | str
    lead_id: str | None
    reason: str | None


class ImportRowPage(Page[ImportRow]):
    total: int


class ImportCounts(BaseModel):
    created: int
    merged: int
    duplicate: int
    rejected: int


class ImportJob(BaseModel):
    import_id: str
    filename: str | None
    status: str = Field(description="queued, running, done or failed")
    format: str | None
    encoding: str | None
    columns: Any = Field(description="how the file's columns were mapped")
    unmapped_columns: Any
    total_rows: int | None
    processed: int
    progress: float | None
    counts: ImportCounts
    error: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    rows: ImportRowPage | None = Field(default=None, description="with ?rows=: the per-row results, paged")


# --- the do-not-call list ----------------------------------------------------------------------


class DncEntry(BaseModel):
    entry_id: str
    kind: Literal["number", "lead"] | str
    lead_id: str | None
    number_id: str | None
    masked: str | None
    source: str
    reason: str | None
    until: str | None
    permanent: bool
    active: bool
    created_at: str | None
    removed_at: str | None


class DncPage(Page[DncEntry]):
    total: int


class DncAddedEntry(BaseModel):
    entry_id: str
    masked: str
    status: Literal["added", "unchanged"] | str
    leads: list[str] = Field(description="leads opted out for this number")


class DncAddedFromFile(DncAddedEntry):
    row: int


class DncRejectedRow(BaseModel):
    row: int
    reason: str


class DncAdded(BaseModel):
    until: str | None
    permanent: bool
    entries: list[DncAddedEntry]


class DncImported(BaseModel):
    until: str | None
    permanent: bool
    added: list[DncAddedFromFile]
    rejected: list[DncRejectedRow]


class DncRemoved(BaseModel):
    entry_id: str
    status: Literal["removed"]


# --- audit -------------------------------------------------------------------------------------


class AuditEntry(BaseModel):
    id: int
    read_at: str
    subject: str = Field(description="who read (the token's subject)")
    roles: list[str]
    lead_id: str
    fields: list[str] = Field(description="which personal fields were shown in clear")
    path: str
    client: str | None = Field(description="the caller's address, as the gateway saw it")


class AuditPage(Page[AuditEntry]):
    pass
