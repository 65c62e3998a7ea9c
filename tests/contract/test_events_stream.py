"""GET /v1/events/stream (gateway.events_stream) on a real uvicorn server and nats-server: a
client follows events while they are published, resumes after a disconnect with Last-Event-ID
without a gap or a repeat, gets heartbeats, sees personal data masked, goes through the role
filter, and is dropped when it does not read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import httpx
import nats
import pytest
import uvicorn
from common.events import CallEnded, CallPlaced
from common.eventstore import EventNames, EventStore, ensure_stream
from common.settings import ServiceSettings
from common.testing import free_port
from fastapi import FastAPI
from gateway.events_stream import LiveEvent, RoleFilter, install, mask_personal_data, parse_cursor
from nats.aio.client import Client


def ended(call_id: str, *, team: str = "t-1", turns: int = 0) -> CallEnded:
    return CallEnded.model_validate(
        {
            "call_id": call_id,
            "campaign": {"id": "k-1"},
            "agent": {"id": "a-1", "team": team},
            "customer": {"lead_id": "l-1", "phone_masked": "138****8000", "name_digest": "ab12", "birth_year": 1970},
            "placed_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
            "ended_at": datetime(2026, 11, 20, 2, 3, tzinfo=UTC),
            "hangup_by": "customer",
            "disposition": "busy",
            "notes": "call back after 6",
            "turns": [
                {"speaker": "customer", "start_s": i, "end_s": i + 1, "text": "我姓王，电话是13800138000 " * 20}
                for i in range(turns)
            ],
        }
    )


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc: Client = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    for owner in ("calls", "leads", "scheduling", "qa"):
        await ensure_stream(js, names, owner)
    yield EventStore(js, names, source=f"/{event_namespace}/calls")
    for owner in ("calls", "leads", "scheduling", "qa"):
        await js.delete_stream(names.stream(owner))
    await nc.close()


@asynccontextmanager
async def gateway(store: EventStore, nats_url: str, **options: object) -> AsyncIterator[str]:
    app = FastAPI()
    settings = ServiceSettings(nats_url=nats_url, event_namespace=store.names.namespace)
    install(app, settings, **options)  # type: ignore[arg-type]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, timeout_graceful_shutdown=2)
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # up to 10 s
        if server.started:
            break
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Message:
    id: str | None = None
    event: str | None = None
    data: dict[str, object] = field(default_factory=dict)
    comment: str | None = None


async def messages(response: httpx.Response) -> AsyncIterator[Message]:
    """SSE messages and comments, as an EventSource would split them."""
    current = Message()
    async for line in response.aiter_lines():
        if line == "":
            if current.id or current.event or current.data or current.comment:
                yield current
            current = Message()
        elif line.startswith(":"):
            current.comment = line[1:].strip()
        elif line.startswith("id: "):
            current.id = line[4:]
        elif line.startswith("event: "):
            current.event = line[7:]
        elif line.startswith("data: "):
            current.data = json.loads(line[6:])


async def events(reader: AsyncIterator[Message], n: int, timeout: float = 15) -> list[Message]:
    """The next ``n`` events (heartbeats skipped) from one response's message reader."""
    got: list[Message] = []
    deadline = asyncio.get_running_loop().time() + timeout
    while len(got) < n:
        message = await asyncio.wait_for(anext(reader), deadline - asyncio.get_running_loop().time())
        if message.event:
            got.append(message)
    return got


async def publish(store: EventStore, *calls: CallEnded | CallPlaced) -> None:
    for call in calls:
        await store.append([call], expected_version=None)


async def test_follow_then_resume_after_a_disconnect_without_gap_or_repeat(store: EventStore, nats_url: str) -> None:
    async with gateway(store, nats_url, heartbeat=0.3) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        async with client.stream("GET", "/v1/events/stream", params={"type": "CallEnded"}) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            # Published while the client follows: a CallPlaced (not asked for) among them.
            placed = CallPlaced.model_validate(
                {**ended("c-0").model_dump(), "placed_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC)}
            )
            await publish(store, ended("c-1"), placed, ended("c-2"))
            first = await events(messages(response), 2)
        assert [m.data["subject"] for m in first] == ["c-1", "c-2"]
        assert all(m.event == "CallEnded" for m in first)
        assert first[0].data["ce_type"] == "com.telemarketing.calls.CallEnded.v1"
        # Personal data masked by the default role filter; the masked number shown as the API does.
        data = first[0].data["data"]
        assert isinstance(data, dict)
        assert data["customer"] == {**data["customer"], "name_digest": "***", "birth_year": "***"}
        assert data["customer"]["phone_masked"] == "138****8000"
        assert data["notes"] == "***"
        last_seen = first[-1].id
        assert last_seen is not None and parse_cursor(last_seen, ["calls"]) == {"calls": 3}

        # Disconnected: three more calls happen meanwhile.
        await publish(store, ended("c-3"), ended("c-4"), ended("c-5"))
        headers = {"Last-Event-ID": last_seen}
        async with client.stream("GET", "/v1/events/stream?type=CallEnded", headers=headers) as response:
            reader = messages(response)
            resumed = await events(reader, 3)
            await publish(store, ended("c-6"))
            after = await events(reader, 1)
        assert [m.data["subject"] for m in resumed + after] == ["c-3", "c-4", "c-5", "c-6"]
        ids = [m.id for m in first + resumed + after]
        assert len(set(ids)) == len(ids)

        # A bare stream sequence works too when one stream is followed.
        async with client.stream("GET", "/v1/events/stream?type=CallEnded&last_event_id=5") as response:
            (again,) = await events(messages(response), 1)
        assert again.data["subject"] == "c-5"


async def test_heartbeats_keep_an_idle_stream_open(store: EventStore, nats_url: str) -> None:
    async with gateway(store, nats_url, heartbeat=0.2) as base, httpx.AsyncClient(base_url=base, timeout=20) as client:
        async with client.stream("GET", "/v1/events/stream") as response:
            comments: list[str] = []

            async def read() -> None:
                async for message in messages(response):
                    if message.comment == "heartbeat":
                        comments.append(message.comment)
                        if len(comments) == 3:
                            return

            await asyncio.wait_for(read(), 10)


async def test_the_role_filter_decides_per_event(store: EventStore, nats_url: str) -> None:
    def team_t1_only(event: LiveEvent) -> LiveEvent | bool:
        agent = event.data.get("agent")
        if not isinstance(agent, dict) or agent.get("team") != "t-1":
            return False
        masked = mask_personal_data(event)
        return replace(masked, data={**masked.data, "seen_by": "t-1"})

    chosen: RoleFilter = team_t1_only
    async with gateway(store, nats_url, role_filter=chosen) as base, httpx.AsyncClient(base_url=base) as client:
        async with client.stream("GET", "/v1/events/stream", params={"type": "CallEnded"}) as response:
            await publish(store, ended("c-a", team="t-2"), ended("c-b", team="t-1"))
            (only,) = await events(messages(response), 1)
        assert only.data["subject"] == "c-b"
        data = only.data["data"]
        assert isinstance(data, dict) and data["seen_by"] == "t-1" and data["notes"] == "***"


async def test_bad_requests_are_refused(store: EventStore, nats_url: str) -> None:
    async with gateway(store, nats_url) as base, httpx.AsyncClient(base_url=base) as client:
        assert (await client.get("/v1/events/stream", params={"type": "NoSuchEvent"})).status_code == 422
        bad = await client.get("/v1/events/stream", headers={"Last-Event-ID": "nonsense"})
        assert bad.status_code == 422
        other = await client.get("/v1/events/stream?type=CallEnded", headers={"Last-Event-ID": "leads:3"})
        assert other.status_code == 422


async def _eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("not reached in time")
        await asyncio.sleep(0.1)


async def test_a_client_that_does_not_read_is_dropped_and_resumes_without_loss(
    store: EventStore, nats_url: str
) -> None:
    total = 300  # about 36 KiB each with their transcripts, 11 MiB: more than the sockets' buffers hold
    stream = store.names.stream("calls")

    def sees_transcripts(event: LiveEvent) -> bool:  # a role that may read them: nothing masked
        return True

    async with (
        gateway(store, nats_url, queue_size=5, send_timeout=1.0, role_filter=sees_transcripts) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        async with client.stream("GET", "/v1/events/stream?type=CallEnded") as response:
            await _eventually(lambda: _consumers(store, stream, 1))
            await publish(store, *(ended(f"c-{i:03}", turns=60) for i in range(total)))
            # The server gave up on the client (a write it did not take within 1 s): its consumer
            # is gone and nothing more is held for it.
            await _eventually(lambda: _consumers(store, stream, 0))
            received: list[Message] = []
            # What was already on the wire, then the connection ends mid-stream, as EventSource
            # sees a dropped stream before it reconnects with its Last-Event-ID.
            with pytest.raises(httpx.RemoteProtocolError):
                async for message in messages(response):
                    if message.event:
                        received.append(message)
        assert 0 < len(received) < total
        last = received[-1].id
        assert last is not None
        async with client.stream("GET", "/v1/events/stream?type=CallEnded", headers={"Last-Event-ID": last}) as again:
            rest = await events(messages(again), total - len(received), timeout=60)
        subjects = [m.data["subject"] for m in received + rest]
        assert subjects == [f"c-{i:03}" for i in range(total)]


async def _consumers(store: EventStore, stream: str, n: int) -> bool:
    return (await store.js.stream_info(stream)).state.consumer_count == n


async def test_the_gateway_serves_the_contract_and_a_rendered_page(event_namespace: str, nats_url: str) -> None:
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from tm_events.contract import asyncapi_document

    app = create_app(GatewaySettings(nats_url=nats_url, event_namespace=event_namespace))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as client:
        document = await client.get("/asyncapi.json")
        assert document.status_code == 200
        assert document.json() == json.loads(json.dumps(asyncapi_document(event_namespace)))
        assert (
            document.json()["channels"]["calls.CallEnded"]["address"]
            == f"{event_namespace}.calls.{{aggregate}}.CallEnded"
        )
        page = await client.get("/asyncapi")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "AsyncApiStandalone.render" in page.text and "com.telemarketing.calls.CallEnded.v1" in page.text
