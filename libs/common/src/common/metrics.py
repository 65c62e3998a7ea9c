"""Prometheus metrics at ``/metrics`` on every service and the gateway (prometheus-client).

What an SRE watches, with the alerts in ``deploy/monitoring/alerts.yaml`` and the dashboard in
``deploy/monitoring/dashboard.json`` (``docs/operations.md``, "Metrics and alerts"):

- HTTP, the RED way: ``tm_http_requests_total`` and ``tm_http_request_duration_seconds`` by
  method, route *template* (``/v1/calls/{call_id}``, never the raw path, so a label never holds an
  id) and status. Probes and scrapes (``/healthz``, ``/readyz``, ``/metrics``) are not counted:
  a failing readiness probe is not an API error.
- Projections: events applied and dead-lettered (``RunnerStats``, counted by the runner), the
  time each batch took (``tm_projection_batch_seconds``, the handler's latency including its
  transaction), the lag, the checkpoint, whether this replica holds the lease.
- Dead letters waiting in the service's table, the outbox's unpublished rows and the age of the
  oldest, and readiness (broker, JetStream, database) as the probe sees it.

Nothing here costs the hot path more than a counter: whatever needs the broker or the database
(lag, checkpoints, dead letters, outbox) is read when Prometheus scrapes, with a time limit, on a
read-only SQLite transaction (``common.db.read_only``) so a scrape never takes the write lock.
Each app has a registry of its own, so several services started in one test process never mix.
"""

from __future__ import annotations

import asyncio
import logging
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from common.service import Runtime

log = logging.getLogger(__name__)

# Paths that are not the API: probes and scrapes (the Kubernetes probes hit them every few seconds).
OPS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"  # a path no route answers (404): one label value, not one per path
# Seconds: a batch of one event on SQLite takes a millisecond, a batch of 500 on a loaded
# PostgreSQL up to a second or two; a handler retried after failures goes to the top buckets.
BATCH_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SCRAPE_TIMEOUT_S = 3.0


@dataclass
class LatencyHistogram:
    """A fixed-bucket histogram kept by the projection runner itself (``RunnerStats``): one
    bisect and two additions per batch, no lock (the runner's loop is the only writer), read by
    the service's collector at scrape time. ``counts[i]`` is the number of observations in
    bucket i (not cumulative); the last bucket is +Inf."""

    bounds: tuple[float, ...] = BATCH_BUCKETS
    counts: list[int] = field(default_factory=lambda: [0] * (len(BATCH_BUCKETS) + 1))
    total: float = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.total += seconds

    def cumulative(self) -> list[tuple[str, float]]:
        """Prometheus' buckets: (le, observations at or below it), +Inf last."""
        running = 0
        out: list[tuple[str, float]] = []
        for bound, count in zip((*map(str, self.bounds), "+Inf"), self.counts, strict=True):
            running += count
            out.append((bound, float(running)))
        return out


# --- HTTP: requests, errors, duration -------------------------------------------------------


class HttpMetrics:
    """The RED metrics of one app's HTTP API."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.service = service
        self.requests = Counter(
            "tm_http_requests",
            "HTTP requests answered, by route template and status.",
            ["service", "method", "route", "status"],
            registry=registry,
        )
        self.duration = Histogram(
            "tm_http_request_duration_seconds",
            "Time until the response's status and headers were sent (a streamed body, like the "
            "live events, is not counted in).",
            ["service", "method", "route"],
            registry=registry,
        )

    def record(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(self.service, method, route, str(status)).inc()
        self.duration.labels(self.service, method, route).observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's template (``/v1/calls/{call_id}``), or ``unmatched``. Starlette puts
    the route on the scope when it matches; a request refused before routing (a 401 from a
    middleware) is matched here against the app's routes."""
    route = scope.get("route")
    if route is None:
        router = getattr(scope.get("app"), "router", None)
        for candidate in _leaf_routes(getattr(router, "routes", ())):
            match, _child = candidate.matches(scope)
            if match is Match.FULL:
                route = candidate
                break
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


def _leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes themselves, inside FastAPI's included routers (which match without telling
    which of their routes did)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


class HttpMetricsMiddleware:
    """Pure ASGI (no request object, no body buffering): a clock read and two metric updates per
    request. Outermost, so refusals by the identity middlewares and problem handlers count too.
    ``route_of`` names a request's route where the app's own routes do not tell (the gateway's
    one forwarding route serves every /v1 path)."""

    def __init__(
        self, app: ASGIApp, *, metrics: HttpMetrics, route_of: Callable[[Scope], str] = route_template
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.route_of = route_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in OPS_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status: list[int] = []

        async def send_and_count(message: Message) -> None:
            if message["type"] == "http.response.start" and not status:
                status.append(int(message["status"]))
                self.metrics.record(scope["method"], self.route_of(scope), status[0], time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_count)
        except BaseException:
            if not status:  # failed before any answer: the server answers 500
                self.metrics.record(scope["method"], self.route_of(scope), 500, time.perf_counter() - started)
            raise


# --- what a service's runtime knows, read at scrape time -------------------------------------


@dataclass
class _Snapshot:
    """What one scrape read from the broker and the database (absent: could not be read)."""

    lag: dict[tuple[str, str], int] = field(default_factory=dict)  # (projection, stream) -> pending
    stream_last: dict[str, int] = field(default_factory=dict)
    checkpoints: dict[str, int] = field(default_factory=dict)  # checkpoint key -> last_seq
    dead_letters: dict[str, int] = field(default_factory=dict)  # projection -> rows waiting
    outbox_backlog: int | None = None
    outbox_oldest_s: float | None = None
    readiness: dict[str, bool] = field(default_factory=dict)


class RuntimeCollector(Collector):
    """Projection, dead-letter, outbox and readiness metrics of one service runtime. ``refresh``
    (async, before each scrape) reads the broker and the database; ``collect`` turns that and the
    runners' own counters into metric families."""

    def __init__(self, runtime: Runtime[Any, Any]) -> None:
        self.runtime = runtime
        self.snapshot = _Snapshot()

    @property
    def service(self) -> str:
        return str(self.runtime.spec.name)

    async def refresh(self) -> None:
        snapshot = _Snapshot()
        try:
            await asyncio.wait_for(self._read(snapshot), timeout=SCRAPE_TIMEOUT_S)
        except Exception as exc:  # a scrape shows what it could read; readiness says what is down
            log.debug("metrics partly unavailable", extra={"error": f"{type(exc).__name__}: {exc}"})
        self.snapshot = snapshot

    async def _read(self, snapshot: _Snapshot) -> None:
        runtime = self.runtime
        checks = await runtime.readiness()
        snapshot.readiness = {k: bool(checks[k]) for k in ("nats", "jetstream", "database") if k in checks}
        reads: list[Any] = [self._read_broker(snapshot)]
        if runtime.sessions is not None:
            reads.append(self._read_database(snapshot))
        await asyncio.gather(*reads, return_exceptions=True)

    async def _read_broker(self, snapshot: _Snapshot) -> None:
        js = self.runtime.js
        if js is None or not self.runtime.runners:
            return

        async def pending(stream: str, durable: str, projection: str) -> None:
            info = await js.consumer_info(stream, durable)
            snapshot.lag[(projection, stream)] = int(info.num_pending or 0)

        async def last_seq(stream: str) -> None:
            info = await js.stream_info(stream)
            snapshot.stream_last[stream] = int(info.state.last_seq or 0)

        runners = self.runtime.runners
        await asyncio.gather(
            *(pending(r.stream, r.durable, r.projection.name) for r in runners),
            *(last_seq(s) for s in sorted({r.stream for r in runners})),
            return_exceptions=True,  # a consumer being re-created is simply absent this time
        )

    async def _read_database(self, snapshot: _Snapshot) -> None:
        from sqlalchemy import func, select

        from common.db import read_only
        from common.outbox import outbox_message
        from common.projection import checkpoint_table, dead_letter_table

        async with self.runtime.session_factory() as session:
            await read_only(session)
            rows = await session.execute(select(checkpoint_table.c.projection, checkpoint_table.c.last_seq))
            snapshot.checkpoints = {str(key): int(seq or 0) for key, seq in rows}
            rows = await session.execute(
                select(dead_letter_table.c.projection, func.count()).group_by(dead_letter_table.c.projection)
            )
            snapshot.dead_letters = {str(name): int(count) for name, count in rows}
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(outbox_message.c.created_at)).where(
                        outbox_message.c.published_at.is_(None)
                    )
                )
            ).one()
            snapshot.outbox_backlog = int(count)
            if oldest is not None:
                oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)  # SQLite drops the zone
                snapshot.outbox_oldest_s = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
            else:
                snapshot.outbox_oldest_s = 0.0

    def collect(self) -> Iterable[Metric]:
        service = self.service
        runners = self.runtime.runners
        snap = self.snapshot
        labels = ["service", "projection", "stream"]

        applied = CounterMetricFamily(
            "tm_projection_events_applied", "Events a projection applied in this process.", labels=labels
        )
        dead = CounterMetricFamily(
            "tm_projection_events_dead_lettered",
            "Events a projection could not apply and wrote to its dead letters, in this process.",
            labels=labels,
        )
        batches = HistogramMetricFamily(
            "tm_projection_batch_seconds",
            "Time to apply one batch of events (the handler and its transaction, retries included).",
            labels=labels,
        )
        lag = GaugeMetricFamily(
            "tm_projection_lag_events",
            "Events of the types a projection reads that wait in the stream for it (its durable "
            "consumer's pending count, what KEDA scales on).",
            labels=labels,
        )
        checkpoint = GaugeMetricFamily(
            "tm_projection_checkpoint_sequence",
            "The last stream sequence the projection committed (its checkpoint).",
            labels=labels,
        )
        lease = GaugeMetricFamily(
            "tm_projection_lease_held",
            "1 while this replica holds the projection's lease and applies it; 0 on standby.",
            labels=labels,
        )
        for r in runners:
            values = [service, r.projection.name, r.stream]
            applied.add_metric(values, r.stats.applied)
            dead.add_metric(values, r.stats.dead_lettered)
            histogram = r.stats.batch_seconds
            batches.add_metric(values, histogram.cumulative(), histogram.total)
            if (r.projection.name, r.stream) in snap.lag:
                lag.add_metric(values, snap.lag[(r.projection.name, r.stream)])
            if r.key in snap.checkpoints:
                checkpoint.add_metric(values, snap.checkpoints[r.key])
            lease.add_metric(values, 0 if r.stats.extra.get("standby", True) else 1)
        yield from (applied, dead, batches, lag, checkpoint, lease)

        last = GaugeMetricFamily(
            "tm_stream_last_sequence", "The last sequence in a stream this service reads.", labels=["service", "stream"]
        )
        for stream, seq in sorted(snap.stream_last.items()):
            last.add_metric([service, stream], seq)
        yield last

        waiting = GaugeMetricFamily(
            "tm_dead_letters",
            "Dead letters waiting in the service's table, by projection (replay them after a fix).",
            labels=["service", "projection"],
        )
        if self.runtime.sessions is not None and (snap.dead_letters or snap.checkpoints):
            names = {r.projection.name for r in runners} | set(snap.dead_letters)
            for name in sorted(names):
                waiting.add_metric([service, name], snap.dead_letters.get(name, 0))
        yield waiting

        backlog = GaugeMetricFamily(
            "tm_outbox_backlog", "Outbox rows written and not yet published.", labels=["service"]
        )
        oldest = GaugeMetricFamily(
            "tm_outbox_oldest_unpublished_seconds",
            "Age of the oldest unpublished outbox row (0 when none waits).",
            labels=["service"],
        )
        if snap.outbox_backlog is not None:
            backlog.add_metric([service], snap.outbox_backlog)
            oldest.add_metric([service], snap.outbox_oldest_s or 0.0)
        yield from (backlog, oldest)

        ready = GaugeMetricFamily(
            "tm_ready",
            "Readiness as /readyz sees it, by check (nats, jetstream, database): 1 ok, 0 failing.",
            labels=["service", "check"],
        )
        for check, ok in sorted(snap.readiness.items()):
            ready.add_metric([service, check], 1 if ok else 0)
        yield ready


# --- wiring into an app ----------------------------------------------------------------------


def new_registry() -> CollectorRegistry:
    """A registry with the process' own metrics (CPU, memory, file descriptors, GC)."""
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)
    return registry


def install(
    app: Starlette,
    service: str,
    *,
    runtime: Runtime[Any, Any] | None = None,
    route_of: Callable[[Scope], str] = route_template,
) -> CollectorRegistry:
    """``GET /metrics`` (no token: the identity middlewares guard ``/v1`` only) and the HTTP
    metrics middleware, outermost (call it after every other ``add_middleware``)."""
    registry = new_registry()
    collector = RuntimeCollector(runtime) if runtime is not None else None
    if collector is not None:
        registry.register(collector)
    http = HttpMetrics(registry, service)

    async def metrics(_request: Request) -> Response:
        if collector is not None:
            await collector.refresh()
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.add_middleware(HttpMetricsMiddleware, metrics=http, route_of=route_of)
    app.state.metrics_registry = registry
    return registry


def metric_names(exposition: str) -> set[str]:
    """The metric names in a text exposition (samples' names without their ``_bucket``/``_sum``
    suffixes kept apart): what a test checks the alert rules' expressions against."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            names.add(line.split("{", 1)[0].split(" ", 1)[0])
    return names


def sample_value(exposition: str, name: str, **labels: str) -> float | None:
    """The value of one sample in a text exposition (labels given must all match), or None."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None
