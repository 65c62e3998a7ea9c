"""The committed contract (docs/events) is what the code generates: a change to an event model
without `make events-contract` fails here, naming the files to regenerate."""

from __future__ import annotations

import json
from pathlib import Path

from common.events.compat import public_events
from tm_events.contract import asyncapi_document, differences, expected_files, write

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events"


def test_the_committed_contract_matches_the_code() -> None:
    assert differences(DOCS) == [], "run `make events-contract` and commit docs/events"


def test_a_change_to_the_document_is_noticed(tmp_path: Path) -> None:
    write(tmp_path)
    assert differences(tmp_path) == []
    document = json.loads((tmp_path / "asyncapi.json").read_text())
    del document["channels"]["calls.CallEnded"]
    (tmp_path / "asyncapi.json").write_text(json.dumps(document))
    assert differences(tmp_path) == ["asyncapi.json: differs from the code"]


def test_every_public_event_is_a_channel_with_its_headers_and_personal_data() -> None:
    document = asyncapi_document()
    assert document["asyncapi"] == "3.0.0"
    channels, messages = document["channels"], document["components"]["messages"]
    assert len(channels) == len(public_events()) == len(messages)
    call_ended = channels["calls.CallEnded"]
    assert call_ended["address"] == "tm.calls.{aggregate}.CallEnded"
    assert "call_id" in call_ended["parameters"]["aggregate"]["description"]
    message = messages["calls.CallEnded:Message"]
    assert message["name"] == "com.telemarketing.calls.CallEnded.v1"
    headers = message["headers"]["properties"]
    for header in ("ce-id", "ce-type", "ce-source", "ce-specversion", "ce-time", "ce-subject"):
        assert header in headers
    for extension in ("ce-schemaversion", "ce-correlationid", "ce-causationid"):
        assert extension in headers
    assert headers["ce-type"]["enum"] == ["com.telemarketing.calls.CallEnded.v1", "CallEnded"]
    assert message["correlationId"]["location"] == "$message.header#/ce-correlationid"
    # The payload schema is the pydantic model's, personal fields marked.
    assert message["payload"] == {"$ref": "#/components/schemas/CallEnded"}
    schemas = document["components"]["schemas"]
    assert "disposition" in schemas["CallEnded"]["required"]
    assert schemas["CustomerRef"]["properties"]["name_digest"]["x-personal-data"] == "digest"
    assert schemas["SpeechTurn"]["properties"]["text"]["x-personal-data"] == "free_text"
    assert message["x-personal-data"]["turns[].text"] == "free_text"
    assert message["x-personal-data"]["customer.phone_masked"] == "masked"


def test_the_generated_files_cover_every_event() -> None:
    files = expected_files()
    assert {f"schemas/{cls.event_type}.v{cls.schema_version}.json" for cls in public_events()} <= set(files)
