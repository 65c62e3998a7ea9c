"""Dead letters of the whole platform in one place: the gateway asks every service for its own
(``common.deadletters``) and merges them, each row naming its service; a service that does not
answer is reported as unavailable rather than failing the request. Showing one row and
replaying are forwarded to the service that owns the row."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from typing import Annotated, Any, Literal

import httpx
from common.deadletters import CURSOR_PATTERN, DeadLetter, DeadLetterDetail, DeadLetterPage, ReplayReport, ReplayResult
from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from pydantic import BaseModel, ValidationError

from gateway.proxy import Upstreams

router = APIRouter(prefix="/v1/admin/dead-letters", tags=["admin"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such service or dead letter"},
    503: {"description": "the service is unavailable, retry later"},
}


class ServicePage(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None
    count: int = 0


class MergedDeadLetters(BaseModel):
    # Every service's rows of this page, oldest first.
    items: list[DeadLetter]
    services: dict[str, ServicePage]
    unavailable: list[str]
    # Pass it back as ``cursor`` for the next page (it holds each service's own position);
    # null when every service that answered has no more.
    next_cursor: str | None


def encode_cursor(positions: dict[str, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(positions, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str, services: list[str]) -> dict[str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict) or not all(
        k in services and isinstance(v, str) and re.match(CURSOR_PATTERN, v) for k, v in value.items()
    ):
        raise HTTPException(
            422,
            [{"loc": ["query", "cursor"], "msg": "not a cursor this API returned", "type": "value_error"}],
        )
    return value


def _upstreams(request: Request) -> Upstreams:
    upstreams: Upstreams = request.app.state.upstreams
    return upstreams


def _service(request: Request, service: str) -> str:
    if service not in _upstreams(request).urls:
        raise HTTPException(404, f"no service {service!r}; services: {', '.join(_upstreams(request).urls)}")
    return service


@router.get("", response_model=MergedDeadLetters, responses={404: {"description": "no such service"}})
async def merged(
    request: Request,
    service: Annotated[str | None, Query(max_length=64, description="only this service's")] = None,
    projection: Annotated[str | None, Query(max_length=128, description="only this projection's")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="rows per service")] = 100,
    cursor: Annotated[str | None, Query(max_length=4000, description="next_cursor of the page before")] = None,
) -> MergedDeadLetters:
    """Every service's dead letters, merged."""
    upstreams = _upstreams(request)
    names = [_service(request, service)] if service else list(upstreams.urls)
    # On a next page, only the services that had more.
    positions = decode_cursor(cursor, names) if cursor else dict.fromkeys(names, "")

    async def page(name: str, after: str) -> tuple[str, DeadLetterPage | str]:
        params: dict[str, str | int] = {"limit": limit, **({"cursor": after} if after else {})}
        if projection:
            params["projection"] = projection
        try:
            resp = await upstreams.client.get(
                upstreams.urls[name] + "/v1/admin/dead-letters",
                params=params,
                headers=upstreams.identity_headers(request),
                timeout=5,
            )
        except httpx.HTTPError as exc:
            return name, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if resp.status_code != 200:
            return name, f"answered {resp.status_code}"
        try:
            return name, DeadLetterPage.model_validate_json(resp.content)
        except ValidationError:
            return name, "answered with something that is not a dead-letter page"

    answers = await asyncio.gather(*(page(n, after) for n, after in positions.items()))
    items: list[DeadLetter] = []
    services: dict[str, ServicePage] = {}
    more: dict[str, str] = {}
    for name, answer in answers:
        if isinstance(answer, str):
            services[name] = ServicePage(status="unavailable", detail=answer)
            continue
        items.extend(answer.items)
        services[name] = ServicePage(status="ok", count=len(answer.items))
        if answer.next_cursor:
            more[name] = answer.next_cursor
    items.sort(key=lambda d: (d.created_at, d.service, d.id))
    return MergedDeadLetters(
        items=items,
        services=services,
        unavailable=[n for n, s in services.items() if s.status == "unavailable"],
        next_cursor=encode_cursor(more) if more else None,
    )


@router.post("/{service}/replay", responses={200: {"model": ReplayReport}, **NOT_FOUND})
async def replay_all(
    request: Request,
    service: Annotated[str, Path(max_length=64)],
    projection: Annotated[str | None, Query(max_length=128)] = None,
    force: bool = False,  # declared for the API document; forwarded in the query string
) -> Response:
    """Replay every dead letter of one service (of one projection): forwarded to the service."""
    return await _upstreams(request).forward(_service(request, service), request, path="/v1/admin/dead-letters/replay")


@router.get("/{service}/{dead_letter_id}", responses={200: {"model": DeadLetterDetail}, **NOT_FOUND})
async def detail(
    request: Request, service: Annotated[str, Path(max_length=64)], dead_letter_id: Annotated[int, Path(ge=1)]
) -> Response:
    """One dead letter with its headers and body: forwarded to its service."""
    return await _upstreams(request).forward(
        _service(request, service), request, path=f"/v1/admin/dead-letters/{dead_letter_id}"
    )


@router.post("/{service}/{dead_letter_id}/replay", responses={200: {"model": ReplayResult}, **NOT_FOUND})
async def replay(
    request: Request,
    service: Annotated[str, Path(max_length=64)],
    dead_letter_id: Annotated[int, Path(ge=1)],
    force: bool = False,  # declared for the API document; forwarded in the query string
) -> Response:
    """Replay one dead letter: forwarded to its service."""
    return await _upstreams(request).forward(
        _service(request, service), request, path=f"/v1/admin/dead-letters/{dead_letter_id}/replay"
    )
