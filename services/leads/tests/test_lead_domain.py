"""The lead aggregate's rules, without I/O: tier transitions, merges, ownership, do-not-call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from common.events.base import DomainEvent
from common.events.leads import (
    LeadAssigned,
    LeadCreated,
    LeadFlagged,
    LeadMerged,
    LeadMergedInto,
    LeadNumber,
    LeadOptedOut,
    LeadProfile,
    LeadTierChanged,
    LeadUpdated,
)
from leads.domain.lead import (
    CallOutcome,
    InvalidCommand,
    Lead,
    LeadMergedAway,
    LeadNotFound,
    OwnershipConflict,
    decide_assign,
    decide_call_outcome,
    decide_merge,
    decide_opt_out,
    decide_update,
    evolve,
    merge_profile,
    replay,
)
from leads.domain.outcomes import OptOutDecision, count_clear_refusals, opt_out_for_call, tier_after

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def number(nid: str, digest: str, masked: str = "138****8000") -> LeadNumber:
    return LeadNumber(number_id=nid, masked=masked, number_digest=digest, carrier="China Mobile", region="CN")


def created(
    lead_id: str = "l-1",
    *,
    owner: str | None = None,
    team: str | None = "t-1",
    tier: str | None = None,
    numbers: list[LeadNumber] | None = None,
    **profile: object,
) -> Lead:
    event = LeadCreated(
        lead_id=lead_id,
        numbers=numbers or [number("n-1", "d1")],
        profile=LeadProfile.model_validate(profile),
        owner_agent_id=owner,
        owner_team_id=team,
        tier=tier,
        created_at=T0,
    )
    return replay(lead_id, [event])


def apply(state: Lead, events: list[DomainEvent]) -> Lead:
    for event in events:
        state = evolve(state, event)
    return state


# --- tiers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "disposition", "after"),
    [
        (None, "success", "success"),
        ("intent", "success", "success"),
        (None, "strong_interest", "strong_intent"),
        (None, "appointment", "strong_intent"),
        ("strong_intent", "interested", "intent"),  # reclassified after every call that tells
        ("intent", "refused", "declined"),
        ("success", "no_interest", "declined"),
        (None, "complaint", "declined"),
        (None, "no_answer", "unreachable"),
        (None, "busy", "unreachable"),
        (None, "invalid_number", "unreachable"),
        ("intent", "no_answer", "intent"),  # a missed call does not erase an intent
        ("strong_intent", "busy", "strong_intent"),
        ("declined", "callback", "declined"),
        (None, "callback", None),
        ("unreachable", "interested", "intent"),
    ],
)
def test_tier_transitions(current: str | None, disposition: str, after: str | None) -> None:
    assert tier_after(current, disposition) == after  # type: ignore[arg-type]


def test_a_call_changes_the_tier_once_and_records_the_call() -> None:
    state = created(tier="intent")
    outcome = CallOutcome("c-1", "success", T0 + timedelta(hours=1))
    events = decide_call_outcome(state, outcome)
    assert len(events) == 1 and isinstance(events[0], LeadTierChanged)
    change = events[0]
    assert (change.tier, change.previous_tier, change.call_id, change.disposition) == (
        "success",
        "intent",
        "c-1",
        "success",
    )
    state = apply(state, events)
    assert state.tier == "success"
    assert decide_call_outcome(state, outcome) == []  # the same call again: nothing


def test_wrong_person_and_invalid_number_flag_the_lead_for_clean_up() -> None:
    state = created()
    events = decide_call_outcome(state, CallOutcome("c-1", "wrong_person", T0))
    expected: list[type[DomainEvent]] = [LeadTierChanged, LeadFlagged]  # unannotated, mypy joins them wrongly
    assert [type(e) for e in events] == expected
    flag = events[1]
    assert isinstance(flag, LeadFlagged) and flag.flag == "wrong_person" and flag.call_id == "c-1"
    state = apply(state, events)
    events = decide_call_outcome(state, CallOutcome("c-2", "invalid_number", T0, number_id="n-1"))
    assert [(e.flag, e.number_id) for e in events if isinstance(e, LeadFlagged)] == [("invalid_number", "n-1")]
    state = apply(state, events)
    # flagged already: a second wrong-person call does not flag twice
    assert decide_call_outcome(state, CallOutcome("c-3", "wrong_person", T0)) == []


# --- do-not-call from calls ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "turns", "expected"),
    [
        ("do_not_call", [], ("customer_request", False)),
        ("refused", ["以后别再打了"], ("customer_request", False)),
        ("refused", ["不需要", "我说了不需要", "真的不用了,谢谢"], ("refusals", False)),
        ("no_interest", ["不需要", "没兴趣", "不考虑"], ("refusals", False)),
        ("refused", ["不需要"], ("rest", True)),
        ("interested", ["不需要", "嗯,可以"], None),
        ("success", [], None),
    ],
)
def test_opt_out_for_call(disposition: str, turns: list[str], expected: tuple[str, bool] | None) -> None:
    decision = opt_out_for_call(disposition, turns)
    assert (None if decision is None else (decision.source, decision.rest)) == expected


def test_refusals_are_counted_once_per_turn() -> None:
    assert count_clear_refusals(["不要不要不要", "好的"]) == 1


def test_a_refusal_rests_the_lead_and_three_refusals_opt_it_out_for_good() -> None:
    state = created()
    rest = OptOutDecision("refused", "rest", rest=True)
    until = T0 + timedelta(days=30)
    events = decide_call_outcome(state, CallOutcome("c-1", "refused", T0, opt_out=rest, rest_until=until))
    opted = [e for e in events if isinstance(e, LeadOptedOut)]
    assert len(opted) == 1 and opted[0].until == until and opted[0].masked == "138****8000"
    assert opted[0].call_id == "c-1"
    state = apply(state, events)
    permanent = OptOutDecision("3 refusals", "refusals", rest=False)
    events = decide_call_outcome(state, CallOutcome("c-2", "refused", T0, opt_out=permanent))
    opted = [e for e in events if isinstance(e, LeadOptedOut)]
    assert len(opted) == 1 and opted[0].until is None and opted[0].source == "refusals"
    state = apply(state, events)
    # permanent already: a later rest adds nothing
    assert not [
        e
        for e in decide_call_outcome(state, CallOutcome("c-3", "refused", T0, opt_out=rest, rest_until=until))
        if isinstance(e, LeadOptedOut)
    ]


def test_opt_out_is_idempotent_and_a_longer_one_supersedes() -> None:
    state = created()
    until = T0 + timedelta(days=30)
    events = decide_opt_out(state, now=T0, reason="rest", source="rest", until=until)
    state = apply(state, events)
    assert decide_opt_out(state, now=T0, reason="rest", source="rest", until=until) == []
    assert decide_opt_out(state, now=T0, reason="rest", source="rest", until=T0 + timedelta(days=1)) == []
    longer = decide_opt_out(state, now=T0, reason="asked", source="customer_request", until=None)
    assert len(longer) == 1
    # an expired rest no longer counts
    assert (
        len(
            decide_opt_out(
                state,
                now=until + timedelta(seconds=1),
                reason="r",
                source="rest",
                until=until + timedelta(days=30),
            )
        )
        == 1
    )
    with pytest.raises(InvalidCommand) as caught:
        decide_opt_out(state, now=T0, reason="r", source="manual", number_id="n-404")
    assert caught.value.field == "number_id"


# --- ownership -------------------------------------------------------------------------------------


def test_claiming_an_owned_lead_is_refused_with_the_owner_named() -> None:
    state = created(owner="a-1", team="t-1")
    with pytest.raises(OwnershipConflict) as caught:
        decide_assign(state, "claim", now=T0, agent_id="a-2")
    assert caught.value.owner_agent_id == "a-1" and caught.value.owner_team_id == "t-1"
    with pytest.raises(OwnershipConflict):
        decide_assign(state, "assign", now=T0, agent_id="a-2")
    assert decide_assign(state, "claim", now=T0, agent_id="a-1") == []  # mine already


def test_claim_reassign_release() -> None:
    state = created(owner=None, team="t-1")
    events = decide_assign(state, "claim", now=T0, agent_id="a-1")
    assert isinstance(events[0], LeadAssigned) and events[0].reason == "claimed"
    state = apply(state, events)
    events = decide_assign(state, "reassign", now=T0, agent_id="a-2", team_id="t-2")
    assert isinstance(events[0], LeadAssigned)
    assert (events[0].previous_agent_id, events[0].owner_agent_id, events[0].owner_team_id) == (
        "a-1",
        "a-2",
        "t-2",
    )
    state = apply(state, events)
    with pytest.raises(OwnershipConflict):
        decide_assign(state, "release", now=T0, agent_id="a-1")  # not a-1's to release
    events = decide_assign(state, "release", now=T0, agent_id="a-2")
    state = apply(state, events)
    assert (state.owner_agent_id, state.owner_team_id) == (None, "t-2")  # back to the team pool
    assert decide_assign(state, "release", now=T0) == []
    with pytest.raises(InvalidCommand):
        decide_assign(state, "claim", now=T0)


def test_commands_on_unknown_or_merged_leads() -> None:
    with pytest.raises(LeadNotFound):
        decide_assign(Lead("l-x"), "claim", now=T0, agent_id="a-1")
    merged = apply(created(), [LeadMergedInto(lead_id="l-1", into_lead_id="l-2", merged_at=T0)])
    with pytest.raises(LeadMergedAway) as caught:
        decide_assign(merged, "claim", now=T0, agent_id="a-1")
    assert caught.value.into_lead_id == "l-2"


# --- merges --------------------------------------------------------------------------------------


def test_the_same_person_again_fills_gaps_and_adds_numbers_only() -> None:
    state = created(industry="教育", tags=["vip"])
    again = LeadProfile(industry="金融", region="广东省", tags=["vip", "回访"])
    events = decide_update(state, now=T0, numbers=[number("n-2", "d2", "010****5678")], profile=again)
    assert len(events) == 1 and isinstance(events[0], LeadUpdated)
    state = apply(state, events)
    assert state.profile.industry == "教育"  # not overwritten by an import
    assert state.profile.region == "广东省"  # the gap filled
    assert state.profile.tags == ["vip", "回访"]
    assert [n.number_id for n in state.numbers] == ["n-1", "n-2"]
    # the same again: nothing
    assert decide_update(state, now=T0, numbers=[number("n-3", "d2")], profile=again) == []


def test_an_edit_overwrites_given_fields() -> None:
    current = LeadProfile(industry="教育", tags=["a"])
    edited = merge_profile(current, LeadProfile(industry="金融", tags=[]), overwrite=True, given={"industry", "tags"})
    assert edited.industry == "金融" and edited.tags == []


def test_merge_unites_numbers_keeps_the_owner_and_surfaces_a_conflict() -> None:
    survivor = created("l-1", owner="a-1", tier="intent", numbers=[number("n-1", "d1")])
    absorbed = created(
        "l-2",
        owner="a-2",
        tier="declined",
        numbers=[number("n-2", "d2"), number("n-9", "d1")],
        industry="教育",
    )
    absorbed = apply(absorbed, decide_opt_out(absorbed, now=T0, reason="asked", source="customer_request"))
    mine, theirs = decide_merge(survivor, absorbed, now=T0)
    merged = next(e for e in mine if isinstance(e, LeadMerged))
    assert merged.merged_lead_id == "l-2"
    assert [n.number_id for n in merged.numbers] == ["n-1", "n-2"]  # d1 once
    conflict = [e for e in mine if isinstance(e, LeadFlagged)]
    assert conflict and conflict[0].flag == "ownership_conflict" and "a-2" in (conflict[0].reason or "")
    assert [e for e in mine if isinstance(e, LeadOptedOut)]  # a do-not-call survives the merge
    assert not [e for e in mine if isinstance(e, LeadTierChanged)]  # the survivor's tier kept
    assert [type(e) for e in theirs] == [LeadMergedInto]
    survivor = apply(survivor, mine)
    assert survivor.owner_agent_id == "a-1" and survivor.profile.industry == "教育"
    # resumed after the tombstone: the survivor's side is idempotent
    absorbed_gone = apply(absorbed, theirs)
    assert decide_merge(survivor, absorbed_gone, now=T0) == ([], [])


def test_merge_gives_an_unowned_survivor_the_absorbed_owner() -> None:
    survivor = created("l-1", owner=None)
    absorbed = created("l-2", owner="a-2", team="t-2", tier="intent")
    mine, _ = decide_merge(survivor, absorbed, now=T0)
    survivor = apply(survivor, mine)
    assert (survivor.owner_agent_id, survivor.owner_team_id, survivor.tier) == ("a-2", "t-2", "intent")


def test_a_lead_cannot_absorb_itself() -> None:
    state = created()
    with pytest.raises(InvalidCommand):
        decide_merge(state, state, now=T0)
