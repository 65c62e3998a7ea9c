"""What several benchmarks share: a nats-server of their own and the databases to measure on."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from common.testing import NatsServerProcess, _admin_sql
from sqlalchemy.engine import make_url


@contextmanager
def nats_and_databases() -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh nats-server and {kind: URL}: SQLite always, plus a fresh PostgreSQL database
    when TEST_DATABASE_URL points at a PostgreSQL server; all removed afterwards."""
    server = NatsServerProcess()
    server.start()
    databases = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/bench.db"}
    pg_server = os.environ.get("TEST_DATABASE_URL")
    pg_name = None
    if pg_server and pg_server.startswith("postgres"):
        pg_name = "bench_" + uuid.uuid4().hex[:8]
        _admin_sql(pg_server, f'CREATE DATABASE "{pg_name}"')
        databases["postgresql"] = make_url(pg_server).set(database=pg_name).render_as_string(hide_password=False)
    try:
        yield server.url, databases
    finally:
        server.cleanup()
        if pg_name and pg_server:
            _admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
