"""Deterministic ids: the same fact always gets the same id, so a re-check, a redelivered event
or a retried request never publishes it twice (JetStream drops the copy by ``Nats-Msg-Id``, the
QA database by primary key)."""

from __future__ import annotations

from common.envelope import deterministic_event_id


def violation_id(call_id: str, rule: str, turn: int | str | None, policy_version: str) -> str:
    return deterministic_event_id("qa-violation", call_id, rule, "-" if turn is None else str(turn), policy_version)


def complaint_violation_id(call_id: str, complaint_id: str, rule: str) -> str:
    return deterministic_event_id("qa-violation", call_id, rule, f"complaint:{complaint_id}")


def event_id(event_type: str, *about: str) -> str:
    return deterministic_event_id("qa-event", event_type, *about)


def fine_id(violation_id: str, payee: str, kind: str = "fine") -> str:
    return deterministic_event_id("qa-fine", violation_id, payee, kind)
