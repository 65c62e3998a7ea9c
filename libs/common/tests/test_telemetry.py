"""A trace runs from the publisher's span through the event into the consumer's apply span."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import nats
from common.db import create_engine, migrate, sessionmaker
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import EventNames, EventStore, ensure_stream
from common.projection import EventByEvent, EventContext, ProjectionRunner
from common.testing import ProvisionedDatabase, eventually
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy.ext.asyncio import AsyncSession


class Nothing(EventByEvent):
    name = "nothing"
    subscriptions: dict[str, Sequence[str]] = {"scheduling": ["CallbackDue"]}

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        return None

    async def reset(self, session: AsyncSession) -> None:
        return None


async def test_consumer_span_is_a_child_of_the_publishing_span(
    nats_url: str, event_namespace: str, test_database: ProvisionedDatabase
) -> None:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

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
    assert span.parent is not None and span.parent.span_id == request_span.get_span_context().span_id
    await nc.close()
    await engine.dispose()
