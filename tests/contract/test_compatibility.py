"""The compatibility rule, checked in CI: every event schema against the released ones in
docs/events/schemas. A renamed, removed or retyped field, or a new required one, fails unless
the event moved to a new schema_version with an upcaster."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallEnded, CampaignRef, CustomerRef
from common.events.compat import breaking_changes, check_all, check_event, event_schema, load_committed
from common.events.personal import PERSONAL_DATA
from pydantic import BaseModel

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "events" / "schemas"


def test_no_event_breaks_its_released_schema() -> None:
    assert load_committed(SCHEMAS), f"no released schemas in {SCHEMAS}"
    assert check_all(SCHEMAS) == []


class _CallEndedRenamed(DomainEvent):
    """CallEnded with ``disposition`` renamed to ``outcome``: what the check must catch."""

    event_type: ClassVar[str] = "CallEnded"
    owner: ClassVar[str] = "calls"
    call_id: str
    campaign: CampaignRef
    agent: AgentRef
    customer: CustomerRef
    placed_at: datetime
    ended_at: datetime
    hangup_by: str
    outcome: str


def _released() -> dict[tuple[str, int], dict[str, Any]]:
    return load_committed(SCHEMAS)


def test_a_deliberately_renamed_field_is_caught() -> None:
    problems = check_event(_CallEndedRenamed, _released())
    assert "CallEnded.v1 disposition: removed (or renamed)" in problems
    # hangup_by was a Literal: a plain string is a different type for a reader.
    assert "CallEnded.v1 hangup_by: type changed" in problems


class _CallEndedV2WithoutUpcaster(_CallEndedRenamed):
    schema_version: ClassVar[int] = 2


class _CallEndedV2(_CallEndedRenamed):
    schema_version: ClassVar[int] = 2

    @staticmethod
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "outcome": data.pop("disposition")}


def test_a_new_schema_version_needs_its_upcaster() -> None:
    assert check_event(_CallEndedV2WithoutUpcaster, _released()) == [
        "CallEnded.v2: no upcast_v1_v2 from the released v1"
    ]
    assert check_event(_CallEndedV2, _released()) == []


def _schema_of(**fields: Any) -> dict[str, Any]:
    from pydantic import create_model

    model: type[BaseModel] = create_model("E", **fields)
    return model.model_json_schema()


def test_what_counts_as_breaking() -> None:
    base = _schema_of(a=(str, ...), b=(int | None, None))
    assert breaking_changes(base, base) == []
    assert breaking_changes(base, _schema_of(a=(str, ...), b=(int | None, None), c=(str | None, None))) == []
    assert breaking_changes(base, _schema_of(a=(str, ...), b=(int | None, None), c=(str, ...))) == [
        "c: new required field"
    ]
    assert breaking_changes(base, _schema_of(a=(str, ...), b=(int | None, ...))) == ["b: was optional, now required"]
    assert breaking_changes(base, _schema_of(a=(int, ...), b=(int | None, None))) == ["a: type changed"]
    assert breaking_changes(base, _schema_of(a=(str, ...))) == ["b: removed (or renamed)"]


def test_nested_fields_follow_the_same_rule() -> None:
    class Inner(BaseModel):
        x: str
        y: int | None = None

    class InnerRenamed(BaseModel):
        x: str
        z: int | None = None

    old = _schema_of(inner=(Inner, ...), items=(list[Inner], []))
    new = _schema_of(inner=(InnerRenamed, ...), items=(list[InnerRenamed], []))
    assert breaking_changes(old, new) == ["inner.y: removed (or renamed)", "items[].y: removed (or renamed)"]


def test_a_released_event_that_disappears_is_breaking(tmp_path: Path) -> None:
    (tmp_path / "CallEnded.v1.json").write_text(json.dumps(event_schema(CallEnded)))
    assert check_all(tmp_path, events=[]) == ["CallEnded: released, no longer published"]
    assert check_all(tmp_path, events=[CallEnded]) == []


def test_every_personal_data_entry_names_a_real_field() -> None:
    # A renamed field must not silently drop out of the personal-data table.
    import common.events.calls as calls
    import common.events.leads as leads
    import common.events.qa as qa
    import common.events.scheduling as scheduling

    for model_name, field in PERSONAL_DATA:
        model = next((getattr(m, model_name) for m in (calls, leads, qa, scheduling) if hasattr(m, model_name)), None)
        assert model is not None, model_name
        assert field in model.model_fields, (model_name, field)


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_released_schemas_are_json_schema_with_their_type(path: Path) -> None:
    schema = json.loads(path.read_text())
    name, _, version = path.name.removesuffix(".json").rpartition(".v")
    assert schema["x-cloudevents-type"].endswith(f".{name}.v{version}")
    assert schema["type"] == "object" and "properties" in schema
