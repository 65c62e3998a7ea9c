"""The lead aggregate: a pure function of its events, and the decisions taken on it.

Nothing here does I/O. A command handler loads the lead's events, ``replay``s them into a
``Lead``, calls a ``decide_*`` function, and appends what it returns with optimistic concurrency.
Decisions are idempotent on the state: deciding the same thing twice returns no events the
second time, which is what makes a re-run import or a redelivered ``CallEnded`` harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from common.events.base import DomainEvent
from common.events.leads import (
    LeadAssigned,
    LeadCreated,
    LeadDeleted,
    LeadFlagged,
    LeadFlagResolved,
    LeadMerged,
    LeadMergedInto,
    LeadNumber,
    LeadOptedOut,
    LeadOptOutLifted,
    LeadPersonalDataErased,
    LeadProfile,
    LeadTierChanged,
    LeadUpdated,
)

from leads.domain.outcomes import FLAG_OF_DISPOSITION, IntentTier, OptOutDecision, tier_after

AssignAction = Literal["claim", "assign", "reassign", "release"]


class LeadError(Exception):
    """A command the lead refuses; the API turns each subclass into its status code."""


class LeadNotFound(LeadError):
    pass


class OwnershipConflict(LeadError):
    """撞单: the lead is someone else's. Carries the owner so the refusal can name them."""

    def __init__(self, lead_id: str, owner_agent_id: str, owner_team_id: str | None) -> None:
        super().__init__(f"lead {lead_id} is owned by agent {owner_agent_id}")
        self.lead_id = lead_id
        self.owner_agent_id = owner_agent_id
        self.owner_team_id = owner_team_id


class LeadMergedAway(LeadError):
    def __init__(self, lead_id: str, into_lead_id: str) -> None:
        super().__init__(f"lead {lead_id} was merged into {into_lead_id}")
        self.lead_id = lead_id
        self.into_lead_id = into_lead_id


class InvalidCommand(LeadError):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class OptOut:
    reason: str
    source: str
    until: datetime | None
    at: datetime

    def active(self, now: datetime) -> bool:
        return self.until is None or self.until > now


@dataclass(frozen=True, slots=True)
class Lead:
    lead_id: str
    created: bool = False
    merged_into: str | None = None
    numbers: tuple[LeadNumber, ...] = ()
    profile: LeadProfile = field(default_factory=LeadProfile)
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    tier: IntentTier | None = None
    # number_id -> opt-out; the key None is the whole lead
    opt_outs: tuple[tuple[str | None, OptOut], ...] = ()
    open_flags: frozenset[tuple[str, str | None]] = frozenset()
    calls: frozenset[str] = frozenset()  # calls whose outcome has been applied
    merged_from: frozenset[str] = frozenset()  # leads merged into this one
    deleted: bool = False
    # Its personal data was erased (its key destroyed): the numbers are gone for good.
    erased: bool = False

    def number(self, number_id: str) -> LeadNumber | None:
        return next((n for n in self.numbers if n.number_id == number_id), None)

    def opt_out(self, number_id: str | None) -> OptOut | None:
        return dict(self.opt_outs).get(number_id)

    def require_live(self) -> None:
        if not self.created or self.deleted:
            raise LeadNotFound(self.lead_id)
        if self.merged_into is not None:
            raise LeadMergedAway(self.lead_id, self.merged_into)


# --- evolve ---------------------------------------------------------------------------------


def replay(lead_id: str, events: Iterable[DomainEvent]) -> Lead:
    state = Lead(lead_id)
    for event in events:
        state = evolve(state, event)
    return state


def _with_call(state: Lead, call_id: str | None) -> frozenset[str]:
    return state.calls | {call_id} if call_id else state.calls


def evolve(state: Lead, event: DomainEvent) -> Lead:
    if isinstance(event, LeadCreated):
        return replace(
            state,
            created=True,
            numbers=tuple(event.numbers),
            profile=event.profile,
            owner_agent_id=event.owner_agent_id,
            owner_team_id=event.owner_team_id,
            tier=event.tier,
        )
    if isinstance(event, LeadUpdated):
        return replace(
            state,
            numbers=tuple(event.numbers) if event.numbers is not None else state.numbers,
            profile=event.profile if event.profile is not None else state.profile,
        )
    if isinstance(event, LeadMerged):
        return replace(state, numbers=tuple(event.numbers), merged_from=state.merged_from | {event.merged_lead_id})
    if isinstance(event, LeadMergedInto):
        return replace(state, merged_into=event.into_lead_id)
    if isinstance(event, LeadAssigned):
        return replace(state, owner_agent_id=event.owner_agent_id, owner_team_id=event.owner_team_id)
    if isinstance(event, LeadTierChanged):
        return replace(state, tier=event.tier, calls=_with_call(state, event.call_id))
    if isinstance(event, LeadOptedOut):
        opt_outs = dict(state.opt_outs)
        opt_outs[event.number_id] = OptOut(event.reason, event.source, event.until, event.opted_out_at)
        return replace(state, opt_outs=tuple(opt_outs.items()), calls=_with_call(state, event.call_id))
    if isinstance(event, LeadOptOutLifted):
        opt_outs = dict(state.opt_outs)
        opt_outs.pop(event.number_id, None)
        return replace(state, opt_outs=tuple(opt_outs.items()))
    if isinstance(event, LeadFlagged):
        return replace(
            state,
            open_flags=state.open_flags | {(event.flag, event.number_id)},
            calls=_with_call(state, event.call_id),
        )
    if isinstance(event, LeadDeleted):
        return replace(state, deleted=True)
    if isinstance(event, LeadFlagResolved):
        return replace(state, open_flags=state.open_flags - {(event.flag, event.number_id)})
    if isinstance(event, LeadPersonalDataErased):
        return replace(state, erased=True, numbers=())
    return state


# --- profiles and numbers -------------------------------------------------------------------

PROFILE_FIELDS = ("industry", "region", "size", "source", "timezone", "birth_year", "referred_by_lead_id")


def merge_profile(
    current: LeadProfile, incoming: LeadProfile, *, overwrite: bool, given: Iterable[str] | None = None
) -> LeadProfile:
    """``overwrite`` (an edit): the fields in ``given`` replace the current ones.
    Otherwise (the same person imported again): fill only what is still empty, add new tags."""
    data = current.model_dump()
    given_set = set(given) if given is not None else set(incoming.model_fields_set)
    for name in PROFILE_FIELDS:
        value = getattr(incoming, name)
        if overwrite:
            if name in given_set:
                data[name] = value
        elif data.get(name) in (None, "") and value not in (None, ""):
            data[name] = value
    if overwrite and "tags" in given_set:
        data["tags"] = _unique(incoming.tags)
    else:
        data["tags"] = _unique([*current.tags, *incoming.tags])
    return LeadProfile.model_validate(data)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        value = value.strip()
        if value:
            seen.setdefault(value, None)
    return list(seen)


def union_numbers(current: Sequence[LeadNumber], incoming: Sequence[LeadNumber]) -> tuple[LeadNumber, ...]:
    """Numbers of both, the same number (same digest) once, the current entry kept."""
    known = {n.number_digest for n in current}
    merged = list(current)
    for number in incoming:
        if number.number_digest not in known:
            merged.append(number)
            known.add(number.number_digest)
    return tuple(merged)


# --- decisions ------------------------------------------------------------------------------


def decide_create(
    lead_id: str,
    numbers: Sequence[LeadNumber],
    profile: LeadProfile,
    *,
    now: datetime,
    owner_agent_id: str | None = None,
    owner_team_id: str | None = None,
    tier: IntentTier | None = None,
    state: Lead | None = None,
) -> list[DomainEvent]:
    if state is not None and state.created:
        return []
    if not numbers:
        raise InvalidCommand("phones", "a lead needs at least one valid phone number")
    return [
        LeadCreated(
            lead_id=lead_id,
            numbers=list(numbers),
            profile=profile,
            owner_agent_id=owner_agent_id,
            owner_team_id=owner_team_id,
            tier=tier,
            created_at=now,
        )
    ]


def decide_update(
    state: Lead,
    *,
    now: datetime,
    numbers: Sequence[LeadNumber] = (),
    profile: LeadProfile | None = None,
    overwrite: bool = False,
    given: Iterable[str] | None = None,
    remove_number_ids: Iterable[str] = (),
) -> list[DomainEvent]:
    """An edit (``overwrite``) or the same person seen again (fill the gaps, add numbers)."""
    state.require_live()
    remove = set(remove_number_ids)
    unknown = remove - {n.number_id for n in state.numbers}
    if unknown:
        raise InvalidCommand("remove_number_ids", f"not numbers of this lead: {sorted(unknown)}")
    kept = tuple(n for n in state.numbers if n.number_id not in remove)
    new_numbers = union_numbers(kept, numbers)
    if not new_numbers:
        raise InvalidCommand("phones", "a lead needs at least one phone number")
    new_profile = merge_profile(state.profile, profile, overwrite=overwrite, given=given) if profile else state.profile
    numbers_changed = new_numbers != state.numbers
    profile_changed = new_profile != state.profile
    if not numbers_changed and not profile_changed:
        return []
    return [
        LeadUpdated(
            lead_id=state.lead_id,
            numbers=list(new_numbers) if numbers_changed else None,
            profile=new_profile if profile_changed else None,
            updated_at=now,
        )
    ]


def decide_assign(
    state: Lead,
    action: AssignAction,
    *,
    now: datetime,
    agent_id: str | None = None,
    team_id: str | None = None,
    referral: bool = False,
) -> list[DomainEvent]:
    """claim: an agent takes an unowned lead; assign: a supervisor gives an unowned lead;
    reassign: a supervisor moves an owned lead (the previous owner is recorded); release: back
    to the team pool. Claiming or assigning someone else's lead is refused with the owner named:
    two agents never work the same customer silently (撞单)."""
    state.require_live()
    owner = state.owner_agent_id
    team = team_id if team_id is not None else state.owner_team_id
    if action in ("claim", "assign", "reassign"):
        if not agent_id:
            raise InvalidCommand("agent_id", f"required to {action}")
        if owner == agent_id and team == state.owner_team_id:
            return []
        if owner is not None and owner != agent_id and action != "reassign":
            raise OwnershipConflict(state.lead_id, owner, state.owner_team_id)
        reason = {"claim": "claimed", "assign": "assigned", "reassign": "reassigned"}[action]
        if referral:
            reason = "referral"
        return [
            LeadAssigned(
                lead_id=state.lead_id,
                owner_agent_id=agent_id,
                owner_team_id=team,
                previous_agent_id=owner,
                reason=reason,
                assigned_at=now,
            )
        ]
    if action == "release":
        if owner is None:
            return []
        if agent_id is not None and agent_id != owner:
            raise OwnershipConflict(state.lead_id, owner, state.owner_team_id)
        return [
            LeadAssigned(
                lead_id=state.lead_id,
                owner_agent_id=None,
                owner_team_id=team,
                previous_agent_id=owner,
                reason="released",
                assigned_at=now,
            )
        ]
    raise InvalidCommand("action", f"unknown action {action!r}")


def _stronger_or_equal(existing: OptOut | None, until: datetime | None, now: datetime) -> bool:
    """An active opt-out that lasts at least as long as the new one makes it redundant."""
    if existing is None or not existing.active(now):
        return False
    if existing.until is None:
        return True
    return until is not None and existing.until >= until


def decide_opt_out(
    state: Lead,
    *,
    now: datetime,
    reason: str,
    source: str,
    until: datetime | None = None,
    number_id: str | None = None,
    call_id: str | None = None,
) -> list[DomainEvent]:
    state.require_live()
    number: LeadNumber | None = None
    if number_id is not None:
        number = state.number(number_id)
        if number is None:
            raise InvalidCommand("number_id", f"not a number of lead {state.lead_id}")
    if until is not None and until <= now:
        raise InvalidCommand("until", "must lie in the future")
    if _stronger_or_equal(state.opt_out(None), until, now) or _stronger_or_equal(state.opt_out(number_id), until, now):
        return []
    # A whole-lead opt-out shows the primary number, so a person reading the list knows who it is.
    shown = number or (state.numbers[0] if state.numbers else None)
    return [
        LeadOptedOut(
            lead_id=state.lead_id,
            number_id=number_id,
            reason=reason,
            source=source,
            until=until,
            opted_out_at=now,
            masked=shown.masked if shown else None,
            number_digest=shown.number_digest if shown else None,
            call_id=call_id,
        )
    ]


def decide_lift_opt_out(state: Lead, *, now: datetime, reason: str, number_id: str | None = None) -> list[DomainEvent]:
    state.require_live()
    if state.opt_out(number_id) is None:
        return []
    return [LeadOptOutLifted(lead_id=state.lead_id, number_id=number_id, reason=reason, lifted_at=now)]


def decide_flag(
    state: Lead,
    flag: str,
    *,
    now: datetime,
    number_id: str | None = None,
    call_id: str | None = None,
    reason: str | None = None,
) -> list[DomainEvent]:
    state.require_live()
    if (flag, number_id) in state.open_flags:
        return []
    return [
        LeadFlagged(
            lead_id=state.lead_id,
            number_id=number_id,
            flag=flag,
            call_id=call_id,
            flagged_at=now,
            reason=reason,
        )
    ]


def decide_resolve_flags(state: Lead, *, now: datetime, flags: Iterable[str] | None = None) -> list[DomainEvent]:
    state.require_live()
    wanted = set(flags) if flags is not None else None
    return [
        LeadFlagResolved(lead_id=state.lead_id, flag=flag, number_id=number_id, resolved_at=now)
        for flag, number_id in sorted(state.open_flags, key=lambda f: (f[0], f[1] or ""))
        if wanted is None or flag in wanted
    ]


def decide_delete(state: Lead, *, now: datetime, reason: str) -> list[DomainEvent]:
    if state.created and state.deleted:
        return []
    state.require_live()
    return [LeadDeleted(lead_id=state.lead_id, reason=reason, deleted_at=now)]


def decide_erase_personal_data(state: Lead, *, now: datetime, erased_by: str | None) -> list[DomainEvent]:
    """Erasure applies to any lead that ever existed (deleted or merged away too: their events
    still hold sealed personal data); erasing twice decides nothing the second time."""
    if not state.created:
        raise LeadNotFound(state.lead_id)
    if state.erased:
        return []
    return [LeadPersonalDataErased(lead_id=state.lead_id, erased_at=now, erased_by=erased_by)]


@dataclass(frozen=True, slots=True)
class CallOutcome:
    call_id: str
    disposition: str
    ended_at: datetime
    number_id: str | None = None  # the number dialled, when known
    opt_out: OptOutDecision | None = None
    rest_until: datetime | None = None  # when opt_out is a rest


def decide_call_outcome(state: Lead, outcome: CallOutcome) -> list[DomainEvent]:
    """The events a finished call adds to its lead: tier change (with the call recorded in the
    history), clean-up flag, do-not-call. Applied once per call."""
    if not state.created or state.deleted or state.merged_into is not None or outcome.call_id in state.calls:
        return []
    now = outcome.ended_at
    events: list[DomainEvent] = []
    tier = tier_after(state.tier, outcome.disposition)
    if tier is not None and tier != state.tier:
        events.append(
            LeadTierChanged(
                lead_id=state.lead_id,
                tier=tier,
                previous_tier=state.tier,
                call_id=outcome.call_id,
                disposition=outcome.disposition,
                changed_at=now,
            )
        )
    flag = FLAG_OF_DISPOSITION.get(outcome.disposition)
    if flag is not None:
        number_id = outcome.number_id if flag == "invalid_number" else None
        if (flag, number_id) not in state.open_flags:
            events.append(
                LeadFlagged(
                    lead_id=state.lead_id,
                    number_id=number_id,
                    flag=flag,
                    call_id=outcome.call_id,
                    flagged_at=now,
                    reason=f"call {outcome.call_id} ended {outcome.disposition}",
                )
            )
    if outcome.opt_out is not None:
        until = outcome.rest_until if outcome.opt_out.rest else None
        if not _stronger_or_equal(state.opt_out(None), until, now):
            shown = state.number(outcome.number_id) if outcome.number_id else None
            shown = shown or (state.numbers[0] if state.numbers else None)
            events.append(
                LeadOptedOut(
                    lead_id=state.lead_id,
                    number_id=None,
                    reason=outcome.opt_out.reason,
                    source=outcome.opt_out.source,
                    until=until,
                    opted_out_at=now,
                    call_id=outcome.call_id,
                    masked=shown.masked if shown else None,
                    number_digest=shown.number_digest if shown else None,
                )
            )
    return events


def decide_merge(survivor: Lead, absorbed: Lead, *, now: datetime) -> tuple[list[DomainEvent], list[DomainEvent]]:
    """The same person found under two leads: ``absorbed`` lives on as ``survivor``.

    Numbers are united, gaps in the profile filled, opt-outs carried over (a do-not-call never
    gets lost in a merge), and the intent tier kept unless the survivor has none. Two different
    owners are a conflict (撞单) that a person must settle: the survivor keeps its owner and is
    flagged ``ownership_conflict`` naming the other agent. Returns (survivor's, absorbed's)."""
    survivor.require_live()
    if survivor.lead_id == absorbed.lead_id:
        raise InvalidCommand("lead_id", "a lead cannot be merged into itself")
    if absorbed.lead_id in survivor.merged_from:
        return [], []
    if not absorbed.created:
        raise LeadNotFound(absorbed.lead_id)
    if absorbed.merged_into not in (None, survivor.lead_id):
        raise LeadMergedAway(absorbed.lead_id, absorbed.merged_into or "")
    numbers = union_numbers(survivor.numbers, absorbed.numbers)
    events: list[DomainEvent] = [
        LeadMerged(lead_id=survivor.lead_id, merged_lead_id=absorbed.lead_id, numbers=list(numbers), merged_at=now)
    ]
    profile = merge_profile(survivor.profile, absorbed.profile, overwrite=False)
    if profile != survivor.profile:
        events.append(LeadUpdated(lead_id=survivor.lead_id, profile=profile, updated_at=now))
    if survivor.owner_agent_id is None and absorbed.owner_agent_id is not None:
        events.append(
            LeadAssigned(
                lead_id=survivor.lead_id,
                owner_agent_id=absorbed.owner_agent_id,
                owner_team_id=absorbed.owner_team_id or survivor.owner_team_id,
                reason="merged",
                assigned_at=now,
            )
        )
    elif absorbed.owner_agent_id not in (None, survivor.owner_agent_id):
        events.append(
            LeadFlagged(
                lead_id=survivor.lead_id,
                flag="ownership_conflict",
                flagged_at=now,
                reason=f"merged lead {absorbed.lead_id} was owned by agent {absorbed.owner_agent_id}; "
                f"this lead is owned by agent {survivor.owner_agent_id}",
            )
        )
    if survivor.tier is None and absorbed.tier is not None:
        events.append(
            LeadTierChanged(
                lead_id=survivor.lead_id,
                tier=absorbed.tier,
                previous_tier=None,
                disposition="merged",
                changed_at=now,
            )
        )
    for number_id, opt_out in absorbed.opt_outs:
        if opt_out.active(now) and not _stronger_or_equal(survivor.opt_out(number_id), opt_out.until, now):
            shown = absorbed.number(number_id) if number_id else None
            events.append(
                LeadOptedOut(
                    lead_id=survivor.lead_id,
                    number_id=number_id,
                    reason=opt_out.reason,
                    source=opt_out.source,
                    until=opt_out.until,
                    opted_out_at=now,
                    masked=shown.masked if shown else None,
                    number_digest=shown.number_digest if shown else None,
                )
            )
    if absorbed.merged_into == survivor.lead_id:  # the tombstone is written already (a resumed merge)
        return events, []
    return events, [LeadMergedInto(lead_id=absorbed.lead_id, into_lead_id=survivor.lead_id, merged_at=now)]
