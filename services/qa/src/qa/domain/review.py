"""The review of a finding as a pure decision: open → confirmed | dismissed.

Only a confirmed finding carries fines: ``FineAssessed`` for the agent and for the supervisor
(the rule's fines), and for a complaint's finding the complaint deduction of the team (domain
section 4). A confirmed finding under a rule with ``voids_sale`` (QA-11, QA-12) on a call that
recorded a sale also voids the sale and requests a rework callback for the agent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from common.events.base import DomainEvent
from common.events.qa import (
    FineAssessed,
    ReworkCallbackRequested,
    SaleVoided,
    ViolationConfirmed,
    ViolationDismissed,
)

from qa.domain.ids import event_id, fine_id

Status = Literal["open", "confirmed", "dismissed"]
Action = Literal["confirm", "dismiss"]
_RESULT: dict[str, Status] = {"confirm": "confirmed", "dismiss": "dismissed"}


@dataclass(frozen=True, slots=True)
class ViolationState:
    violation_id: str
    call_id: str
    rule: str
    status: Status
    agent_id: str
    team_id: str | None = None
    supervisor_id: str | None = None
    campaign_id: str | None = None
    lead_id: str | None = None
    fine_agent: int = 0
    fine_supervisor: int = 0
    penalty: str | None = None
    reviewer: str | None = None
    comment: str | None = None
    complaint_id: str | None = None
    complaint_deduction: int = 0
    call_day: date | None = None
    voids_sale: bool = False
    sale_recorded: bool = False


class ReviewError(Exception):
    """A request the review cannot accept; ``status`` is the HTTP status, ``field`` the field at fault."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Decision:
    status: Status
    events: list[tuple[DomainEvent, str]]  # (event, deterministic event id)


def decide_review(
    state: ViolationState, action: Action, *, reviewer: str, comment: str | None, now: datetime
) -> Decision:
    """What reviewing ``state`` with ``action`` produces. Repeating the same decision by the same
    reviewer is a no-op (a retried request); any other decision on a reviewed finding is a 409."""
    reviewer = reviewer.strip()
    if not reviewer:
        raise ReviewError(422, "a reviewer is required", "reviewer")
    comment = (comment or "").strip() or None
    if action == "dismiss" and comment is None:
        raise ReviewError(422, "a dismissal needs a comment saying why", "comment")
    wanted = _RESULT[action]
    if state.status != "open":
        if state.status == wanted and state.reviewer == reviewer:
            return Decision(state.status, [])
        raise ReviewError(
            409, f"violation {state.violation_id} is already {state.status} by {state.reviewer}", "status"
        )
    common = {
        "violation_id": state.violation_id,
        "call_id": state.call_id,
        "rule": state.rule,
        "agent_id": state.agent_id,
        "team_id": state.team_id,
        "supervisor_id": state.supervisor_id,
        "campaign_id": state.campaign_id,
        "call_day": state.call_day,
        "reviewer": reviewer,
        "comment": comment,
    }
    vid = state.violation_id
    if action == "dismiss":
        return Decision(
            "dismissed", [(ViolationDismissed(**common, dismissed_at=now), event_id("ViolationDismissed", vid))]
        )
    events: list[tuple[DomainEvent, str]] = [
        (
            ViolationConfirmed(
                **common, confirmed_at=now, fine_agent=state.fine_agent, fine_supervisor=state.fine_supervisor
            ),
            event_id("ViolationConfirmed", vid),
        )
    ]
    events.extend((f, event_id("FineAssessed", f.fine_id)) for f in fines_for(state, now))
    if state.voids_sale and state.sale_recorded:
        events.append(
            (
                SaleVoided(
                    call_id=state.call_id,
                    violation_id=vid,
                    rule=state.rule,
                    agent_id=state.agent_id,
                    team_id=state.team_id,
                    campaign_id=state.campaign_id,
                    lead_id=state.lead_id,
                    call_day=state.call_day,
                    voided_at=now,
                ),
                event_id("SaleVoided", state.call_id, vid),
            )
        )
        if state.lead_id:
            events.append(
                (
                    ReworkCallbackRequested(
                        call_id=state.call_id,
                        violation_id=vid,
                        lead_id=state.lead_id,
                        agent_id=state.agent_id,
                        team_id=state.team_id,
                        campaign_id=state.campaign_id,
                        rule=state.rule,
                        reason=f"rework:{state.rule}",
                        requested_at=now,
                    ),
                    event_id("ReworkCallbackRequested", state.call_id, vid),
                )
            )
    return Decision("confirmed", events)


def fines_for(state: ViolationState, now: datetime) -> list[FineAssessed]:
    base = {
        "violation_id": state.violation_id,
        "call_id": state.call_id,
        "rule": state.rule,
        "agent_id": state.agent_id,
        "team_id": state.team_id,
        "campaign_id": state.campaign_id,
        "complaint_id": state.complaint_id,
        "call_day": state.call_day,
        "assessed_at": now,
    }
    out: list[FineAssessed] = []
    if state.fine_agent > 0:
        out.append(
            FineAssessed(
                fine_id=fine_id(state.violation_id, "agent"),
                payee="agent",
                payee_id=state.agent_id,
                amount=state.fine_agent,
                penalty=state.penalty,
                **base,
            )
        )
    if state.fine_supervisor > 0 and state.supervisor_id:
        out.append(
            FineAssessed(
                fine_id=fine_id(state.violation_id, "supervisor"),
                payee="supervisor",
                payee_id=state.supervisor_id,
                amount=state.fine_supervisor,
                penalty=state.penalty,
                **base,
            )
        )
    if state.complaint_deduction > 0 and state.team_id:
        out.append(
            FineAssessed(
                fine_id=fine_id(state.violation_id, "team", "complaint_deduction"),
                payee="team",
                payee_id=state.team_id,
                amount=state.complaint_deduction,
                kind="complaint_deduction",
                penalty="投诉扣款",
                **base,
            )
        )
    return out
