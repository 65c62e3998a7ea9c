"""The one way every list route pages: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": ...}`` out.

A cursor is opaque to clients: base64url of a small JSON document naming the list it belongs to
(its scope, e.g. ``"leads"``) and the position to go on from (an offset, or a keyset such as the
last row's time and id). Clients pass ``next_cursor`` back as ``cursor`` unchanged until it is
null. A cursor that is not one this list gave out (garbage, edited, or another list's) is a 422
naming the ``cursor`` query parameter, never a silently wrong page.

Routes answer a ``Page[Item]`` (or a subclass adding list-wide figures such as ``total``), so the
OpenAPI document shows the item's shape.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

Item = TypeVar("Item")

MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page (1 to {MAX_LIMIT})")]
Cursor = Annotated[
    str | None,
    Query(max_length=1024, description="the previous page's next_cursor; omit for the first page"),
]


class Page(BaseModel, Generic[Item]):
    """One page of a list."""

    items: list[Item]
    next_cursor: str | None = Field(
        description="pass it back as `cursor` for the next page; null on the last page", examples=[None]
    )


class InvalidCursor(RequestValidationError):
    """422 naming the ``cursor`` query parameter, in the same shape as any other invalid input."""

    def __init__(self, scope: str) -> None:
        super().__init__(
            [
                {
                    "loc": ("query", "cursor"),
                    "msg": f"not a cursor this service gave out for {scope}; pass back a next_cursor unchanged",
                    "type": "value_error",
                    "input": None,
                }
            ]
        )


def encode_cursor(scope: str, position: dict[str, Any]) -> str:
    """An opaque cursor for ``position`` (JSON-serialisable) in the list called ``scope``."""
    raw = json.dumps({"s": scope, "p": position}, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(scope: str, cursor: str) -> dict[str, Any]:
    """The position a cursor of ``scope`` carries; ``InvalidCursor`` (422) for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        document = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursor(scope) from None
    if not isinstance(document, dict) or document.get("s") != scope or not isinstance(document.get("p"), dict):
        raise InvalidCursor(scope)
    position: dict[str, Any] = document["p"]
    return position


def offset_of(scope: str, cursor: str | None) -> int:
    """Where a page of an offset-paged list starts (0 without a cursor)."""
    if cursor is None:
        return 0
    offset = decode_cursor(scope, cursor).get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidCursor(scope)
    return offset


def next_offset_cursor(scope: str, offset: int, count: int, total: int) -> str | None:
    """The cursor after a page of ``count`` items that started at ``offset``; None when none follow."""
    following = offset + count
    return encode_cursor(scope, {"offset": following}) if count and following < total else None
