"""Events decoded straight from a message's bytes, for the projection runner.

``Envelope.from_message`` parses the body into Python objects and ``decode`` then validates them:
a CallEnded with a 20-turn transcript is parsed whole (about 19 us) even for a projection that
never reads the transcript, then validated (9 us without it). pydantic validates JSON bytes
itself, in Rust, and a model without the unread fields skips their bytes instead of building
them: about 12 us for the same CallEnded (benchmarks/rebuild_rates.py). ``EventReader.read``
does that:

- a projection that reads every field gets ``cls.model_validate_json(body)``: the same event as
  ``decode(Envelope.from_message(...))``, one pass instead of two;
- one that leaves fields unread (``ReadsPart``) gets the fields it reads, validated by a model of
  those fields with the event's own field definitions (``_Reading``), handed over as an instance
  of the event's class without a second validation. Unread fields are absent, as with ``decode``
  (reading one raises ``AttributeError``); fields no version of the class knows (a newer
  producer's) are not kept either, since such a projection reads only the fields it names.

A projection may also read a field *as* another type (``ReadsAs``): the calls read model stores a
transcript as JSON, so it has the turns validated as the same checks on dicts (TypedDicts) rather
than as models it would dump back (``calls.projection``). Such a field differs from ``decode``'s
by its type only; the projection takes either form.

Only where the result is the one ``decode`` gives (but for the fields read as another type): the
event's class at the schema version the message carries (older versions are upcast from their
data by ``decode``), and no validators or private attributes of its own (copying the fields would
leave them out). Whatever ``read`` refuses or fails to validate goes the usual way
(``NotReadHere``, ``ValidationError``), so a faulty event is dead-lettered with the usual reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model

from common.envelope import Envelope
from common.events.base import DomainEvent, event_class

_set = object.__setattr__


class NotReadHere(Exception):
    """This event is not one ``EventReader`` decodes the same as ``decode``: use ``decode``."""


class EventReader:
    def __init__(
        self, unread: Mapping[str, AbstractSet[str]], read_as: Mapping[str, Mapping[str, Any]] | None = None
    ) -> None:
        self.unread = {event_type: frozenset(fields) for event_type, fields in unread.items()}
        # event type -> field -> the type its value is validated as instead of the field's own
        self.read_as = {event_type: dict(fields) for event_type, fields in (read_as or {}).items()}
        # event class -> the model validating the fields read (the class itself when every
        # field is read; None when the class cannot be read this way).
        self._models: dict[type[DomainEvent], type[BaseModel] | None] = {}

    def read(self, envelope: Envelope, body: bytes) -> DomainEvent:
        """The event ``decode`` would make of ``envelope`` with ``body`` as its data. Raises
        ``NotReadHere``, pydantic's ``ValidationError`` (not JSON, or not the event) or
        ``UnknownEventType``."""
        cls = event_class(envelope.type)
        if envelope.schema_version != cls.schema_version or not body:
            raise NotReadHere(envelope.type)
        try:
            model = self._models[cls]
        except KeyError:
            model = self._models[cls] = _model_of(
                cls, self.unread.get(envelope.type, frozenset()), self.read_as.get(envelope.type, {})
            )
        if model is None:
            raise NotReadHere(envelope.type)
        if model is cls:
            return cls.model_validate_json(body)
        reading = model.model_validate_json(body)
        # An instance of the event's class holding the values just validated: what
        # ``model_construct`` sets, without its per-field loop (which costs ten validations).
        event = cls.__new__(cls)
        _set(event, "__dict__", reading.__dict__)
        _set(event, "__pydantic_fields_set__", reading.__pydantic_fields_set__)
        _set(event, "__pydantic_extra__", {} if cls.model_config.get("extra") == "allow" else None)
        _set(event, "__pydantic_private__", None)
        return event


def _model_of(
    cls: type[DomainEvent], unread: frozenset[str], read_as: Mapping[str, Any] | None = None
) -> type[BaseModel] | None:
    decorators = cls.__pydantic_decorators__
    if (
        decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
        or cls.__private_attributes__
    ):
        return None
    read_as = read_as or {}
    if not unread and not read_as:
        return cls
    fields: dict[str, Any] = {
        name: (read_as.get(name, field.annotation), field)
        for name, field in cls.model_fields.items()
        if name not in unread
    }
    return create_model(
        f"_{cls.__name__}Reading",
        __config__=ConfigDict(extra="ignore", frozen=True),
        __module__=__name__,
        **fields,
    )
