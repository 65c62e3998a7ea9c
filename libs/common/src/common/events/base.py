"""Typed domain events: the contract between services.

Every event is a pydantic model with a type name and a schema version. Readers are tolerant:
fields a newer producer added are kept (``extra="allow"``) rather than rejected, so a consumer
deployed before its producer keeps working, and re-publishing the event does not drop them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from common.envelope import Envelope

E = TypeVar("E", bound="DomainEvent")

# A NATS subject token may not contain '.', '*', '>' or whitespace.
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")


class DomainEvent(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    # Set by every concrete event class.
    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1
    # Which stream owns the event (the publishing service's name, e.g. "calls").
    owner: ClassVar[str] = ""

    def aggregate_id(self) -> str:  # pragma: no cover - every concrete event overrides it
        raise NotImplementedError

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class UnknownEventType(ValueError):
    pass


_REGISTRY: dict[str, type[DomainEvent]] = {}


def register(cls: type[E]) -> type[E]:
    """Class decorator: makes the event decodable by its type name."""
    if not cls.event_type:
        cls.event_type = cls.__name__
    if cls.event_type in _REGISTRY and _REGISTRY[cls.event_type] is not cls:
        raise ValueError(f"event type {cls.event_type} registered twice")
    _REGISTRY[cls.event_type] = cls
    return cls


def event_class(event_type: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def registered_types() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)


def decode(envelope: Envelope) -> DomainEvent:
    """Turn an envelope into its typed event. Raises ``UnknownEventType`` or pydantic's
    ``ValidationError`` (both mean: this message can never be applied, dead-letter it)."""
    cls = event_class(envelope.type)
    return cls.model_validate(envelope.data)


def subject_token(value: str) -> str:
    """Make an aggregate id usable as one NATS subject token.

    Ids from partners are mostly safe already (``c-000123``); anything else is hex-encoded with
    a marker so two different ids can never map to the same token."""
    if _SAFE_TOKEN.match(value):
        return value
    return "x_" + value.encode().hex()[:200]


def utc_iso(value: datetime) -> str:
    return value.isoformat()


__all__ = [
    "DomainEvent",
    "UnknownEventType",
    "ValidationError",
    "decode",
    "event_class",
    "register",
    "registered_types",
    "subject_token",
]
