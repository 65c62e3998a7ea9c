"""Errors as RFC 9457 problem details, the same on every service and through the gateway.

Every error answer is ``application/problem+json``: ``type``, ``title``, ``status``, ``detail``,
``instance`` (the request path) and, when fields are at fault, ``errors`` naming each one
(``loc`` as FastAPI spells it, ``field`` as a dotted name, ``msg``). ``install_problem_handlers``
puts this on an app:

- ``HTTPException`` whatever its ``detail`` (a string, a list of FastAPI-style errors, a dict
  with ``field``/``message`` or extra members), so routes keep raising what they raise;
- ``RequestValidationError`` (422, every invalid field named; the rejected input is not echoed,
  it may be personal data or megabytes);
- the broker unreachable or not acknowledging in time: 503 with ``Retry-After`` (see
  ``BROKER_ERRORS``), the database unreachable likewise;
- anything else: 500 with a generic detail and the trace id, the stack only in the log;
- at the edge, before a route runs: bodies over the size limit (413, counted while they stream,
  never buffered whole), a body in a content type the route does not read (415).

The OpenAPI document says so: every operation's error answers are described by ``Problem``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote_to_bytes

import nats.errors
import nats.js.errors
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from common.eventstore import BrokerUnavailable
from common.settings import ServiceSettings

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEMS = "https://telemarketing.example/problems/"
INVALID_FIELDS = PROBLEMS + "invalid-fields"
BROKER_UNAVAILABLE = PROBLEMS + "broker-unavailable"
DATABASE_UNAVAILABLE = PROBLEMS + "database-unavailable"
SERVICE_UNAVAILABLE = PROBLEMS + "service-unavailable"
BODY_TOO_LARGE = PROBLEMS + "body-too-large"
UNSUPPORTED_MEDIA_TYPE = PROBLEMS + "unsupported-media-type"
INTERNAL_ERROR = PROBLEMS + "internal-error"
JSON_TOO_DEEP = PROBLEMS + "json-too-deep"
# Seconds a client should wait before retrying an answer that says "not now".
RETRY_AFTER_S = 2


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body, query, path or header, then the field's path")
    field: str = Field(description="the field's path, dotted (lead.phone, turns.0.text)")
    msg: str
    type: str | None = None


class Problem(BaseModel):
    """An error answer (RFC 9457). Further members may carry what the client needs to act
    (the owner of a lead, the differing fields of a re-sent call)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(default="about:blank", description="a URI naming the kind of problem")
    title: str = Field(description="the kind of problem, in words (the same for every occurrence)")
    status: int = Field(description="the HTTP status code")
    detail: str | None = Field(default=None, description="this occurrence, in words")
    instance: str | None = Field(default=None, description="the request path")
    errors: list[FieldError] | None = Field(default=None, description="each invalid field, when fields are at fault")


def problem_response(
    status: int,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details answer; routes that answer an error themselves use this too."""
    body = problem_document(status, detail, type_=type_, title=title, instance=instance, errors=errors, **extensions)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON)


def problem_document(
    status: int,
    detail: str | None = None,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    instance: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    """The problem itself, for an answer that carries several (one per record of a batch)."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
        **({"detail": detail} if detail is not None else {}),
        **({"instance": instance} if instance else {}),
        **({"errors": [_field_error(e) for e in errors]} if errors else {}),
    }
    body.update({k: v for k, v in extensions.items() if k not in body})
    return body


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _field_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """One invalid field from FastAPI's or pydantic's error dict, or from ``{"field": ...}``."""
    loc = list(error.get("loc") or ())
    if not loc and error.get("field"):
        loc = ["body", *str(error["field"]).split(".")]
    loc = [part if isinstance(part, int) else str(part) for part in loc]
    where = loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    field = error.get("field") or ".".join(str(part) for part in where)
    msg = error.get("msg") or error.get("message") or "invalid"
    entry: dict[str, Any] = {"loc": loc, "field": str(field), "msg": str(msg)}
    if error.get("type"):
        entry["type"] = str(error["type"])
    return entry


def _is_field_error(value: object) -> bool:
    return isinstance(value, Mapping) and ("loc" in value or "field" in value)


def _summary(errors: Sequence[Mapping[str, Any]]) -> str:
    named = [f"{e['field'] or '.'.join(map(str, e['loc']))}: {e['msg']}" for e in map(_field_error, errors)]
    return "; ".join(named)


def from_http_exception(exc: HTTPException, instance: str | None) -> JSONResponse:
    """The detail shapes the services raise, kept faithfully: a string is the detail; a list of
    field errors becomes ``errors``; a dict's ``field`` becomes an ``errors`` entry, its
    ``message`` the detail and its other keys extension members; a dict already shaped as a
    problem is taken as it is."""
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 503:
        headers.setdefault("Retry-After", str(RETRY_AFTER_S))
    detail: Any = exc.detail
    if isinstance(detail, str):
        return problem_response(status, detail, instance=instance, headers=headers)
    if isinstance(detail, list) and detail and all(_is_field_error(e) for e in detail):
        return problem_response(
            status, _summary(detail), type_=INVALID_FIELDS if status == 422 else "about:blank",
            instance=instance, errors=detail, headers=headers,
        )  # fmt: skip
    if isinstance(detail, Mapping):
        members = dict(detail)
        problem_type = members.pop("type", None) if isinstance(members.get("type"), str) else None
        title = members.pop("title", None) if isinstance(members.get("title"), str) else None
        members.pop("status", None)
        text = members.pop("detail", None)
        message = members.pop("message", None)
        errors: list[Mapping[str, Any]] = []
        if "field" in members:
            errors.append({"field": members.pop("field"), "msg": message or text or "invalid"})
        if isinstance(members.get("errors"), list):
            errors.extend(e for e in members.pop("errors") if _is_field_error(e))
        return problem_response(
            status,
            str(text or message) if (text or message) else None,
            type_=problem_type or "about:blank",
            title=title,
            instance=instance,
            errors=errors,
            headers=headers,
            **members,
        )
    return problem_response(status, None if detail is None else str(detail), instance=instance, headers=headers)


async def _http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return from_http_exception(exc, request.url.path)


def invalid_fields(
    errors: Sequence[Mapping[str, Any]], *, instance: str | None = None, **extensions: Any
) -> JSONResponse:
    """422 naming every invalid field (FastAPI-style ``loc``/``msg``/``type`` dicts), for a
    route that checks more than its request model can.

    Only where and why: the caller's own ``input`` (a customer's name and number, say) is never
    echoed back, so an error body or a log of it holds no personal data."""
    body = invalid_fields_document(errors, instance=instance, **extensions)
    return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)


def invalid_fields_document(
    errors: Sequence[Mapping[str, Any]], *, instance: str | None = None, **extensions: Any
) -> dict[str, Any]:
    """The 422 problem of ``invalid_fields`` itself (a rejected record in a batch's answer)."""
    errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in errors]
    return problem_document(
        422, _summary(errors), type_=INVALID_FIELDS, title="Invalid fields", instance=instance, errors=errors,
        **extensions,
    )  # fmt: skip


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return invalid_fields(list(exc.errors()), instance=request.url.path)


# What nats-py raises when the broker is away or does not answer in time. nats-py buffers
# publishes while it reconnects (up to ``pending_size``) and a JetStream publish then waits for
# its PubAck until the timeout, so a timeout does not say "not stored", only "not known to be
# stored". Either way the client is told 503 and retries with the same ids (a call's call_id, a
# lead's deterministic event ids): a copy that did land is dropped by the stream's duplicate
# window or found by the handler's replay of the aggregate, so the retry stores it exactly once.
BROKER_ERRORS: tuple[type[Exception], ...] = (
    BrokerUnavailable,
    nats.errors.TimeoutError,
    nats.errors.ConnectionClosedError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.ConnectionDrainingError,
    nats.errors.NoServersError,
    nats.errors.NoRespondersError,
    nats.errors.OutboundBufferLimitError,
    nats.errors.StaleConnectionError,
    nats.js.errors.NoStreamResponseError,
    nats.js.errors.ServiceUnavailableError,
)


async def _broker_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("broker unavailable", extra={"path": request.url.path, "error": f"{type(exc).__name__}: {exc}"})
    return problem_response(
        503,
        "the event log did not confirm the write in time; nothing is known to be stored. "
        f"Retry after {RETRY_AFTER_S} s with the same request (the same ids): it is stored once.",
        type_=BROKER_UNAVAILABLE,
        title="Broker unavailable",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable", extra={"path": request.url.path, "error": type(exc).__name__})
    return problem_response(
        503,
        f"the service's database is unavailable; retry after {RETRY_AFTER_S} s",
        type_=DATABASE_UNAVAILABLE,
        title="Database unavailable",
        instance=request.url.path,
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


async def _payload_too_large(request: Request, exc: Exception) -> JSONResponse:
    return problem_response(
        413,
        f"the request makes an event larger than the broker accepts ({exc})",
        type_=BODY_TOO_LARGE,
        instance=request.url.path,
    )


def _trace_id() -> str | None:
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None


class _UnexpectedErrors:
    """Any exception no handler took: logged with its stack (and the trace id, from the log
    filter) and answered 500 with a generic detail, never the stack."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: AsgiMessage) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            trace_id = _trace_id()
            log.exception("unexpected error", extra={"path": scope.get("path"), "method": scope.get("method")})
            if started:  # the answer is on its way; nothing better to do than cut it
                raise
            extensions: dict[str, Any] = {"trace_id": trace_id} if trace_id else {}
            response = problem_response(
                500,
                "an unexpected error; it is logged" + (f" under trace {trace_id}" if trace_id else ""),
                type_=INTERNAL_ERROR,
                instance=scope.get("path"),
                **extensions,
            )
            await response(scope, receive, send)


class BodyTooLarge(HTTPException):
    """Raised from the counted ``receive``: an HTTPException, so FastAPI's body parsing lets
    it through to the problem handler instead of calling it a malformed body."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")
        self.limit = limit


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower case, as ``email.message.Message``'s
    ``get_content_type`` reads it (the parameters cut off; not ``type/subtype``: text/plain),
    without building a message per request."""
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type if media_type.count("/") == 1 else "text/plain"


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class _EdgeGuard:
    """Bad input turned away before a route runs: a body over the limit (413; the declared
    length checked first, then the bytes counted as they stream, so a gigabyte is never held),
    a body in a type the route cannot read (415), JSON nested deeper than any request of this
    API (422)."""

    def __init__(
        self, app: ASGIApp, *, fastapi_app: FastAPI, max_json_bytes: int, max_upload_bytes: int, max_json_depth: int
    ) -> None:
        self.app = app
        self.max_json_depth = max_json_depth
        self._body_types: list[tuple[re.Pattern[str], str, frozenset[str]]] | None = None
        self.fastapi_app = fastapi_app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    def _declared_types(self, method: str, path: str) -> frozenset[str]:
        """The body types the operation at ``path`` declares in the app's OpenAPI document (the
        public description of its routes; routers are not walked, FastAPI nests them privately).
        Empty when it declares no body, or is not in the document (a proxy's catch-all)."""
        if self._body_types is None:
            entries: list[tuple[int, re.Pattern[str], str, frozenset[str]]] = []
            for template, item in self.fastapi_app.openapi().get("paths", {}).items():
                pattern = re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)) + "$")
                for verb, operation in item.items():
                    content = (
                        (operation.get("requestBody") or {}).get("content") if isinstance(operation, dict) else None
                    )
                    if content:
                        entries.append((template.count("{"), pattern, verb.upper(), frozenset(content)))
            # A literal path wins over a template matching it too (/v1/leads/import, /v1/leads/{id}).
            self._body_types = [(p, m, t) for _, p, m, t in sorted(entries, key=lambda e: e[0])]
        for pattern, verb, types in self._body_types:
            if verb == method and pattern.match(path):
                return types
        return frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        content_type = length = ""
        chunked = False
        for name, value in scope["headers"]:  # the three it needs, not every header decoded
            lowered = name.lower()
            if lowered == b"content-type":
                content_type = value.decode("latin-1")
            elif lowered == b"content-length":
                length = value.decode("latin-1")
            elif lowered == b"transfer-encoding":
                chunked = True
        media_type = _media_type(content_type) if content_type else ""
        limit = self.max_upload_bytes if media_type in FORM_TYPES else self.max_json_bytes
        path = scope.get("path")
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            # As for the JSON body below: PostgreSQL text cannot hold U+0000, and no parameter of
            # this API has a use for it; refused here rather than a 500 in a query filter.
            name = next((p.split(b"=")[0] for p in query.split(b"&") if b"%00" in p or b"\x00" in p), b"")
            where = ["query", unquote_to_bytes(name).decode("utf-8", "replace")]
            await _nul_refused(where, "holds the NUL character (%00), which no parameter accepts", path)(
                scope, receive, send
            )
            return
        if length.isdigit() and int(length) > limit:
            await _too_large(limit, path)(scope, receive, send)
            return
        has_body = (length.isdigit() and int(length) > 0) or chunked
        declared = self._declared_types(scope["method"], path or "") if has_body and content_type else frozenset()
        if declared and media_type not in declared and not (_is_json(media_type) and "application/json" in declared):
            wanted = " or ".join(sorted(declared))
            unsupported = problem_response(
                415,
                f"this route reads {wanted}, not {media_type}",
                type_=UNSUPPORTED_MEDIA_TYPE,
                instance=path,
                headers={"Accept": wanted},
            )
            await unsupported(scope, receive, send)
            return
        received = 0

        async def counted() -> AsgiMessage:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        if not _is_json(media_type):
            await self.app(scope, counted, send)
            return
        # A JSON body (at most the JSON limit) is read here whole, to refuse nesting deeper than
        # any request of this API has before a parser recurses into it.
        chunks: list[bytes] = []
        try:
            while True:
                message = await counted()
                if message["type"] != "http.request":
                    return  # the client went away
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except BodyTooLarge:
            await _too_large(limit, path)(scope, receive, send)
            return
        body = b"".join(chunks)
        depth = json_depth(body)
        if depth > self.max_json_depth:
            too_deep = problem_response(
                422,
                f"the JSON body is nested {depth} levels deep; at most {self.max_json_depth} are read",
                type_=JSON_TOO_DEEP,
                title="JSON nested too deep",
                instance=path,
            )
            await too_deep(scope, receive, send)
            return
        if _NUL_ESCAPE.search(body):
            # PostgreSQL text cannot hold U+0000 (asyncpg refuses it), and no field of this API
            # has a use for it: refused here, for every route, rather than a 500 deep inside.
            nul = _nul_refused(["body"], "a string holds the NUL character (\\u0000), which no field accepts", path)
            await nul(scope, receive, send)
            return
        replayed = False

        async def replay() -> AsgiMessage:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _nul_refused(loc: list[str], msg: str, path: str | None) -> JSONResponse:
    """The edge's one answer to U+0000 in a query parameter or a JSON body: 422 naming where."""
    return invalid_fields([{"loc": loc, "msg": msg, "type": "nul_character"}], instance=path)


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?')
# A JSON escape of U+0000: \u0000 after an even number (zero included) of other backslashes.
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_BRACKET = re.compile(rb"[\[\]{}]")


def json_depth(body: bytes) -> int:
    """How deep a JSON text nests, without parsing it (strings, which may hold brackets, are
    skipped; a malformed text gets some number, and the parser's own error after)."""
    depth = deepest = 0
    for bracket in _BRACKET.findall(_STRING.sub(b"", body)):
        if bracket in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _too_large(limit: int, instance: str | None) -> JSONResponse:
    return problem_response(
        413, f"the request body is larger than {limit} bytes", type_=BODY_TOO_LARGE, instance=instance
    )


async def _body_too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return _too_large(exc.limit, request.url.path)


def install_problem_handlers(app: FastAPI, settings: ServiceSettings | None = None) -> None:
    """Every error of ``app`` as problem details, and the edge limits of ``settings``. Call it
    before instrumenting the app, so the tracing middleware wraps these (the trace id is then
    known when an unexpected error is logged)."""
    settings = settings or ServiceSettings()
    handlers: dict[type[Exception], Callable[[Request, Exception], Awaitable[JSONResponse]]] = {
        BodyTooLarge: _body_too_large,
        HTTPException: _http_exception,
        RequestValidationError: _validation_error,
        nats.errors.MaxPayloadError: _payload_too_large,
        OperationalError: _database_unavailable,
        InterfaceError: _database_unavailable,
        **dict.fromkeys(BROKER_ERRORS, _broker_unavailable),
    }
    for exc_class, handler in handlers.items():
        app.add_exception_handler(exc_class, handler)
    # Added last, so outermost of the two: it also catches what the guard's own code raises.
    app.add_middleware(
        _EdgeGuard,
        fastapi_app=app,
        max_json_bytes=settings.max_json_body_bytes,
        max_upload_bytes=settings.max_upload_body_bytes,
        max_json_depth=settings.max_json_depth,
    )
    app.add_middleware(_UnexpectedErrors)
    _describe_problems_in_openapi(app)


def _shapeless(response: dict[str, Any]) -> bool:
    """An error answer documented without a shape of its own (or with FastAPI's default 422
    one): it is a ``Problem``. One a route declared a model for is left as the route says."""
    schemas = [media.get("schema") or {} for media in (response.get("content") or {}).values()]
    return all(not s or s.get("$ref", "").endswith("/HTTPValidationError") for s in schemas)


def _describe_problems_in_openapi(app: FastAPI) -> None:
    """Every operation's error answers are ``Problem``s: FastAPI's default 422 shape is
    replaced, and client errors (``4XX``: an unknown id, a body too large …) and ``503`` (retry
    after ``Retry-After``) are declared on every operation, as every operation may give them."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem_schema.pop("$defs", {}), Problem=problem_schema)
        problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        retry_after = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
        for item in document.get("paths", {}).values():
            for method, operation in item.items():
                if method not in ("get", "put", "post", "patch", "delete") or not isinstance(operation, dict):
                    continue
                responses = operation.setdefault("responses", {})
                for code, response in responses.items():
                    if code[:1] in ("4", "5") and _shapeless(response):
                        response["content"] = problem
                responses.setdefault("4XX", {"description": "a client error, as problem details", "content": problem})
                unavailable = {"description": "unavailable for now; retry after Retry-After", "headers": retry_after}
                responses.setdefault("503", {**unavailable, "content": problem})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
