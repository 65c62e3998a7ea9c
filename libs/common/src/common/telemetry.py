"""Traces and logs: one trace from the gateway request through every event it causes.

Trace context travels in the NATS headers (W3C ``traceparent``/``tracestate``) next to the
CloudEvents attributes, so a consumer's span is a child of the publisher's. Logs are JSON lines
carrying the trace id, so the SRE on call can go from a log line to the whole trace.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter

_configured = False


def setup_tracing(service_name: str) -> None:
    """Install a tracer provider; spans are exported over OTLP/HTTP when
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, otherwise kept in-process only (ids still flow
    into logs and headers, which is what correlation needs)."""
    global _configured
    if _configured:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    instrument_libraries()
    _configured = True


def instrument_libraries() -> None:
    """Spans for every SQL statement (SQLAlchemy: the statement, the connection checkout, and on
    SQLite the ``BEGIN IMMEDIATE`` that waits for the write lock) and every outgoing HTTP call
    (httpx: the gateway's forwards, which also carry the trace on to the service), from the
    OpenTelemetry instrumentation packages, so a slow request's trace shows where it waited.
    Engines made afterwards by ``common.db.create_engine`` are traced. Idempotent."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    sqlalchemy, httpx = SQLAlchemyInstrumentor(), HTTPXClientInstrumentor()
    if not sqlalchemy.is_instrumented_by_opentelemetry:
        # The package declares SQLAlchemy < 2.1 and would do nothing on the locked 2.1; the
        # engine events it listens to are unchanged in 2.1, and libs/common/tests/test_telemetry.py
        # checks that every statement still makes its span.
        sqlalchemy.instrument(skip_dep_check=True)
    if not httpx.is_instrumented_by_opentelemetry:
        httpx.instrument()


class _TraceContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            record.trace_id = format(span_context.trace_id, "032x")
            record.span_id = format(span_context.span_id, "016x")
        return True


def setup_logging(service_name: str, level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service_name},
        )
    )
    handler.addFilter(_TraceContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log duplicates what the trace already tells; keep warnings only.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # httpx logs every request at INFO: a JSON line per forwarded call in the gateway, which cost
    # it more than the forwarding itself (benchmarks/ingest.py); failures still log as warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def inject_trace_headers() -> dict[str, str]:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def extract_trace_context(headers: Mapping[str, str] | None) -> context.Context:
    return propagate.extract(dict(headers or {}))


def span_attributes(**attributes: Any) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if v is not None}


def trace_headers_of(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Only the trace context (``traceparent``, ``tracestate``, ``baggage``) among a message's
    headers: what to keep to continue its trace later (the outbox stores it with each row)."""
    fields = propagate.get_global_textmap().fields
    return {k: v for k, v in (headers or {}).items() if k in fields}
