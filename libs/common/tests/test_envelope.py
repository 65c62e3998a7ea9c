from datetime import UTC, datetime

import pytest
from common.envelope import Envelope, EnvelopeError, deterministic_event_id
from common.events import CallEnded, decode
from common.events.base import subject_token


def test_binary_mode_round_trip_keeps_every_attribute() -> None:
    env = Envelope(
        type="CallEnded",
        source="/tm/calls",
        subject="c-1",
        data={"a": 1, "名": "张"},
        correlation_id="corr",
        causation_id="cause",
        schema_version=2,
        time=datetime(2026, 11, 20, 2, 3, tzinfo=UTC),
        extra_headers={"traceparent": "00-x"},
    )
    headers = env.headers()
    assert headers["ce-id"] == headers["Nats-Msg-Id"] == env.id
    assert headers["ce-specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    back = Envelope.from_message(headers, env.body())
    assert back == env


def test_missing_header_is_named() -> None:
    env = Envelope(type="X", source="/s", data={})
    headers = env.headers()
    del headers["ce-type"]
    with pytest.raises(EnvelopeError, match="ce-type"):
        Envelope.from_message(headers, env.body())


def test_body_must_be_a_json_object() -> None:
    headers = Envelope(type="X", source="/s", data={}).headers()
    with pytest.raises(EnvelopeError, match="JSON"):
        Envelope.from_message(headers, b"not json")
    with pytest.raises(EnvelopeError, match="object"):
        Envelope.from_message(headers, b"[1]")


def test_deterministic_ids_are_stable_and_distinct() -> None:
    assert deterministic_event_id("calls", "c-1", "CallEnded") == deterministic_event_id("calls", "c-1", "CallEnded")
    assert deterministic_event_id("calls", "c-1", "CallEnded") != deterministic_event_id("calls", "c-2", "CallEnded")


def _call_ended_data(**extra: object) -> dict[str, object]:
    return {
        "call_id": "c-1",
        "campaign": {"id": "cm"},
        "agent": {"id": "a", "team": "t"},
        "customer": {"lead_id": "l"},
        "placed_at": "2026-11-20T10:00:00+08:00",
        "ended_at": "2026-11-20T10:02:00+08:00",
        "hangup_by": "customer",
        "disposition": "busy",
        **extra,
    }


def test_unknown_newer_fields_are_kept_not_fatal() -> None:
    env = Envelope(type="CallEnded", source="/s", data=_call_ended_data(sentiment="positive"))
    event = decode(env)
    assert isinstance(event, CallEnded)
    assert event.to_data()["sentiment"] == "positive"


def test_subject_token_is_safe_and_injective() -> None:
    assert subject_token("c-000123") == "c-000123"
    unsafe = subject_token("a.b c")
    assert "." not in unsafe and " " not in unsafe
    assert subject_token("a.b") != subject_token("a_b")
