"""The partner's finished-call record (domain.md section 6): one shape for calls and QA."""

from __future__ import annotations

from typing import Any

import pytest
from common.events.calls import AgentRef, CampaignRef, HoldPeriod, SpeechTurn
from common.events.partner import CallRecord
from pydantic import ValidationError


def section_6(**changes: Any) -> dict[str, Any]:
    """The example of domain.md section 6."""
    record: dict[str, Any] = {
        "call_id": "c-000123",
        "direction": "outbound",
        "campaign": {
            "id": "broadband-2026q4",
            "brand": "中国移动",
            "authorized_brands": ["中国移动"],
            "allowed_caller_carriers": ["China Mobile"],
            "price_on_phone": False,
        },
        "agent": {"id": "a-101", "team": "t-1", "supervisor": "s-1"},
        "lead": {"id": "l-9", "name": "张伟", "phone": "+8613800138000", "birth_year": 1958},
        "caller_number": "+8613900139000",
        "placed_at": "2026-11-20T10:03:00+08:00",
        "answered_at": "2026-11-20T10:03:12+08:00",
        "ended_at": "2026-11-20T10:06:40+08:00",
        "ring_count": 3,
        "hangup_by": "customer",
        "eligibility": "eligible",
        "disposition": "success",
        "callback_at": None,
        "turns": [
            {
                "speaker": "agent",
                "start_s": 0.0,
                "end_s": 4.1,
                "text": "您好,我是中国移动的客户经理小李,请问是张先生吗?",
            },
            {"speaker": "customer", "start_s": 4.3, "end_s": 5.0, "text": "是的。"},
            {"hold": True, "start_s": 60.0, "end_s": 95.0},
        ],
    }
    record.update(changes)
    return record


def test_the_example_reads_into_the_call_events_own_types() -> None:
    record = CallRecord.model_validate(section_6(expected={"violations": []}))
    assert isinstance(record.campaign, CampaignRef) and isinstance(record.agent, AgentRef)
    assert [type(t) for t in record.turns] == [SpeechTurn, SpeechTurn, HoldPeriod]
    assert record.lead.phone == "+8613800138000" and record.lead.birth_year == 1958
    assert record.talk_seconds == 208.0
    assert "expected" not in record.model_dump()  # a dataset's labels are not part of the call


def test_a_record_rebuilt_from_an_event_has_no_name_and_no_number() -> None:
    lead = {"id": "l-9", "name_digest": "d" * 64, "birth_year": 1958}
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
