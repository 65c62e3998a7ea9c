"""CloudEvents in both content modes, for subscribers who need structured mode.

The platform publishes in **binary mode**: the body is the event data and every attribute is a
``ce-`` header (the CloudEvents NATS protocol binding's binary mode, in the binding's drafts after
1.0.2; 1.0.2 itself describes structured mode only). A subscriber that needs **structured mode**
(one JSON document holding attributes and data, ``content-type: application/cloudevents+json``, as
binding 1.0.2 describes it), for a bridge that forwards only bodies, say, converts with
``to_structured``; ``read_event`` reads either mode, so a consumer works whichever it is given.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from common.envelope import (
    CONTENT_TYPE,
    H_CONTENT_TYPE,
    SPECVERSION,
    Envelope,
    EnvelopeError,
)
from common.events.types import qualified_type

STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"
_EXTENSIONS = {"correlationid": "correlation_id", "causationid": "causation_id"}


def is_structured(headers: dict[str, str] | None) -> bool:
    content_type = next((v for k, v in (headers or {}).items() if k.lower() == H_CONTENT_TYPE), "")
    return content_type.split(";")[0].strip().lower() == STRUCTURED_CONTENT_TYPE


def to_structured(envelope: Envelope) -> tuple[dict[str, str], bytes]:
    """The event as a structured-mode message: its headers and its body."""
    document: dict[str, Any] = {
        "specversion": envelope.specversion,
        "id": envelope.id,
        "source": envelope.source,
        "type": qualified_type(envelope.type, envelope.schema_version),
        "time": envelope.time.isoformat(),
        "datacontenttype": envelope.datacontenttype,
        "schemaversion": str(envelope.schema_version),
        "correlationid": envelope.correlation_id or envelope.id,
        "causationid": envelope.causation_id or envelope.id,
        "data": envelope.data,
    }
    if envelope.subject is not None:
        document["subject"] = envelope.subject
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return {H_CONTENT_TYPE: STRUCTURED_CONTENT_TYPE, "Nats-Msg-Id": envelope.id}, body


def read_event(headers: dict[str, str] | None, body: bytes) -> Envelope:
    """An envelope from a message in either content mode (``EnvelopeError`` if it is neither)."""
    if not is_structured(headers):
        return Envelope.from_message(headers, body)
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EnvelopeError(f"structured event is not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise EnvelopeError("a structured event is a JSON object")
    missing = [a for a in ("id", "source", "type", "specversion") if not document.get(a)]
    if missing:
        raise EnvelopeError(f"missing CloudEvents attribute(s): {', '.join(missing)}")
    if document["specversion"] != SPECVERSION:
        raise EnvelopeError(f"unsupported specversion {document['specversion']!r}")
    # The same rules as binary mode (namespaced or bare type, version checks), by going through
    # the binary reader with the attributes as headers.
    as_headers = {f"ce-{k}": str(v) for k, v in document.items() if k != "data" and v is not None}
    as_headers.setdefault("ce-time", datetime.now(UTC).isoformat())
    data = document.get("data", {})
    return Envelope.from_message(
        as_headers, json.dumps(data).encode() if document.get("datacontenttype", CONTENT_TYPE) else b"{}"
    )


__all__ = ["STRUCTURED_CONTENT_TYPE", "is_structured", "read_event", "to_structured"]
