"""A projection may leave fields it never reads undecoded (common.events.base.decode's
``unread``): they are neither validated nor kept, and reading one fails loudly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from common.envelope import Envelope
from common.events.base import check_unread, decode
from common.events.calls import CallEnded
from pydantic import ValidationError


def ended(turns: object) -> Envelope:
    at = datetime(2026, 11, 20, 9, tzinfo=UTC).isoformat()
    data = {
        "call_id": "c-1",
        "campaign": {"id": "cm-1"},
        "agent": {"id": "a-1", "team": "t-1"},
        "customer": {"lead_id": "l-1"},
        "placed_at": at,
        "ended_at": at,
        "hangup_by": "customer",
        "disposition": "success",
        "turns": turns,
    }
    return Envelope(type="CallEnded", source="/test", data=data)


def test_an_unread_field_is_neither_validated_nor_kept() -> None:
    malformed = ended([{"speaker": "robot", "text": 7}])
    with pytest.raises(ValidationError):
        decode(malformed)
    event = decode(malformed, unread=frozenset({"turns"}))
    assert isinstance(event, CallEnded) and event.call_id == "c-1" and event.disposition == "success"
    with pytest.raises(AttributeError):
        _ = event.turns  # absent, not an empty transcript that was never said
    assert "turns" not in event.model_dump()


def test_the_other_fields_are_still_validated() -> None:
    envelope = ended([])
    envelope.data["placed_at"] = "not a time"
    with pytest.raises(ValidationError):
        decode(envelope, unread=frozenset({"turns"}))


def test_a_read_field_is_decoded_as_before() -> None:
    turn = {"speaker": "agent", "start_s": 0.0, "end_s": 1.0, "text": "您好"}
    event = decode(ended([turn]), unread=frozenset({"notes"}))
    assert isinstance(event, CallEnded) and event.turns[0].model_dump() == turn


def test_only_an_existing_field_with_a_default_may_be_left_unread() -> None:
    check_unread("CallEnded", {"turns", "notes"})
    with pytest.raises(ValueError, match="no field"):
        check_unread("CallEnded", {"transcript"})
    with pytest.raises(ValueError, match="required"):
        check_unread("CallEnded", {"call_id"})
