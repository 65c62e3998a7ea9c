"""The partner's finished-call record (domain.md section 6): one shape for calls and QA."""

from __future__ import annotations

from typing import Any

import pytest
from common.events.calls import AgentRef, CampaignRef, HoldPeriod, SpeechTurn
from common.events.partner import CallRecord
from pydantic import ValidationError


def section_6(**changes: Any) -> dict[str, Any]:
    """A record in the shape of domain.md section 6."""
    campaign = {"id": "tours-2026q4", "brand": "悠途", "authorized_brands": ["悠途旅行社"], "price_on_phone": False}
    turns = [
        {"speaker": "agent", "start_s": 0.0, "end_s": 3.5, "text": "您好,我是悠途旅行社的小周。"},
        {"speaker": "customer", "start_s": 3.8, "end_s": 4.4, "text": "嗯,你说。"},
        {"hold": True, "start_s": 40.0, "end_s": 70.0},
    ]
    record: dict[str, Any] = {
        "call_id": "c-77",
        "campaign": campaign,
        "agent": {"id": "a-7", "team": "t-2"},
        "lead": {"id": "l-77", "name": "周敏", "phone": "+8613700137000", "birth_year": 1961},
        "caller_number": "+8613600136000",
        "placed_at": "2026-11-24T15:20:00+08:00",
        "answered_at": "2026-11-24T15:20:09+08:00",
        "ended_at": "2026-11-24T15:23:37+08:00",
        "hangup_by": "agent",
        "disposition": "interested",
        "turns": turns,
    }
    record.update(changes)
    return record


def test_the_example_reads_into_the_call_events_own_types() -> None:
    record = CallRecord.model_validate(section_6(expected={"violations": []}))
    assert isinstance(record.campaign, CampaignRef) and isinstance(record.agent, AgentRef)
    assert [type(t) for t in record.turns] == [SpeechTurn, SpeechTurn, HoldPeriod]
    assert record.lead.phone == "+8613700137000" and record.lead.birth_year == 1961
    assert (record.direction, record.eligibility, record.talk_seconds) == ("outbound", "unknown", 208.0)
    assert "expected" not in record.model_dump()  # a dataset's labels are not part of the call


def test_a_record_rebuilt_from_an_event_has_no_name_and_no_number() -> None:
    lead = {"id": "l-77", "name_digest": "d" * 64, "birth_year": 1961}
    record = CallRecord.model_validate(section_6(lead=lead))
    assert record.lead.name is None and record.lead.phone is None
    assert record.lead.name_digest == "d" * 64


def test_the_shape_is_not_the_campaigns_catalogue() -> None:
    # An outcome no catalogue knows is the calls service's to refuse; the shape takes any code.
    assert CallRecord.model_validate(section_6(disposition="not_convenient")).disposition == "not_convenient"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"disposition": "Not Convenient"}, "disposition"),
        ({"call_id": "c 1/2"}, "call_id"),
        ({"hangup_by": "modem"}, "hangup_by"),
        ({"caller_number": "call me"}, "caller_number"),
        ({"placed_at": "2026-11-20T10:03:00"}, "placed_at"),  # a time without its offset
    ],
)
def test_what_the_shape_refuses(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CallRecord.model_validate(section_6(**changes))
    assert [e["loc"][0] for e in refused.value.errors()] == [field]
