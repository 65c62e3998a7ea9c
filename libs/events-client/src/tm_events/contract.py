"""The published event contract: an AsyncAPI 3 document of every public channel.

FastStream's NATS broker declares one publisher per event type (its subject pattern, its stream,
its pydantic model) and renders the AsyncAPI 3.0 document from them: channels, operations and
each message's payload schema generated from the event models, never written by hand. What
FastStream has no parameter for is then added to the same document: the subject's parameter,
the CloudEvents binary-mode headers every message carries, the namespaced ``ce-type`` of each
message, and which fields are personal data.

Regenerate the committed copy (``docs/events/``) with ``make events-contract`` or
``python -m tm_events.contract write``; ``python -m tm_events.contract check`` (and the test
``tests/contract/test_contract_current.py``) fails when the code and the committed document
differ.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.envelope import (
    H_CAUSATION,
    H_CORRELATION,
    H_DATACONTENTTYPE,
    H_ID,
    H_SCHEMA_VERSION,
    H_SOURCE,
    H_SPECVERSION,
    H_SUBJECT,
    H_TIME,
    H_TYPE,
)
from common.events.base import DomainEvent
from common.events.compat import breaking_changes, event_schema, public_events, schema_file_name
from common.events.personal import personal_fields, personal_kind
from common.eventstore import EventNames
from faststream.nats import JStream, NatsBroker
from faststream.specification import AsyncAPI
from faststream.specification.asyncapi.site import get_asyncapi_html
from pydantic import BaseModel

# The contract's own version: the major changes when a message is removed or a channel moves.
CONTRACT_VERSION = "1.0.0"
NAMESPACE = "tm"
DOCS_DIR = Path(__file__).resolve().parents[4] / "docs" / "events"
CLOUDEVENTS_NATS_BINDING = (
    "CloudEvents 1.0.2 core spec; the NATS protocol binding's binary content mode as in the "
    "binding's working draft after 1.0.2 (cloudevents/spec main: `ce-` prefixed NATS headers, "
    "added once NATS 2.2 gave messages headers). Binding 1.0.2 itself describes structured mode "
    "only; subscribers who need structured mode convert with `tm_events.cloudevents.to_structured`."
)

DESCRIPTION = f"""Events of the telemarketing platform on NATS JetStream, for other teams to subscribe to.

* **Subjects** are `<namespace>.<owner>.<aggregate id>.<EventType>`; the namespace is `tm` in
  production (`EVENT_NAMESPACE`). Filter one type with `tm.calls.*.CallEnded`; one aggregate's
  events with `tm.calls.<call id>.*`. Each owner's events are in its own stream (`TM_CALLS`, ...).
* **CloudEvents 1.0, binary mode**: the body is the event data (JSON), every attribute is a
  header: {", ".join(f"`{h}`" for h in (H_ID, H_SOURCE, H_TYPE, H_SPECVERSION, H_TIME, H_SUBJECT))},
  plus the extensions `{H_SCHEMA_VERSION}`, `{H_CORRELATION}` and `{H_CAUSATION}`. {CLOUDEVENTS_NATS_BINDING}
* **Types** are `com.telemarketing.<owner>.<EventType>.v<major>`; events stored before the
  namespacing carry the bare `<EventType>` and are the same messages.
* **Compatibility**: within a major version fields are only added, and optional; readers must
  ignore fields they do not know. A breaking change is a new major version (`.v2`) with an
  upcaster, announced as a new message here.
* **Personal data**: fields marked `x-personal-data` identify or describe a customer (kinds:
  masked, digest, identifying, free_text, recording). Raw phone numbers and names are never sent.
* **Delivery**: at least once, in order per aggregate, duplicates within 2 minutes dropped by
  the stream (`Nats-Msg-Id` = `ce-id`). Client library: `tm_events` (libs/events-client).
"""

HEADER_DESCRIPTIONS: dict[str, str] = {
    H_ID: "Event id (UUID); also `Nats-Msg-Id`, so a copy within the 2-minute window is dropped.",
    H_SOURCE: "The publishing service, `/<namespace>/<service>`.",
    H_TYPE: "Namespaced event type with its major version; bare `<EventType>` in events stored before.",
    H_SPECVERSION: "CloudEvents spec version.",
    H_TIME: "When the event happened, RFC 3339.",
    H_SUBJECT: "The aggregate id (call id, lead id, ...), as the API knows it.",
    H_SCHEMA_VERSION: "Extension: the event's schema version (the major in `ce-type`).",
    H_CORRELATION: "Extension: id shared by every event one request caused, across services.",
    H_CAUSATION: "Extension: id of the event (or request) that caused this one.",
    H_DATACONTENTTYPE: "Always `application/json`.",
}

_SUBJECT_PARAMETER = "aggregate"


def _aggregate_field(cls: type[DomainEvent]) -> str:
    """Which field of the event is its aggregate id (the subject's third token): probed by
    calling ``aggregate_id`` on an instance whose fields are their own names."""
    marks = {name: f"<{name}>" for name in cls.model_fields}
    marked: dict[str, Any] = dict(marks)
    value = cls.model_construct(None, **marked).aggregate_id()
    for name, mark in marks.items():
        if mark in value:
            return name if value == mark else value
    return "aggregate id"


def _doc(cls: type[DomainEvent]) -> str:
    # The class's own docstring (a class without one has __doc__ None, never its base's).
    return inspect.cleandoc(cls.__doc__) if cls.__doc__ else ""


def _channel_key(cls: type[DomainEvent]) -> str:
    return f"{cls.owner}.{cls.event_type}"


def _message_key(cls: type[DomainEvent]) -> str:
    return f"{_channel_key(cls)}:Message"


def broker(namespace: str = NAMESPACE) -> NatsBroker:
    """A FastStream NATS broker declaring one publisher per public event (never connected:
    it exists to be described)."""
    names = EventNames(namespace)
    nats = NatsBroker(
        "nats://localhost:4222",
        protocol_version="2.10",
        description="The deployment's NATS cluster with JetStream (`NATS_URL`).",
    )
    streams: dict[str, JStream] = {}
    for cls in public_events():
        stream = streams.setdefault(cls.owner, JStream(names.stream(cls.owner), declare=False))
        nats.publisher(
            f"{namespace}.{cls.owner}.{{{_SUBJECT_PARAMETER}}}.{cls.event_type}",
            stream=stream,
            schema=cls,
            title=_channel_key(cls),
            description=_doc(cls) or None,
        )
    return nats


def _headers_schema(cls: type[DomainEvent]) -> dict[str, Any]:
    properties: dict[str, Any] = {h: {"type": "string", "description": d} for h, d in HEADER_DESCRIPTIONS.items()}
    properties[H_TYPE] = {
        "type": "string",
        "enum": [cls.cloudevents_type(), cls.event_type],
        "description": HEADER_DESCRIPTIONS[H_TYPE],
    }
    properties[H_SPECVERSION] = {"type": "string", "const": "1.0", "description": HEADER_DESCRIPTIONS[H_SPECVERSION]}
    properties[H_SCHEMA_VERSION] = {
        "type": "string",
        "const": str(cls.schema_version),
        "description": HEADER_DESCRIPTIONS[H_SCHEMA_VERSION],
    }
    properties[H_TIME] = {"type": "string", "format": "date-time", "description": HEADER_DESCRIPTIONS[H_TIME]}
    properties["Nats-Msg-Id"] = {"type": "string", "description": "Equal to `ce-id` (JetStream de-duplication)."}
    properties["traceparent"] = {"type": "string", "description": "W3C trace context of the causing request."}
    return {
        "type": "object",
        "required": [H_ID, H_SOURCE, H_TYPE, H_SPECVERSION],
        "properties": properties,
        "additionalProperties": {"type": "string"},
    }


def _annotate_personal(schemas: dict[str, Any], events: list[type[DomainEvent]]) -> None:
    """Mark each personal field in the component schemas (``x-personal-data: <kind>``)."""
    models: dict[str, type[BaseModel]] = {}
    for cls in events:
        models[cls.__name__] = cls
        stack: list[type[BaseModel]] = [cls]
        while stack:
            current = stack.pop()
            for info in current.model_fields.values():
                for arg in _models_in(info.annotation):
                    if arg.__name__ not in models:
                        models[arg.__name__] = arg
                        stack.append(arg)
    for name, schema in schemas.items():
        found = models.get(name)
        if found is None:
            continue
        for field, prop in schema.get("properties", {}).items():
            kind = personal_kind(found, field)
            if kind is not None:
                prop["x-personal-data"] = kind


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) or () for m in _models_in(arg)]


def asyncapi_document(namespace: str = NAMESPACE) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every public channel, as JSON-ready data."""
    events = public_events()
    with warnings.catch_warnings():
        # Several channels share payload component names only when they share a model.
        warnings.simplefilter("ignore", RuntimeWarning)
        spec = AsyncAPI(
            broker(namespace),
            title="Telemarketing platform events",
            version=CONTRACT_VERSION,
            description=DESCRIPTION,
            schema_version="3.0.0",
        ).to_specification()
    doc: dict[str, Any] = json.loads(spec.to_json())
    doc["id"] = "urn:com.telemarketing:events"
    names = EventNames(namespace)
    for cls in events:
        channel = doc["channels"][_channel_key(cls)]
        aggregate = _aggregate_field(cls)
        channel["parameters"] = {
            _SUBJECT_PARAMETER: {
                "description": (
                    f"The event's `{aggregate}` as one subject token (ids of letters, digits, `_` and `-` "
                    "as they are; any other id `x_` + the hex of its UTF-8 bytes)."
                )
            }
        }
        # FastStream writes a subject into the NATS channel binding, which the binding (0.1.0)
        # says MUST stay empty: the address already is the subject.
        channel.pop("bindings", None)
        channel["x-stream"] = names.stream(cls.owner)
        message = doc["components"]["messages"][_message_key(cls)]
        message.update(
            {
                "name": cls.cloudevents_type(),
                "title": f"{cls.event_type} v{cls.schema_version}",
                "summary": _doc(cls).split("\n\n")[0].replace("\n", " ") or cls.event_type,
                "contentType": "application/json",
                "headers": _headers_schema(cls),
                "correlationId": {"location": f"$message.header#/{H_CORRELATION}"},
                "x-cloudevents-type": cls.cloudevents_type(),
                "x-schema-version": cls.schema_version,
                "x-personal-data": personal_fields(cls),
            }
        )
    for server in doc.get("servers", {}).values():
        server["host"] = "localhost:4222"
    _annotate_personal(doc["components"]["schemas"], events)
    return doc


@dataclass(frozen=True)
class ContractDocument:
    """The enriched document in FastStream's ``Specification`` shape, for its HTML page."""

    document: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.document["info"]["title"])

    def to_json(self) -> str:
        return json.dumps(self.document)

    def to_jsonable(self) -> Any:
        return self.document

    def to_yaml(self) -> str:  # pragma: no cover - the Protocol asks for it; JSON is served
        return self.to_json()


def asyncapi_html(document: dict[str, Any]) -> str:
    """A page rendering the document with the AsyncAPI React component (FastStream's page)."""
    return get_asyncapi_html(ContractDocument(document), try_it_out_path=None)


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- the committed copy ---------------------------------------------------------------------


def expected_files(namespace: str = NAMESPACE) -> dict[str, str]:
    """Every file the committed contract folder must hold, relative to it, with its text."""
    files = {"asyncapi.json": dumps(asyncapi_document(namespace))}
    for cls in public_events():
        files[f"schemas/{schema_file_name(cls)}"] = dumps(event_schema(cls))
    return files


def differences(docs_dir: Path = DOCS_DIR) -> list[str]:
    """The files of ``docs_dir`` that differ from what the code generates."""
    out = []
    for relative, text in expected_files().items():
        path = docs_dir / relative
        if not path.exists():
            out.append(f"{relative}: missing")
        elif path.read_text() != text:
            out.append(f"{relative}: differs from the code")
    return out


def write(docs_dir: Path = DOCS_DIR) -> list[str]:
    """Write the document and the current version of every event schema. A released schema is
    only overwritten by a compatible one (added optional fields): a breaking change must be a
    new ``schema_version``, whose file is new."""
    written = []
    for relative, text in expected_files().items():
        path = docs_dir / relative
        if relative.startswith("schemas/") and path.exists():
            problems = breaking_changes(json.loads(path.read_text()), json.loads(text))
            if problems:
                raise SystemExit(
                    f"{relative}: breaking change to a released schema ({'; '.join(problems)}); "
                    "raise the event's schema_version and add its upcaster instead"
                )
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            written.append(relative)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tm_events.contract", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["write", "check", "print"])
    parser.add_argument("--docs", type=Path, default=DOCS_DIR, help="the contract folder (default: docs/events)")
    args = parser.parse_args(argv)
    if args.command == "print":
        sys.stdout.write(dumps(asyncapi_document()))
        return 0
    if args.command == "write":
        for relative in write(args.docs):
            print(f"wrote {args.docs / relative}")
        return 0
    problems = differences(args.docs)
    for problem in problems:
        print(problem)
    if problems:
        print("the committed event contract is out of date: run `make events-contract`")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
