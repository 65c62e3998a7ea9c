"""The process every service runs: connect to NATS, declare streams, migrate the database,
start the projection runners, serve the HTTP API with ``/healthz`` and ``/readyz``.

A service supplies what differs (its name, streams it owns, its projections, its router, its
migrations) in a ``ServiceSpec``; everything an SRE relies on is the same in every process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats
import uvicorn
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common.db import create_engine, migrate, sessionmaker
from common.deadletters import router as dead_letters_router
from common.eventstore import EventNames, EventStore, ensure_stream
from common.problems import install_problem_handlers
from common.projection import Projection, ProjectionRunner, runners_for
from common.settings import ServiceSettings
from common.telemetry import setup_logging, setup_tracing

log = logging.getLogger(__name__)


@dataclass
class ServiceSpec:
    name: str
    owns_streams: Sequence[str] = ()
    # Streams this service reads; declared too, so start-up order between services never matters.
    reads_streams: Sequence[str] = ()
    migrations: Sequence[Path] = ()
    projections: Callable[[Runtime], Sequence[Projection]] = lambda _rt: ()
    routers: Sequence[APIRouter] = ()
    # Extra long-running tasks (timers, pollers), started after the runners.
    background: Callable[[Runtime], Sequence[Callable[[], Coroutine[Any, Any, None]]]] = lambda _rt: ()
    on_start: Callable[[Runtime], Awaitable[None]] | None = None
    database: bool = True
    description: str = ""


@dataclass
class Runtime:
    """Everything a service's handlers need, built once at start-up."""

    settings: ServiceSettings
    spec: ServiceSpec
    names: EventNames
    nc: NATS | None = None
    js: JetStreamContext | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    store: EventStore | None = None
    runners: list[ProjectionRunner] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def event_store(self) -> EventStore:
        assert self.store is not None, "runtime not started"
        return self.store

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]:
        assert self.sessions is not None, "service has no database"
        return self.sessions

    @property
    def jetstream(self) -> JetStreamContext:
        assert self.js is not None, "runtime not started"
        return self.js

    async def start(self, *, run_projections: bool = True, run_background: bool = True) -> None:
        self.nc = await connect_nats(self.settings)
        self.js = self.nc.jetstream(timeout=10)
        for owner in {*self.spec.owns_streams, *self.spec.reads_streams}:
            await ensure_stream(self.js, self.names, owner, replicas=self.settings.stream_replicas)
        self.store = EventStore(
            self.js,
            self.names,
            source=f"/{self.settings.event_namespace}/{self.spec.name}",
            publish_timeout=self.settings.publish_timeout_s,
        )
        if self.spec.database:
            self.engine = create_engine(self.settings.resolved_database_url())
            await migrate(self.engine, self.spec.migrations)
            self.sessions = sessionmaker(self.engine)
        if self.spec.on_start:
            await self.spec.on_start(self)
        if run_projections and self.sessions is not None:
            self.runners = runners_for(
                self.js,
                self.names,
                self.sessions,
                self.spec.projections(self),
                batch_size=self.settings.projection_batch_size,
                max_deliver=self.settings.projection_max_deliver,
                lease_ttl=self.settings.projection_lease_seconds,
            )
            for runner in self.runners:
                self.tasks.append(asyncio.create_task(runner.run(), name=f"runner:{runner.durable}"))
        for job in self.spec.background(self) if run_background else ():
            self.tasks.append(asyncio.create_task(job(), name=f"job:{getattr(job, '__name__', 'job')}"))

    async def stop(self) -> None:
        for runner in self.runners:
            runner.stop()
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=5)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        if self.nc is not None and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception:
                await self.nc.close()
        if self.engine is not None:
            await self.engine.dispose()

    async def readiness(self) -> dict[str, Any]:
        checks: dict[str, Any] = {}
        checks["nats"] = bool(self.nc is not None and self.nc.is_connected)
        if self.js is not None and checks["nats"]:
            try:
                await asyncio.wait_for(self.js.account_info(), timeout=2)
                checks["jetstream"] = True
            except Exception:
                checks["jetstream"] = False
        if self.engine is not None:
            try:
                async with self.engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=2)
                checks["database"] = True
            except Exception:
                checks["database"] = False
        checks["projections"] = {
            r.durable: {
                "applied": r.stats.applied,
                "dead_lettered": r.stats.dead_lettered,
                "last_error": r.stats.last_error,
            }
            for r in self.runners
        }
        return checks


async def connect_nats(settings: ServiceSettings) -> NATS:
    async def _disconnected() -> None:
        log.warning("nats disconnected")

    async def _reconnected() -> None:
        log.info("nats reconnected")

    async def _error(exc: Exception) -> None:
        log.warning("nats error", extra={"error": str(exc)})

    options: dict[str, Any] = {
        "servers": settings.nats_servers(),
        "name": settings.service_name,
        "max_reconnect_attempts": -1,  # keep trying for as long as the process lives
        "reconnect_time_wait": 0.5,
        "connect_timeout": 5,
        "disconnected_cb": _disconnected,
        "reconnected_cb": _reconnected,
        "error_cb": _error,
        "allow_reconnect": True,
    }
    if settings.nats_user_credentials:
        options["user_credentials"] = settings.nats_user_credentials
    # The first connection is retried too: in Kubernetes the broker may start after us.
    for attempt in range(60):
        try:
            return await nats.connect(**options)
        except Exception as exc:
            if attempt == 59:
                raise
            log.warning("nats not reachable yet", extra={"error": str(exc)})
            await asyncio.sleep(1)
    raise RuntimeError("unreachable")


def create_app(
    spec: ServiceSpec,
    settings: ServiceSettings,
    *,
    run_projections: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> FastAPI:
    """``should_stop`` tells start-up that the server was asked to exit: start-up (waiting for
    the broker, migrating) can take long, and uvicorn only looks at its signals once the app has
    started, so without it a pod waiting for NATS would hang in Terminating until SIGKILL."""
    runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        starting = asyncio.create_task(runtime.start(run_projections=run_projections))
        while not starting.done():
            await asyncio.wait({starting}, timeout=0.2)
            if should_stop is not None and should_stop() and not starting.done():
                # Abandon start-up and let uvicorn, which already has its exit flag set, shut
                # down as usual: an ordinary stop, not a start-up failure with a traceback.
                log.info("stop requested during start-up; not starting")
                starting.cancel()
                await asyncio.gather(starting, return_exceptions=True)
                break
        if not starting.cancelled():
            starting.result()  # start-up's own failure, if any
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=f"{spec.name} service", description=spec.description, lifespan=lifespan)
    app.state.runtime = runtime
    for router in spec.routers:
        app.include_router(router)
    app.include_router(dead_letters_router)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok", "service": spec.name}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        """Readiness: the broker and the database answer."""
        checks = await runtime.readiness()
        ok = checks.get("nats") and checks.get("jetstream", True) and checks.get("database", True)
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
        )

    install_problem_handlers(app, settings)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    if runtime.store is None:
        raise HTTPException(503, "service starting")
    return runtime


def serve(spec: ServiceSpec, settings: ServiceSettings) -> None:
    """Entry point of ``python -m <service>``."""
    setup_logging(spec.name, settings.log_level)
    setup_tracing(spec.name)
    server: uvicorn.Server | None = None
    app = create_app(spec, settings, should_stop=lambda: server is not None and server.should_exit)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="on"
    )
    # uvicorn handles SIGINT/SIGTERM: stops accepting, finishes requests, runs the lifespan exit;
    # during start-up the lifespan itself watches ``should_exit`` (see ``create_app``).
    server = uvicorn.Server(config)
    server.run()
