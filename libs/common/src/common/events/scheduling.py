"""Events owned by the scheduling service (stream ``SCHEDULING``).

One aggregate per callback: ``tm.scheduling.<callback id>.<EventType>``. The lifecycle is
scheduled → due → done / missed, or cancelled at any point before done; a due callback may be
released to the team (owner absent, or overdue) and a scheduled one rescheduled.

Times are UTC instants; ``local_due`` (the customer's wall-clock time, ISO with offset) and
``timezone`` are given for display. ``reason`` is the rule that produced the callback
(``callback`` / ``no_answer`` / ``dropped`` / ``inbound_followup`` / ``interested`` /
``strong_interest`` / ``refusal`` / ``appointment_confirmation`` / ``after_sale``);
``adjustment`` says why the due time differs from what the rule asked for (a rest time, a lunch
break, a holiday), ``None`` when it was honoured exactly.
"""

from __future__ import annotations

from datetime import datetime

from common.events.base import DomainEvent, register


class _CallbackEvent(DomainEvent):
    owner = "scheduling"
    callback_id: str
    lead_id: str

    def aggregate_id(self) -> str:
        return self.callback_id


@register
class CallbackScheduled(_CallbackEvent):
    agent_id: str | None = None
    team_id: str | None = None
    campaign_id: str | None = None
    reason: str
    due_at: datetime
    requested_at: datetime  # what the rule asked for, before the calling window moved it
    adjustment: str | None = None
    exact: bool = False  # an agreed time (时间一定要确定): honoured exactly when allowed
    attempt: int = 1
    cycle: int = 1
    source_call_id: str | None = None
    timezone: str | None = None
    local_due: str | None = None
    policy_version: str | None = None
    scheduled_at: datetime


@register
class CallbackRescheduled(_CallbackEvent):
    due_at: datetime
    previous_due_at: datetime
    reason: str  # api | window | do_not_call_until | lead_timezone_changed …
    adjustment: str | None = None
    local_due: str | None = None
    rescheduled_at: datetime


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
    # Added by the scheduling service (optional for older readers).
    fired_at: datetime | None = None
    revision: int | None = None
    local_due: str | None = None
    timezone: str | None = None
    released: bool = False  # True: any agent of the team may take it

    def aggregate_id(self) -> str:
        return self.callback_id


@register
class CallbackReleased(_CallbackEvent):
    """The callback leaves its owner agent and goes to the team pool."""

    previous_agent_id: str | None = None
    team_id: str | None = None
    reason: str  # agent_absent | overdue | lead_released
    released_at: datetime


@register
class CallbackDone(_CallbackEvent):
    call_id: str
    agent_id: str | None = None
    done_at: datetime


@register
class CallbackMissed(_CallbackEvent):
    due_at: datetime
    agent_id: str | None = None
    missed_at: datetime


@register
class CallbackCancelled(_CallbackEvent):
    reason: str  # opted_out | sold | superseded | refused | complaint | invalid_number | api …
    superseded_by: str | None = None
    cancelled_at: datetime
