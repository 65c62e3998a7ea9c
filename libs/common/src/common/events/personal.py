"""Which event fields are personal data, and how a reader outside the platform sees them.

Events never carry a raw phone number or a full name (``common.privacy``), but several fields
still identify or describe a customer: a masked number, keyed digests, a birth year, what was
said on the call. This table names each of them once; the AsyncAPI document marks them
(``x-personal-data``), and ``mask`` hides them for readers who may not see them (the gateway's
live event stream, by default).

Kinds:

- ``masked``: already masked for display (``138****8000``), shown to agents as it is.
- ``digest``: a keyed digest (HMAC) of a number or a name; pseudonymous, useless without the key,
  still personal data.
- ``identifying``: a fact about the customer (birth year, location).
- ``free_text``: words the customer or the agent said or wrote (transcript, notes, complaint);
  may contain anything, names and numbers included.
- ``recording``: where the call's audio is kept.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

PersonalKind = Literal["masked", "digest", "identifying", "free_text", "recording"]

# (model class name, field name) -> kind. Keyed by the class that declares the field, so a field
# nested in CustomerRef is marked wherever a CustomerRef appears.
PERSONAL_DATA: dict[tuple[str, str], PersonalKind] = {
    ("CustomerRef", "phone_masked"): "masked",
    ("CustomerRef", "phone_region"): "identifying",
    ("CustomerRef", "name_digest"): "digest",
    ("CustomerRef", "birth_year"): "identifying",
    ("CustomerRef", "number_digest"): "digest",
    ("SpeechTurn", "text"): "free_text",
    ("CallEnded", "notes"): "free_text",
    ("CallEnded", "need"): "free_text",
    ("CallEnded", "recording_uri"): "recording",
    ("CallTranscribed", "recording_uri"): "recording",
    ("CallRefused", "number_digest"): "digest",
    ("CallRefused", "phone_masked"): "masked",
    ("RedialRequested", "number_digest"): "digest",
    ("LeadNumber", "masked"): "masked",
    ("LeadNumber", "number_digest"): "digest",
    ("LeadNumber", "region"): "identifying",
    ("LeadNumber", "area"): "identifying",
    ("LeadProfile", "birth_year"): "identifying",
    ("LeadProfile", "region"): "identifying",
    ("LeadOptedOut", "masked"): "masked",
    ("LeadOptedOut", "number_digest"): "digest",
    ("DncEntryAdded", "masked"): "masked",
    ("DncEntryAdded", "number_digest"): "digest",
    ("ViolationFound", "evidence"): "free_text",
    ("ViolationFound", "reason"): "free_text",
    ("ComplaintFiled", "description"): "free_text",
}

# What a reader who may not see personal data gets instead of a value.
MASK = "***"
# Kinds shown to every reader: a masked number is what the API itself shows agents.
SHOWN_BY_DEFAULT: frozenset[PersonalKind] = frozenset({"masked"})


def _declaring_class(model: type[BaseModel], field: str) -> str:
    for klass in model.__mro__:
        if field in getattr(klass, "__annotations__", {}):
            return klass.__name__
    return model.__name__


def personal_kind(model: type[BaseModel], field: str) -> PersonalKind | None:
    return PERSONAL_DATA.get((_declaring_class(model, field), field)) or PERSONAL_DATA.get((model.__name__, field))


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's annotation (``CustomerRef``, ``list[SpeechTurn |
    HoldPeriod]``, ``ContactHistory | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in getattr(annotation, "__args__", ()) or ():
        found.extend(_nested_models(arg))
    return found


def personal_fields(model: type[BaseModel], prefix: str = "") -> dict[str, PersonalKind]:
    """Every personal field reachable from ``model``, as dotted paths (``customer.birth_year``,
    ``turns[].text``)."""
    found: dict[str, PersonalKind] = {}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        kind = personal_kind(model, name)
        if kind is not None:
            found[path] = kind
        many = getattr(info.annotation, "__origin__", None) is list
        for nested in _nested_models(info.annotation):
            found.update(personal_fields(nested, f"{path}[]." if many else f"{path}."))
    return found


def mask(
    model: type[BaseModel], data: dict[str, Any], shown: frozenset[PersonalKind] = SHOWN_BY_DEFAULT
) -> dict[str, Any]:
    """``data`` (an event's JSON) with every personal field whose kind is not in ``shown``
    replaced by ``"***"`` (``None`` stays ``None``: that there is no value is not personal)."""
    return _mask(model, data, shown)


def _mask(model: type[BaseModel], data: dict[str, Any], shown: frozenset[PersonalKind]) -> dict[str, Any]:
    out = dict(data)
    for name, info in model.model_fields.items():
        if name not in out or out[name] is None:
            continue
        kind = personal_kind(model, name)
        if kind is not None and kind not in shown:
            out[name] = MASK
            continue
        nested = _nested_models(info.annotation)
        if not nested:
            continue
        value = out[name]
        if isinstance(value, dict):
            out[name] = _mask_any(nested, value, shown)
        elif isinstance(value, list):
            out[name] = [_mask_any(nested, v, shown) if isinstance(v, dict) else v for v in value]
    return out


def _mask_any(models: list[type[BaseModel]], value: dict[str, Any], shown: frozenset[PersonalKind]) -> dict[str, Any]:
    # A union (SpeechTurn | HoldPeriod): mask by every member; their personal fields differ.
    for model in models:
        value = _mask(model, value, shown)
    return value


__all__ = ["MASK", "PERSONAL_DATA", "SHOWN_BY_DEFAULT", "PersonalKind", "mask", "personal_fields", "personal_kind"]
