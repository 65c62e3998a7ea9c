"""Live events for front-ends, and the published event contract.

``GET /v1/events/stream`` is a Server-Sent Events stream of the platform's events, read straight
from JetStream (an ordered, ephemeral consumer per owning stream and client):

- ``type`` (repeatable, or comma-separated; short ``CallEnded`` or ``com.telemarketing.calls.
  CallEnded.v1``) narrows it to those event types; none means every public event.
- Each event passes the **role filter** before it is sent: a function of the event returning
  ``True`` (send as it is), ``False`` (leave out) or another ``LiveEvent`` (send that, e.g.
  masked). The default sends everything with its personal data masked
  (``common.events.personal``: only the already-masked numbers shown). The authentication layer
  installs a filter per request (``role_filter_for``) from the caller's identity.
- Each message's ``id`` is a cursor, ``calls:120,leads:45``: the last stream sequence of every
  followed stream. A client reconnecting with ``Last-Event-ID`` (what EventSource sends by
  itself; or the ``last_event_id`` query parameter) resumes right after it, with no gap and no
  repeat; a bare number is accepted when one stream is followed. Without it the stream starts
  with the next event stored.
- A comment line every ``heartbeat`` seconds keeps proxies from closing an idle stream.
- A client that does not read fast enough is dropped, never buffered for: events are fetched
  from JetStream (pull consumers) only while at most ``queue_size`` wait for the client, and a
  write that the client does not take within ``send_timeout`` seconds ends the connection and
  deletes its consumers. It reconnects with its ``Last-Event-ID`` and misses nothing.

``GET /asyncapi.json`` is the AsyncAPI 3 document of every channel (``tm_events.contract``, with
the deployment's namespace) and ``GET /asyncapi`` renders it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import nats
from common.envelope import Envelope, EnvelopeError
from common.events.base import DomainEvent, UnknownEventType, event_class
from common.events.compat import public_events
from common.events.personal import mask
from common.eventstore import EventNames
from common.settings import ServiceSettings
from fastapi import APIRouter, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event as a front-end receives it."""

    id: str  # the ce-id
    type: str  # short name, CallEnded
    ce_type: str  # com.telemarketing.calls.CallEnded.v1
    owner: str
    subject: str | None  # the aggregate id
    time: str
    correlation_id: str | None
    stream_sequence: int
    data: dict[str, Any]

    def to_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "type": self.type,
                "ce_type": self.ce_type,
                "subject": self.subject,
                "time": self.time,
                "correlation_id": self.correlation_id,
                "sequence": self.stream_sequence,
                "data": self.data,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


# (event) -> True: send it; False: leave it out; a LiveEvent: send that instead.
RoleFilter = Callable[[LiveEvent], "LiveEvent | bool"]


def mask_personal_data(event: LiveEvent) -> LiveEvent:
    """The default filter: every event, its personal data masked (masked numbers shown)."""
    try:
        cls = event_class(event.type)
    except UnknownEventType:
        return event
    return replace(event, data=mask(cls, event.data))


# --- the cursor (Last-Event-ID) -------------------------------------------------------------

_CURSOR = re.compile(r"^[a-z][a-z0-9_-]*:\d+(,[a-z][a-z0-9_-]*:\d+)*$")


def format_cursor(positions: dict[str, int]) -> str:
    return ",".join(f"{owner}:{seq}" for owner, seq in sorted(positions.items()))


def parse_cursor(value: str, owners: Sequence[str]) -> dict[str, int]:
    value = value.strip()
    if value.isdigit() and len(owners) == 1:
        return {owners[0]: int(value)}
    if not _CURSOR.match(value):
        raise ValueError("Last-Event-ID is a cursor like calls:120,leads:45")
    positions = {owner: int(seq) for owner, seq in (part.split(":") for part in value.split(","))}
    unknown = set(positions) - set(owners)
    if unknown:
        raise ValueError(f"Last-Event-ID names streams this request does not follow: {', '.join(sorted(unknown))}")
    return positions


# --- the broker connection, shared by every client of one gateway process -----------------


class EventHub:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.names = EventNames(settings.event_namespace)
        self._nc: Client | None = None
        self._lock = asyncio.Lock()

    async def connection(self) -> Client:
        async with self._lock:
            if self._nc is None or self._nc.is_closed:
                options: dict[str, Any] = {"servers": self.settings.nats_url.split(","), "connect_timeout": 2}
                if self.settings.nats_user_credentials:
                    options["user_credentials"] = self.settings.nats_user_credentials
                elif self.settings.nats_user:  # the gateway's read-only user (common.broker_access)
                    options["user"] = self.settings.nats_user
                    options["password"] = self.settings.nats_password or ""
                self._nc = await nats.connect(**options)
            return self._nc

    async def close(self) -> None:
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()
        self._nc = None


def _requested(types: list[str] | None) -> dict[str, list[type[DomainEvent]]]:
    """The requested event classes by owner; every public event when none is named."""
    wanted: list[type[DomainEvent]] = []
    public = {cls.event_type for cls in public_events()}
    for raw in types or []:
        for name in filter(None, (t.strip() for t in raw.split(","))):
            try:
                cls = event_class(name)
            except UnknownEventType:
                cls = None
            if cls is None or cls.event_type not in public:
                raise HTTPException(422, detail={"field": "type", "message": f"unknown event type {name!r}"})
            wanted.append(cls)
    if not wanted:
        wanted = public_events()
    by_owner: dict[str, list[type[DomainEvent]]] = {}
    for cls in wanted:
        if cls not in by_owner.setdefault(cls.owner, []):
            by_owner[cls.owner].append(cls)
    return by_owner


async def current_positions(hub: EventHub, owners: Sequence[str]) -> dict[str, int]:
    js = (await hub.connection()).jetstream()
    return {owner: (await js.stream_info(hub.names.stream(owner))).state.last_seq for owner in owners}


async def follow(
    hub: EventHub,
    wanted: dict[str, list[type[DomainEvent]]],
    start: dict[str, int],
    role_filter: RoleFilter,
    *,
    heartbeat: float,
    queue_size: int,
) -> AsyncIterator[str]:
    """The SSE text of the stream, after ``start`` (the last stream sequence per owner).

    One ephemeral pull consumer per followed stream; each is fetched only while the client's
    queue has room (at most ``queue_size`` events wait), so a client that reads slowly is sent
    events as fast as it reads them and never makes the gateway hold more."""
    js = (await hub.connection()).jetstream()
    queue: asyncio.Queue[tuple[str, Msg]] = asyncio.Queue(maxsize=queue_size)
    positions = dict(start)
    subscriptions: list[Any] = []
    fetchers: list[asyncio.Task[None]] = []

    async def fetch(owner: str, sub: Any) -> None:
        while True:
            try:
                batch = await sub.fetch(batch=min(queue_size, 100), timeout=heartbeat)
            except TimeoutError:
                continue
            for msg in batch:
                await queue.put((owner, msg))  # waits while the client is behind

    try:
        for owner, classes in sorted(wanted.items()):
            config = ConsumerConfig(
                filter_subjects=[hub.names.type_filter(owner, cls.event_type) for cls in classes],
                deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=positions[owner] + 1,
                ack_policy=AckPolicy.NONE,
                mem_storage=True,
                # A consumer whose gateway died goes away by itself.
                inactive_threshold=10.0,
            )
            sub = await js.pull_subscribe("", stream=hub.names.stream(owner), config=config)
            subscriptions.append(sub)
            fetchers.append(asyncio.create_task(fetch(owner, sub)))
        yield "retry: 2000\n: connected\n\n"
        while True:
            try:
                owner, msg = await asyncio.wait_for(queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            positions[owner] = msg.metadata.sequence.stream
            try:
                envelope = Envelope.from_message(msg.headers, msg.data)
                cls = event_class(envelope.type)
            except (EnvelopeError, UnknownEventType):
                continue  # not an event a front-end can read; the cursor moves past it
            event = LiveEvent(
                id=envelope.id,
                type=cls.event_type,
                ce_type=cls.cloudevents_type(),
                owner=owner,
                subject=envelope.subject,
                time=envelope.time.isoformat(),
                correlation_id=envelope.correlation_id,
                stream_sequence=positions[owner],
                data=envelope.data,
            )
            verdict = role_filter(event)
            if verdict is False:
                continue
            shown = event if verdict is True else verdict
            assert isinstance(shown, LiveEvent)
            yield f"id: {format_cursor(positions)}\nevent: {shown.type}\ndata: {shown.to_json()}\n\n"
    finally:
        for task in fetchers:
            task.cancel()
        await asyncio.gather(*fetchers, return_exceptions=True)
        for sub in subscriptions:
            with contextlib.suppress(Exception):
                await js.delete_consumer(sub._stream, sub._consumer)
            with contextlib.suppress(Exception):
                await sub.unsubscribe()


class SlowClient(Exception):
    pass


class EventStreamResponse(StreamingResponse):
    """Server-sent events whose every write must complete within ``send_timeout``: a client
    that stops reading is dropped (its connection closed, its consumers deleted) instead of
    holding the gateway's buffers and a consumer for as long as it likes."""

    def __init__(self, content: AsyncIterator[str], *, send_timeout: float) -> None:
        super().__init__(
            content,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.send_timeout = send_timeout
        self._events = content

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def bounded_send(message: Any) -> None:
            try:
                await asyncio.wait_for(send(message), self.send_timeout)
            except TimeoutError:
                raise SlowClient from None

        try:
            await super().__call__(scope, receive, bounded_send)
        except SlowClient:
            log.warning("slow event-stream client dropped", extra={"send_timeout_s": self.send_timeout})
        except BaseExceptionGroup as group:  # Starlette's task group wraps it
            if not group.subgroup(SlowClient):
                raise
            log.warning("slow event-stream client dropped", extra={"send_timeout_s": self.send_timeout})
        finally:
            aclose = getattr(self._events, "aclose", None)
            if aclose is not None:
                await aclose()


@lru_cache(maxsize=4)
def _contract(namespace: str) -> tuple[str, str]:
    from tm_events.contract import asyncapi_document, asyncapi_html, dumps

    document = asyncapi_document(namespace)
    return dumps(document), asyncapi_html(document)


def install(
    app: FastAPI,
    settings: ServiceSettings,
    *,
    role_filter: RoleFilter = mask_personal_data,
    role_filter_for: Callable[[Request], RoleFilter] | None = None,
    heartbeat: float = 15.0,
    queue_size: int = 100,
    send_timeout: float = 30.0,
) -> EventHub:
    """Add the live event stream and the contract routes to ``app`` (before any catch-all)."""
    hub = EventHub(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await hub.close()

    router = APIRouter(lifespan=lifespan)

    @router.get(
        "/v1/events/stream",
        tags=["events"],
        # Said here: FastAPI reads a route's status from its response class's __init__ default,
        # which this class (content and send_timeout only) does not have; the document broke.
        status_code=200,
        response_class=EventStreamResponse,
        responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}}},
    )
    async def event_stream(
        request: Request,
        type: list[str] | None = Query(None, description="event types, short or namespaced; default: every one"),
        last_event_id: str | None = Query(None, description="resume after this cursor (as Last-Event-ID)"),
    ) -> EventStreamResponse:
        """Server-sent events of the platform's events the caller may see, personal data masked;
        resumes after ``Last-Event-ID``."""
        wanted = _requested(type)
        cursor = request.headers.get("last-event-id") or last_event_id
        try:
            start = parse_cursor(cursor, sorted(wanted)) if cursor else None
        except ValueError as exc:
            raise HTTPException(422, detail={"field": "Last-Event-ID", "message": str(exc)}) from None
        if start is None:
            # "From now" is fixed before the answer starts: an event stored once the client has
            # the response headers is after it, so the client sees it.
            start = await current_positions(hub, sorted(wanted))
        else:
            start = {**await current_positions(hub, [o for o in wanted if o not in start]), **start}
        chosen = role_filter_for(request) if role_filter_for is not None else role_filter
        body = follow(hub, wanted, start, chosen, heartbeat=heartbeat, queue_size=queue_size)
        return EventStreamResponse(body, send_timeout=send_timeout)

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(json.loads(_contract(settings.event_namespace)[0]))

    @router.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(_contract(settings.event_namespace)[1])

    app.include_router(router)
    return hub


__all__ = ["EventHub", "LiveEvent", "RoleFilter", "format_cursor", "install", "mask_personal_data", "parse_cursor"]
