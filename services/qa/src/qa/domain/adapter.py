"""``CallEnded`` (what the calls service publishes) → the rules' input, the partner's
``CallRecord`` (``common.events.partner``), with the event's own campaign, agent and turns.

The event carries no name and no raw number of the customer: the record's lead gets the lead
id, the birth year and the keyed name digest, which the bare-name check (QA-01) matches with the
PII key (``qa.rules.names``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from common.events.calls import CallEnded, TranscriptTurn
from common.events.partner import CallRecord, LeadInRecord
from common.timeutil import as_utc

from qa.rules.context import get_tz


def turns_data(turns: Sequence[TranscriptTurn]) -> list[dict[str, Any]]:
    return [t.model_dump(mode="json") for t in turns]


def record_from_call_ended(event: CallEnded, turns: Sequence[TranscriptTurn] | None = None) -> CallRecord:
    """The call as the rules see it; ``turns`` replaces the event's own (a later transcript)."""
    return CallRecord(
        call_id=event.call_id,
        direction=event.direction,
        campaign=event.campaign,
        agent=event.agent,
        lead=LeadInRecord(
            id=event.customer.lead_id,
            name_digest=event.customer.name_digest,
            birth_year=event.customer.birth_year,
        ),
        caller_number=event.caller_number,
        placed_at=as_utc(event.placed_at),
        answered_at=as_utc(event.answered_at),
        ended_at=as_utc(event.ended_at),
        ring_count=event.ring_count,
        hangup_by=event.hangup_by,
        eligibility=event.eligibility,
        disposition=event.disposition,
        callback_at=as_utc(event.callback_at),
        turns=list(event.turns if turns is None else turns),
    )


def call_day(placed_at: datetime, timezone: str) -> date:
    """The call's day in the policy's timezone (what 'findings by day' means)."""
    return (as_utc(placed_at) or placed_at).astimezone(get_tz(timezone)).date()


def local_time(placed_at: datetime, timezone: str) -> datetime:
    return (as_utc(placed_at) or placed_at).astimezone(get_tz(timezone))


def sale_recorded(event: CallEnded) -> bool:
    """Whether the call recorded a sale: the disposition's ``sale`` flag, or ``success``."""
    if event.disposition_flags is not None:
        return "sale" in event.disposition_flags
    return event.disposition == "success"
