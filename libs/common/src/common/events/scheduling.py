"""Events owned by the scheduling service (stream ``SCHEDULING``)."""

from __future__ import annotations

from datetime import datetime

from common.events.base import DomainEvent, register


@register
class CallbackDue(DomainEvent):
    owner = "scheduling"
    callback_id: str
    lead_id: str
    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None
    due_at: datetime
    reason: str
    attempt: int = 1

    def aggregate_id(self) -> str:
        return self.callback_id
