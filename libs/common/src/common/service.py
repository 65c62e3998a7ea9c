"""The process every service runs: connect to NATS, declare streams, migrate the database,
start the projection runners, serve the HTTP API with ``/healthz`` and ``/readyz``.

A service supplies what differs (its name, streams it owns, its projections, its router, its
migrations, the typed context its handlers share) in a ``ServiceSpec``; everything an SRE relies
on is the same in every process. ``main`` is every service's ``python -m <service>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Generic, TypeVar

import nats.errors
import nats.js.errors
import uvicorn
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from common import broker, metrics
from common.db import create_engine, migrate, schema_is_current, sessionmaker
from common.deadletters import router as dead_letters_router
from common.eventstore import EventNames, EventStore, ensure_stream
from common.identity import IdentityGate
from common.personal_data import LeadKeys
from common.problems import install_problem_handlers
from common.projection import Projection, ProjectionRunner, runners_for
from common.settings import ServiceSettings
from common.telemetry import setup_logging, setup_tracing

log = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)
# What a service's handlers, projections and jobs share (its clock, policy, outbox drainer…):
# one frozen dataclass per service, so each reads its own things typed, never from a bag.
ContextT = TypeVar("ContextT")

Job = Callable[[], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class ServiceSpec(Generic[SettingsT, ContextT]):
    name: str
    # Called once the broker and the database are ready, before any runner or job starts.
    build_context: Callable[[Runtime[SettingsT, ContextT]], ContextT]
    owns_streams: Sequence[str] = ()
    # Streams this service reads; declared too, so start-up order between services never matters.
    reads_streams: Sequence[str] = ()
    migrations: Sequence[Path] = ()
    projections: Callable[[Runtime[SettingsT, ContextT]], Sequence[Projection]] = lambda _rt: ()
    routers: Sequence[APIRouter] = ()
    # Extra long-running tasks (timers, pollers, drainers), started after the runners; they
    # return soon after ``runtime.stopping`` is set, or are cancelled.
    background: Callable[[Runtime[SettingsT, ContextT]], Sequence[Job]] = lambda _rt: ()
    database: bool = True
    description: str = ""
    # The key grant: the service opens the per-lead key store and reads (and writes) the
    # personal values of events in clear; without it they read "[erased]" (common.personal_data).
    personal_data: bool = False


def no_context(runtime: Runtime[SettingsT, None]) -> None:
    """``build_context`` of a service whose handlers need nothing beyond the runtime."""
    return None


@dataclass
class Runtime(Generic[SettingsT, ContextT]):
    """Everything a service's handlers need, built once at start-up: the service's own settings
    and context, typed (``Runtime[ReportingSettings, None]``), and the shared plumbing."""

    settings: SettingsT
    spec: ServiceSpec[SettingsT, ContextT]
    names: EventNames
    nc: NATS | None = None
    js: JetStreamContext | None = None
    engine: AsyncEngine | None = None
    sessions: async_sessionmaker[AsyncSession] | None = None
    store: EventStore | None = None
    personal: LeadKeys | None = None
    runners: list[ProjectionRunner] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    # Set when the process is asked to stop (SIGTERM/SIGINT, ``request_stop``) and when ``stop``
    # begins: a start-up still in progress is abandoned, background jobs finish their step.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # One element once built (a 1-tuple, because a context may itself be None).
    _context: tuple[ContextT] | tuple[()] = field(default=(), repr=False)

    @property
    def context(self) -> ContextT:
        if not self._context:
            raise RuntimeError(f"{self.spec.name}: the service context is built by start()")
        return self._context[0]

    def request_stop(self) -> None:
        """Ask the process to stop; safe from a signal handler (the event is set by the loop)."""
        try:
            asyncio.get_running_loop().call_soon_threadsafe(self.stopping.set)
        except RuntimeError:  # no loop running here (a signal before or after serving)
            self.stopping.set()

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

    async def _declare_stream(self, owner: str, attempts: int = 30) -> None:
        """Declare a stream, waiting out a broker that is connected but not ready: a JetStream
        cluster still electing its meta leader, or busy with every service declaring its
        streams at once, answers with timeouts for a while. Exiting on the first one would make
        every service of a fresh cluster crash-loop at start."""
        for attempt in range(attempts):
            try:
                await ensure_stream(self.jetstream, self.names, owner, replicas=self.settings.stream_replicas)
                return
            except (
                nats.errors.TimeoutError,
                nats.errors.NoRespondersError,
                nats.js.errors.ServiceUnavailableError,
            ) as exc:
                if attempt == attempts - 1:
                    raise
                log.warning("stream not declared yet; retrying", extra={"stream": owner, "error": repr(exc)})
                await asyncio.sleep(min(0.5 * 2**attempt, 5.0))

    async def start(self, *, run_projections: bool = True, run_background: bool = True) -> None:
        self.nc = await connect_nats(self.settings)
        self.js = self.nc.jetstream(timeout=10)
        for owner in sorted({*self.spec.owns_streams, *self.spec.reads_streams}):
            await self._declare_stream(owner)
        if self.spec.personal_data:
            self.personal = await LeadKeys.open(
                self.js,
                self.names,
                self.settings.pii_master_key,
                replicas=self.settings.stream_replicas,
                requests=self.nc.jetstream(timeout=self.settings.publish_timeout_s),
            )
        self.store = EventStore(
            self.js,
            self.names,
            source=f"/{self.settings.event_namespace}/{self.spec.name}",
            publish_timeout=self.settings.publish_timeout_s,
            personal=self.personal,
        )
        if self.spec.database:
            self.engine = create_engine(self.settings.resolved_database_url())
            if self.settings.migrate_on_start:
                await migrate(self.engine, self.spec.migrations)
            else:
                await self._wait_for_schema()
            self.sessions = sessionmaker(self.engine)
        self._context = (self.spec.build_context(self),)
        if run_projections and self.sessions is not None:
            self.runners = runners_for(
                self.js,
                self.names,
                self.sessions,
                self.spec.projections(self),
                batch_size=self.settings.projection_batch_size,
                max_deliver=self.settings.projection_max_deliver,
                lease_ttl=self.settings.projection_lease_seconds,
                personal=self.personal,
            )
            for runner in self.runners:
                self.tasks.append(asyncio.create_task(runner.run(), name=f"runner:{runner.durable}"))
        for job in self.spec.background(self) if run_background else ():
            self.tasks.append(asyncio.create_task(job(), name=f"job:{getattr(job, '__name__', 'job')}"))

    async def _wait_for_schema(self) -> None:
        """The migration job's work, awaited: a new version's replica starts only on its schema."""
        assert self.engine is not None
        while not await schema_is_current(self.engine, self.spec.migrations):
            log.warning("database not at this version's migrations yet; waiting for the migration job")
            await asyncio.sleep(2)

    async def stop(self) -> None:
        self.stopping.set()
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
    elif settings.nats_user:  # the service's own user (common.broker_access)
        options["user"] = settings.nats_user
        options["password"] = settings.nats_password or ""
    # The first connection is retried too: in Kubernetes the broker may start after us.
    for attempt in range(60):
        try:
            return await broker.connect(**options)  # nats-py's client, faster at headers
        except Exception as exc:
            if attempt == 59:
                raise
            log.warning("nats not reachable yet", extra={"error": str(exc)})
            await asyncio.sleep(1)
    raise RuntimeError("unreachable")


def create_app(
    spec: ServiceSpec[SettingsT, ContextT],
    settings: SettingsT,
    *,
    run_projections: bool = True,
    settle_gc: bool = False,
) -> FastAPI:
    """The service's ASGI app; its lifespan starts and stops the runtime (``app.state.runtime``).

    Start-up (waiting for the broker, migrating) can take long, and uvicorn looks at its exit
    flag only once the app has started: so start-up races ``runtime.stopping``, which ``serve``
    sets on SIGTERM/SIGINT, and a pod waiting for NATS stops at once instead of hanging in
    Terminating until SIGKILL."""
    runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        starting = asyncio.create_task(runtime.start(run_projections=run_projections))
        stop_requested = asyncio.create_task(runtime.stopping.wait())
        await asyncio.wait({starting, stop_requested}, return_when=asyncio.FIRST_COMPLETED)
        stop_requested.cancel()
        if not starting.done():
            # Abandon start-up and let uvicorn, which has its exit flag set too, shut down as
            # usual: an ordinary stop, not a start-up failure with a traceback.
            log.info("stop requested during start-up; not starting")
            starting.cancel()
        await asyncio.gather(starting, stop_requested, return_exceptions=True)
        if not starting.cancelled():
            starting.result()  # start-up's own failure, if any
        if settle_gc:  # the service's own process (``serve``), not a test's
            settle_garbage_collector()
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

    # Inside the problem handlers' middlewares, so a refusal is logged and shaped like any error.
    app.add_middleware(IdentityGate, secret=settings.gateway_secret)
    install_problem_handlers(app, settings)
    # /metrics (no token) and the HTTP metrics, outermost so refusals count too (common.metrics).
    metrics.install(app, spec.name, runtime=runtime)
    # One server span per request: the instrumentation's default adds a span for every ASGI
    # receive and send message too (three or four per request), which told nothing the request's
    # span does not and cost a span each on the hot path.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])
    return app


async def runtime_of(request: Request) -> Runtime[Any, Any]:
    """FastAPI dependency: the runtime serving the request. Each service annotates it with its
    own parameters (``Annotated[ReportingRuntime, Depends(runtime_of)]``): its routers are only
    ever mounted on its own app, whose runtime ``create_app`` built from its spec. Async (it
    does no I/O): FastAPI runs a plain ``def`` dependency in its thread pool, a thread hop per
    request."""
    return runtime_for(request)


def runtime_for(request: Request) -> Runtime[Any, Any]:
    """``runtime_of`` for plain functions."""
    runtime: Runtime[Any, Any] = request.app.state.runtime
    if runtime.store is None or not runtime._context:
        raise HTTPException(503, "service starting", headers={"Retry-After": "2"})
    return runtime


class _Server(uvicorn.Server):
    """uvicorn's server, telling the runtime too when a signal asks it to exit."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime[Any, Any]) -> None:
        super().__init__(config)
        self.runtime = runtime

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self.runtime.request_stop()


def settle_garbage_collector(young: int = 10_000) -> None:
    """Once started: what start-up left (modules, the app, the ORM's tables, the policy) moved
    out of the cyclic collector's way (``gc.freeze``), and the young generation collected every
    ``young`` allocations instead of 700. A projection's batch keeps thousands of objects alive
    across what would be dozens of young collections; promoted, they made full collections over
    the whole heap frequent (the rebuild measured 35-40% of its CPU in them, see
    ``common.projection``). What waits uncollected is at most ``young`` objects."""
    gc.collect()
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, young), second, third)


def serve(spec: ServiceSpec[SettingsT, ContextT], settings: SettingsT) -> None:
    """Run the service until SIGTERM/SIGINT."""
    setup_logging(spec.name, settings.log_level)
    setup_tracing(spec.name)
    app = create_app(spec, settings, settle_gc=True)
    config = uvicorn.Config(
        app, host=settings.http_host, port=settings.http_port, log_config=None, access_log=False, lifespan="on"
    )
    # uvicorn handles SIGINT/SIGTERM: stops accepting, finishes requests, runs the lifespan exit;
    # during start-up the lifespan races ``runtime.stopping`` (see ``create_app``).
    _Server(config, app.state.runtime).run()


def run_migrations(spec: ServiceSpec[SettingsT, ContextT], settings: SettingsT) -> None:
    """``python -m <service> migrate``: what a Kubernetes migration job runs before a rollout."""
    setup_logging(spec.name, settings.log_level)

    async def _migrate() -> None:
        engine = create_engine(settings.resolved_database_url())
        try:
            await migrate(engine, spec.migrations)
        finally:
            await engine.dispose()

    asyncio.run(_migrate())
    log.info("database migrated", extra={"service": spec.name})


def command_line(spec: ServiceSpec[Any, Any]) -> argparse.ArgumentParser:
    """``python -m <service>``'s parser: nothing is read from the environment or connected to
    until a command that runs is chosen, so ``--help`` and mistakes answer at once."""
    from common.deadletters import add_replay_arguments

    parser = argparse.ArgumentParser(
        prog=f"python -m {spec.name}",
        description=f"The {spec.name} service. Settings come from the environment (README.md).",
    )
    commands = parser.add_subparsers(dest="command", metavar="[COMMAND]", title="commands")
    commands.add_parser("serve", help="run the service until SIGTERM/SIGINT (the default)")
    commands.add_parser("rebuild", help="replay every projection from the first event into emptied tables")
    commands.add_parser("migrate", help="upgrade the service's database to this version, then exit")
    add_replay_arguments(
        commands.add_parser(
            "replay-dead-letters",
            help="apply dead-lettered events again (after a fix)",
            description="Apply dead-lettered events again through their projection (after a fix).",
        )
    )
    return parser


def main(
    spec: ServiceSpec[SettingsT, ContextT],
    settings_factory: Callable[[], SettingsT],
    argv: Sequence[str] | None = None,
) -> None:
    """``python -m <service> [serve | migrate | rebuild | replay-dead-letters ...]``: every service's
    ``__main__``. Settings are read from the environment only once the command is known."""
    args = command_line(spec).parse_args(list(sys.argv[1:] if argv is None else argv))
    command = args.command or "serve"
    if command == "serve":
        serve(spec, settings_factory())
    elif command == "migrate":
        run_migrations(spec, settings_factory())
    elif command == "rebuild":
        from common.rebuild import rebuild_all  # imports this module

        rebuild_all(spec, settings_factory())
    elif command == "replay-dead-letters":
        from common.deadletters import replay_dead_letters

        sys.exit(replay_dead_letters(spec, settings_factory(), args))
