"""Events owned by the QA service (stream ``QA``)."""

from __future__ import annotations

from common.events.base import DomainEvent, register


@register
class ViolationFound(DomainEvent):
    owner = "qa"
    violation_id: str
    call_id: str
    rule: str
    severity: str
    agent_id: str
    team_id: str | None = None
    supervisor_id: str | None = None
    campaign_id: str | None = None
    fine_agent: int = 0
    fine_supervisor: int = 0
    turn: int | None = None
    evidence: str | None = None
    reason: str | None = None
    policy_version: str | None = None

    def aggregate_id(self) -> str:
        return self.violation_id
