"""Typed domain events: the contract between services.

Every event is a pydantic model with a type name and a schema version. Readers are tolerant:
fields a newer producer added are kept (``extra="allow"``) rather than rejected, so a consumer
deployed before its producer keeps working, and re-publishing the event does not drop them.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from common.envelope import Envelope

E = TypeVar("E", bound="DomainEvent")

# A NATS subject token may not contain '.', '*', '>' or whitespace.
_SAFE_TOKEN = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")
_HEX_MARKER = "x_"
# NATS allows subjects up to its control-line limit (4 KiB by default); 1 KiB of id (2 KiB of
# hex) leaves room for the namespace, owner and event type. The API accepts 128 characters.
MAX_ID_BYTES = 1024


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

    @classmethod
    def cloudevents_type(cls) -> str:
        """The namespaced ``ce-type`` of this event at its schema version
        (``com.telemarketing.calls.CallEnded.v1``)."""
        from common.events.types import cloudevents_type

        return cloudevents_type(cls.owner, cls.event_type or cls.__name__, cls.schema_version)


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
    """The class of a short name (``CallEnded``) or of a namespaced CloudEvents type
    (``com.telemarketing.calls.CallEnded.v1``, ``common.events.types``)."""
    try:
        return _REGISTRY[event_type]
    except KeyError:
        pass
    from common.events.types import parse_type

    name, _ = parse_type(event_type)
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownEventType(event_type) from None


def registered_types() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)


class UnsupportedSchemaVersion(ValueError):
    """The event was written with a newer schema than this reader knows: reading it with the
    old model could silently misread a field whose meaning changed, so it is refused (and a
    projection dead-letters it, to replay once this service is upgraded)."""


def decode(envelope: Envelope, *, unread: AbstractSet[str] = frozenset()) -> DomainEvent:
    """Turn an envelope into its typed event, upcasting data written with an older schema.

    ``unread``: fields the caller never reads (a projection's ``unread_fields``), neither
    validated nor kept: the event has no such attribute at all, so reading one raises
    ``AttributeError`` rather than seeing a default, and ``model_dump`` leaves it out. A
    20-turn transcript is 85% of a CallEnded's validation (benchmarks/reporting_volume.py).
    Only fields with a default may be left unread (``check_unread``).

    Raises ``UnknownEventType``, ``UnsupportedSchemaVersion`` or pydantic's ``ValidationError``
    (all mean: this message can never be applied by this reader, dead-letter it)."""
    cls = event_class(envelope.type)
    data = upcast(cls, envelope.data, envelope.schema_version)
    if not unread:
        return cls.model_validate(data)
    event = cls.model_validate({k: v for k, v in data.items() if k not in unread})
    for name in unread:
        event.__dict__.pop(name, None)  # the default pydantic filled in: not the event's value
    return event


def check_unread(event_type: str, fields: AbstractSet[str]) -> None:
    """Refuse a declaration of unread fields that ``decode`` could not honour: an unknown field
    (a typo would validate the field after all) or a required one (leaving it out would fail
    validation, and every such event would be dead-lettered)."""
    cls = event_class(event_type)
    for name in fields:
        field = cls.model_fields.get(name)
        if field is None:
            raise ValueError(f"{cls.__name__} has no field {name!r} to leave unread")
        if field.is_required():
            raise ValueError(f"{cls.__name__}.{name} is required: it cannot be left unread")


def upcast(cls: type[DomainEvent], data: dict[str, Any], version: int) -> dict[str, Any]:
    """Bring ``data`` written at ``version`` up to ``cls.schema_version``, one step at a time.

    A class at version N declares ``upcast_v1_v2``, ``upcast_v2_v3`` … ``upcast_v{N-1}_v{N}``:
    static methods from one version's data dict to the next (pyeventsourcing's model), so old
    events in the log stay readable without rewriting the log."""
    if version > cls.schema_version:
        raise UnsupportedSchemaVersion(
            f"{cls.event_type} schema version {version} is newer than this reader's {cls.schema_version}"
        )
    if version < 1:
        raise UnsupportedSchemaVersion(f"{cls.event_type} schema version {version} is not a version")
    while version < cls.schema_version:
        step = getattr(cls, f"upcast_v{version}_v{version + 1}", None)
        if step is None:
            raise TypeError(
                f"{cls.__name__} is at version {cls.schema_version} but has no upcast_v{version}_v{version + 1}"
            )
        data = step(dict(data))
        version += 1
    return data


def subject_token(value: str) -> str:
    """Make an aggregate id usable as one NATS subject token, injectively: two different ids
    never share a token (they would share an aggregate's subject, so one would load the
    other's events and its append would be refused as a duplicate).

    Ids from partners are mostly safe already (``c-000123``) and pass through unchanged; any
    other id (a ':' or '.', non-ASCII, or one that itself starts with the ``x_`` marker) is
    ``x_`` plus the hex of its UTF-8 bytes, whole. The two images are disjoint (a passed-through
    token never starts with ``x_``) and each is injective, so the mapping is. Nothing is cut
    short: an id too long for a subject is refused rather than truncated into a collision."""
    if _SAFE_TOKEN.match(value) and not value.startswith(_HEX_MARKER):
        return value
    raw = value.encode()
    if len(raw) > MAX_ID_BYTES:
        raise ValueError(f"an aggregate id may be at most {MAX_ID_BYTES} bytes, got {len(raw)}")
    return _HEX_MARKER + raw.hex()


def utc_iso(value: datetime) -> str:
    return value.isoformat()


__all__ = [
    "DomainEvent",
    "UnknownEventType",
    "UnsupportedSchemaVersion",
    "ValidationError",
    "check_unread",
    "decode",
    "event_class",
    "register",
    "registered_types",
    "subject_token",
    "upcast",
]
