"""What several benchmarks share: a nats-server of their own, the databases to measure on, and
a cProfile's top frames."""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from common.testing import NatsServerProcess, _admin_sql
from sqlalchemy.engine import make_url


@contextmanager
def databases(name: str = "bench") -> Iterator[dict[str, str]]:
    """{kind: URL}: a fresh SQLite file always, plus a fresh PostgreSQL database when
    TEST_DATABASE_URL points at a PostgreSQL server (dropped afterwards)."""
    urls = {"sqlite": f"sqlite:///{tempfile.mkdtemp()}/{name}.db"}
    pg_server = os.environ.get("TEST_DATABASE_URL")
    pg_name = None
    if pg_server and pg_server.startswith("postgres"):
        pg_name = "bench_" + uuid.uuid4().hex[:8]
        _admin_sql(pg_server, f'CREATE DATABASE "{pg_name}"')
        urls["postgresql"] = make_url(pg_server).set(database=pg_name).render_as_string(hide_password=False)
    try:
        yield urls
    finally:
        if pg_name and pg_server:
            _admin_sql(pg_server, f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@contextmanager
def nats_and_databases() -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh nats-server and ``databases()``; all removed afterwards."""
    server = NatsServerProcess()
    server.start()
    try:
        with databases() as urls:
            yield server.url, urls
    finally:
        server.cleanup()


@contextmanager
def profiled(enabled: bool, cumulative: int = 30, own: int = 15) -> Iterator[None]:
    """When ``enabled``, a cProfile of the block whose top frames (by cumulative and by own time)
    are printed at its end."""
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(cumulative)
        stats.sort_stats("tottime").print_stats(own)
        print(out.getvalue(), flush=True)
