"""CloudEvents 1.0 envelope, carried over NATS in binary content mode.

Binary mode keeps the event data a plain JSON document and puts the envelope attributes in
``ce-`` headers, so a subscriber that only wants the data never has to unwrap anything, and a
router can filter on headers without parsing the body.

The envelope ``id`` is also sent as ``Nats-Msg-Id``: JetStream drops a message whose id it has
already seen inside the stream's duplicate window, which makes a re-sent event harmless.

``Envelope.type`` is the short event type name (``CallEnded``); on the wire ``ce-type`` is its
namespaced CloudEvents type (``com.telemarketing.calls.CallEnded.v1``, ``common.events.types``),
and a bare ``ce-type`` written before the namespacing is read as it is. The headers follow the
CloudEvents NATS protocol binding's binary content mode (``ce-`` prefixed attributes in NATS
headers, as in the binding's drafts after 1.0.2, which describes structured mode only).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic_core import from_json

SPECVERSION = "1.0"
CONTENT_TYPE = "application/json"

# Header names. CloudEvents' NATS binding uses the ``ce-`` prefix for every attribute.
H_ID = "ce-id"
H_SOURCE = "ce-source"
H_TYPE = "ce-type"
H_SPECVERSION = "ce-specversion"
H_TIME = "ce-time"
H_SUBJECT = "ce-subject"
H_CONTENT_TYPE = "content-type"
H_DATACONTENTTYPE = "ce-datacontenttype"
# Extension attributes (lower-case alphanumerics only, as CloudEvents requires).
H_CORRELATION = "ce-correlationid"
H_CAUSATION = "ce-causationid"
H_SCHEMA_VERSION = "ce-schemaversion"
H_MSG_ID = "Nats-Msg-Id"

REQUIRED_HEADERS = (H_ID, H_SOURCE, H_TYPE, H_SPECVERSION)
# Every header the envelope reads itself; the others travel on in ``extra_headers``.
KNOWN_HEADERS = frozenset(
    {
        H_ID,
        H_MSG_ID,
        H_SOURCE,
        H_TYPE,
        H_SPECVERSION,
        H_TIME,
        H_CONTENT_TYPE,
        H_DATACONTENTTYPE,
        H_SCHEMA_VERSION,
        H_CORRELATION,
        H_CAUSATION,
        H_SUBJECT,
    }
)


class EnvelopeError(ValueError):
    """A message that is not a well-formed CloudEvent; the reason says what is missing."""


def new_event_id() -> str:
    return str(uuid.uuid4())


def deterministic_event_id(*parts: str) -> str:
    """An id derived from what the event is about, so the same fact published twice (a retried
    request, a replica doing the same work) gets the same id and JetStream drops the copy."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


@dataclass(frozen=True, slots=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    subject: str | None = None
    id: str = field(default_factory=new_event_id)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    correlation_id: str | None = None
    causation_id: str | None = None
    schema_version: int = 1
    datacontenttype: str = CONTENT_TYPE
    specversion: str = SPECVERSION
    # Headers that are not CloudEvents attributes (trace context, for one) travel alongside.
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        headers = dict(self.extra_headers)
        headers.update(
            {
                H_ID: self.id,
                H_MSG_ID: self.id,
                H_SOURCE: self.source,
                H_TYPE: _wire_type(self.type, self.schema_version),
                H_SPECVERSION: self.specversion,
                H_TIME: self.time.isoformat(),
                H_CONTENT_TYPE: self.datacontenttype,
                H_DATACONTENTTYPE: self.datacontenttype,
                H_SCHEMA_VERSION: str(self.schema_version),
                H_CORRELATION: self.correlation_id or self.id,
                H_CAUSATION: self.causation_id or self.id,
            }
        )
        if self.subject is not None:
            headers[H_SUBJECT] = self.subject
        return headers

    def body(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":"), default=str).encode()

    @classmethod
    def from_message(cls, headers: dict[str, str] | None, body: bytes) -> Envelope:
        headers = headers or {}
        _check_headers(headers)
        try:
            # pydantic-core's parser (jiter, already installed with pydantic): a 3 KB CallEnded
            # parses in half the time of the standard library's, and every consumer parses
            # every event (benchmarks/reporting_volume.py). Bodies are UTF-8 (``body``).
            data = from_json(body) if body else {}
        except ValueError as exc:  # not JSON, or not UTF-8
            raise EnvelopeError(f"data is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("data must be a JSON object")
        return cls._from_attributes(headers, data)

    @classmethod
    def from_headers(cls, headers: dict[str, str] | None) -> Envelope:
        """The envelope's attributes alone, its ``data`` left empty: for a reader that decodes
        the event straight from the message's bytes (``common.event_reader``) and would only
        parse the body twice. The same checks of the headers as ``from_message``."""
        headers = headers or {}
        _check_headers(headers)
        return cls._from_attributes(headers, {})

    @classmethod
    def _from_attributes(cls, headers: dict[str, str], data: dict[str, Any]) -> Envelope:
        event_type, type_version = _read_type(headers[H_TYPE])
        try:
            time = datetime.fromisoformat(headers[H_TIME]) if headers.get(H_TIME) else datetime.now(UTC)
            schema_version = int(headers.get(H_SCHEMA_VERSION, type_version or 1))
        except ValueError as exc:
            raise EnvelopeError(f"bad envelope attribute: {exc}") from exc
        if type_version is not None and type_version != schema_version:
            raise EnvelopeError(
                f"ce-type {headers[H_TYPE]!r} says version {type_version}, ce-schemaversion says {schema_version}"
            )
        return cls(
            type=event_type,
            source=headers[H_SOURCE],
            data=data,
            subject=headers.get(H_SUBJECT),
            id=headers[H_ID],
            time=time,
            correlation_id=headers.get(H_CORRELATION),
            causation_id=headers.get(H_CAUSATION),
            schema_version=schema_version,
            datacontenttype=headers.get(H_DATACONTENTTYPE, CONTENT_TYPE),
            extra_headers={k: v for k, v in headers.items() if k not in KNOWN_HEADERS},
        )


def _check_headers(headers: dict[str, str]) -> None:
    missing = [h for h in REQUIRED_HEADERS if not headers.get(h)]
    if missing:
        raise EnvelopeError(f"missing CloudEvents header(s): {', '.join(missing)}")
    if headers[H_SPECVERSION] != SPECVERSION:
        raise EnvelopeError(f"unsupported specversion {headers[H_SPECVERSION]!r}")


def _wire_type(event_type: str, schema_version: int) -> str:
    # Imported here: common.events imports this module.
    from common.events.types import qualified_type

    return qualified_type(event_type, schema_version)


# ce-type -> (short name, version): a stream carries a handful of distinct types, and every
# event's was parsed again (an import and a regular expression per event).
_TYPES: dict[str, tuple[str, int | None]] = {}


def _read_type(ce_type: str) -> tuple[str, int | None]:
    parsed = _TYPES.get(ce_type)
    if parsed is None:
        from common.events.types import parse_type

        parsed = parse_type(ce_type)
        if len(_TYPES) < 10_000:  # bounded whatever a producer sends
            _TYPES[ce_type] = parsed
    return parsed
