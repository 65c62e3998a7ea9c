"""A trace runs from the publisher's span through the event into the consumer's apply span, and
shows each SQL statement and outgoing HTTP call it waited on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import httpx
import nats
import pytest
from common.db import create_engine, migrate, sessionmaker
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import EventByEvent, EventContext, ProjectionRunner
from common.telemetry import instrument_libraries
from common.testing import ProvisionedDatabase, eventually, free_port
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


class Nothing(EventByEvent):
    name = "nothing"
    subscriptions: dict[str, Sequence[str]] = {"scheduling": ["CallbackDue"]}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        return None

    async def reset(self, session: AsyncSession) -> None:
        return None


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    """The spans finished during the test (the process' one SDK tracer provider, installed once)."""
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


async def test_consumer_span_is_a_child_of_the_publishing_span(
    nats_url: str, event_namespace: str, test_database: ProvisionedDatabase, exporter: InMemorySpanExporter
) -> None:

    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    engine = create_engine(test_database.url)
    await migrate(engine, [])
    store = EventStore(js, names, "/test")
    with trace.get_tracer("test").start_as_current_span("POST /v1/calls") as request_span:
        await store.publish(CallbackDue(callback_id="cb-t", lead_id="l", due_at=datetime.now(UTC), reason="t"))
    trace_id = request_span.get_span_context().trace_id

    runner = ProjectionRunner(js, names, sessionmaker(engine), Nothing(), "scheduling")
    task = asyncio.create_task(runner.run())

    async def consumer_span() -> bool:
        return any(s.name == "nothing apply CallbackDue" for s in exporter.get_finished_spans())

    await eventually(consumer_span)
    runner.stop()
    await task
    span = next(s for s in exporter.get_finished_spans() if s.name == "nothing apply CallbackDue")
    assert span.context.trace_id == trace_id
    # The consumer's parent is the publish (its span's context is what the headers carry), whose
    # parent is the request: request -> publish (waiting for the PubAck) -> apply.
    publish = next(s for s in exporter.get_finished_spans() if s.name == "publish scheduling.CallbackDue")
    assert publish.kind == trace.SpanKind.PRODUCER
    assert publish.parent is not None and publish.parent.span_id == request_span.get_span_context().span_id
    assert span.parent is not None and span.parent.span_id == publish.context.span_id
    await nc.close()
    await engine.dispose()


@pytest.fixture
def http_server() -> Iterator[str]:
    """A real HTTP server on a free port (the standard library's), answering 204 to any GET."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class NoContent(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), NoContent)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_sql_statements_and_outgoing_http_are_spans_of_the_request(
    test_database: ProvisionedDatabase, exporter: InMemorySpanExporter, http_server: str
) -> None:
    """What setup_tracing installs (the SQLAlchemy and httpx instrumentation): inside a request's
    span, each statement and each outgoing call is a child span, so a slow one shows where it
    waited."""
    instrument_libraries()
    instrument_libraries()  # idempotent: no second span per statement
    engine = create_engine(test_database.url)  # made after instrumenting, as in a service
    try:
        with trace.get_tracer("test").start_as_current_span("GET /v1/reports/daily") as request_span:
            async with sessionmaker(engine)() as session:
                await session.execute(text("SELECT 42"))
            async with httpx.AsyncClient() as client:
                answer = await client.get(http_server + "/readyz")
        assert answer.status_code == 204
    finally:
        await engine.dispose()
    request = request_span.get_span_context()
    children = [s for s in exporter.get_finished_spans() if s.parent and s.parent.span_id == request.span_id]
    statements = [s for s in children if s.kind == trace.SpanKind.CLIENT and "SELECT" in s.name]
    assert len(statements) == 1, [s.name for s in children]
    assert statements[0].attributes is not None
    assert "SELECT 42" in str(statements[0].attributes.get("db.statement"))
    calls = [s for s in children if s.kind == trace.SpanKind.CLIENT and s.name == "GET"]
    assert len(calls) == 1, [s.name for s in children]
    assert calls[0].attributes is not None
    assert calls[0].attributes.get("http.status_code", calls[0].attributes.get("http.response.status_code")) == 204


async def test_a_rebuild_makes_one_span_per_batch(
    nats_url: str, event_namespace: str, test_database: ProvisionedDatabase, exporter: InMemorySpanExporter
) -> None:
    """Live, a span per event continues each publisher's trace; a rebuild replays traces that
    ended long ago, and a span per event would cost as much as applying it."""
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "scheduling")
    engine = create_engine(test_database.url)
    await migrate(engine, [])
    store = EventStore(js, names, "/test")
    for i in range(5):
        await store.publish(CallbackDue(callback_id=f"cb-r{i}", lead_id="l", due_at=datetime.now(UTC), reason="t"))
    runner = ProjectionRunner(
        js, names, sessionmaker(engine), Nothing(), "scheduling", batch_size=1, rebuild_batch_size=2
    )
    assert await runner.rebuild(progress=False) == 5
    spans = [s for s in exporter.get_finished_spans() if s.name.startswith("nothing ")]
    assert [(s.name, (s.attributes or {}).get("messaging.batch.message_count")) for s in spans] == [
        ("nothing rebuild batch", 2),
        ("nothing rebuild batch", 2),
        ("nothing rebuild batch", 1),
    ]
    await nc.close()
    await engine.dispose()
