"""Whether a call dropped is decided once: the calls service's verdict on ``CallEnded``, and for
an event stored without one, the same rule with the default window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from common.events.calls import DROPPED_CALL_SECONDS, AgentRef, CallEnded, CampaignRef, CustomerRef, is_dropped_call

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def ended(**changes: Any) -> CallEnded:
    values: dict[str, Any] = {
        "call_id": "c-1",
        "campaign": CampaignRef(id="k"),
        "agent": AgentRef(id="a-1", team="t-1"),
        "customer": CustomerRef(lead_id="l-1"),
        "placed_at": T0,
        "answered_at": T0 + timedelta(seconds=5),
        "ended_at": T0 + timedelta(seconds=65),
        "hangup_by": "network",
        "disposition": "interested",
    }
    values.update(changes)
    return CallEnded.model_validate(values)


@pytest.mark.parametrize(
    ("hangup_by", "answered_after_s", "ended_after_s", "window", "dropped"),
    [
        ("network", 5, 5 + DROPPED_CALL_SECONDS, DROPPED_CALL_SECONDS, True),  # the window's last second
        ("network", 5, 6 + DROPPED_CALL_SECONDS, DROPPED_CALL_SECONDS, False),
        ("network", None, 40, DROPPED_CALL_SECONDS, True),  # never connected: counted from the dial
        ("network", 5, 65, 30, False),  # a campaign's shorter window
        ("customer", 5, 10, DROPPED_CALL_SECONDS, False),
        ("agent", 5, 10, DROPPED_CALL_SECONDS, False),
    ],
)
def test_the_rule(hangup_by: str, answered_after_s: int | None, ended_after_s: int, window: int, dropped: bool) -> None:
    answered = None if answered_after_s is None else T0 + timedelta(seconds=answered_after_s)
    assert is_dropped_call(hangup_by, T0, answered, T0 + timedelta(seconds=ended_after_s), window) is dropped


def test_the_calls_services_verdict_stands_either_way() -> None:
    # The campaign's window is the calls service's to know: its verdict is not judged again.
    assert ended(dropped=False).was_dropped is False  # a network cut past a short campaign window
    assert ended(hangup_by="customer", dropped=True).was_dropped is True


def test_an_event_without_the_verdict_is_judged_by_the_same_rule() -> None:
    assert ended().dropped is None and ended().was_dropped is True
    assert ended(direction="inbound").was_dropped is True
    assert ended(hangup_by="customer").was_dropped is False
    long_call = ended(ended_at=T0 + timedelta(seconds=6 + DROPPED_CALL_SECONDS))
    assert long_call.was_dropped is False
