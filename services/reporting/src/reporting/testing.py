"""Helpers for tests and benchmarks: the events the calls, scheduling and QA services publish,
built as they build them, and whether the reporting projection has caught up with its streams."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.events.base import DomainEvent, event_class, registered_types
from common.events.calls import AgentRef, CallEnded, CallPlaced, CampaignRef, CustomerRef
from common.events.scheduling import CallbackDue, CallbackScheduled
from common.projection import checkpoint_key, read_checkpoint

from reporting.context import ReportingRuntime

# agent -> (team, campaign)
AGENTS = {"a-1": ("t-1", "cm-A"), "a-2": ("t-1", "cm-B"), "a-3": ("t-2", "cm-A")}
# The disposition flags of the calls service's catalogue.
FLAGS = {
    "no_answer": [],
    "no_interest": ["human_answered", "customer_contact"],
    "wrong_person": ["human_answered", "unworkable"],
    "interested": ["human_answered", "customer_contact", "interested"],
    "appointment": ["human_answered", "customer_contact", "interested"],
    "success": ["human_answered", "customer_contact", "interested", "sale", "final"],
    "complaint": ["human_answered", "customer_contact", "do_not_call", "final"],
}


def call_events(
    call_id: str,
    agent: str,
    placed: str,
    disposition: str,
    talk: float,
    *,
    flags: bool = True,
    placed_event: bool = True,
    ended: str | None = None,
) -> list[DomainEvent]:
    """CallPlaced and CallEnded of one call (``ended`` defaults to placed + talk)."""
    team, campaign = AGENTS[agent]
    placed_at = datetime.fromisoformat(placed)
    fields: dict[str, Any] = {
        "call_id": call_id,
        "campaign": CampaignRef(id=campaign),
        "agent": AgentRef(id=agent, team=team),
        "customer": CustomerRef(lead_id=f"l-{call_id}"),
        "placed_at": placed_at,
    }
    answered = disposition != "no_answer"
    end = CallEnded(
        **fields,
        answered_at=placed_at if answered else None,
        ended_at=datetime.fromisoformat(ended) if ended else placed_at + timedelta(seconds=talk),
        hangup_by="customer",
        disposition=disposition,
        talk_seconds=talk,
        disposition_flags=FLAGS[disposition] if flags else None,
    )
    return [CallPlaced(**fields), end] if placed_event else [end]


def qa(event_type: str, **fields: Any) -> DomainEvent:
    if event_type not in registered_types():
        import pytest

        pytest.skip(f"the QA event contract has no {event_type} yet")
    return event_class(event_type).model_validate(fields)


def violation(vid: str, call_id: str, agent: str, rule: str, **extra: Any) -> DomainEvent:
    team, campaign = AGENTS[agent]
    return qa(
        "ViolationFound",
        violation_id=vid,
        call_id=call_id,
        rule=rule,
        severity="major",
        agent_id=agent,
        team_id=team,
        campaign_id=campaign,
        **extra,
    )


def review(kind: str, vid: str, call_id: str, agent: str, rule: str) -> DomainEvent:
    at = "confirmed_at" if kind == "ViolationConfirmed" else "dismissed_at"
    return qa(
        kind,
        violation_id=vid,
        call_id=call_id,
        rule=rule,
        agent_id=agent,
        team_id=AGENTS[agent][0],
        reviewer="qa-1",
        comment="checked",
        **{at: "2026-11-21T02:00:00Z"},
    )


def fine(vid: str, call_id: str, agent: str, payee: str, amount: int, kind: str = "fine") -> DomainEvent:
    return qa(
        "FineAssessed",
        fine_id=f"{vid}-{payee}",
        violation_id=vid,
        call_id=call_id,
        rule="QA-05",
        payee=payee,
        payee_id=agent,
        amount=amount,
        kind=kind,
        agent_id=agent,
        team_id=AGENTS[agent][0],
        assessed_at="2026-11-21T02:00:00Z",
    )


def callback(cb: str, agent: str, due: str) -> CallbackScheduled:
    team, campaign = AGENTS[agent]
    due_at = datetime.fromisoformat(due)
    return CallbackScheduled(
        callback_id=cb,
        lead_id=f"l-{cb}",
        agent_id=agent,
        team_id=team,
        campaign_id=campaign,
        reason="callback",
        due_at=due_at,
        requested_at=due_at,
        scheduled_at=due_at,
    )


def due(cb: str, agent: str, at: str) -> CallbackDue:
    team, campaign = AGENTS[agent]
    return CallbackDue(
        callback_id=cb,
        lead_id=f"l-{cb}",
        agent_id=agent,
        team_id=team,
        campaign_id=campaign,
        due_at=datetime.fromisoformat(at),
        reason="callback",
    )


async def caught_up(runtime: ReportingRuntime) -> bool:
    """Every stream's last event is behind the projection's checkpoint."""
    async with runtime.session_factory() as session:
        for owner in ("calls", "scheduling", "qa"):
            stream = runtime.names.stream(owner)
            last = (await runtime.jetstream.stream_info(stream)).state.last_seq
            if await read_checkpoint(session, checkpoint_key("reporting-figures", stream)) < last:
                return False
    return True
