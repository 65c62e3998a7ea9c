"""A service still starting (waiting for an unreachable broker, or for another replica's
migration) stops promptly on SIGTERM (a pod must not hang in Terminating until SIGKILL)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest
from common.testing import ProvisionedDatabase, free_port
from sqlalchemy.engine import make_url


def _start_reporting(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "reporting"],
            env=dict(os.environ, HTTP_PORT=str(free_port()), SERVICE_NAME="reporting", **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, log


def _assert_stops_at_once(proc: subprocess.Popen[bytes], log: Path, sig: signal.Signals) -> None:
    sent = time.monotonic()
    proc.send_signal(sig)
    proc.wait(timeout=10)
    assert time.monotonic() - sent < 3, "took too long to stop"
    text = log.read_text(errors="replace")
    assert "stop requested during start-up" in text and "startup failed" not in text, text
    if sig == signal.SIGTERM:  # a plain stop: no error logged (Ctrl-C ends in KeyboardInterrupt, as always)
        assert proc.returncode in (0, -signal.SIGTERM), text
        assert '"level": "ERROR"' not in text, text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_service_waiting_for_nats_stops_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    proc, log = _start_reporting(
        tmp_path,
        NATS_URL=f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        DATABASE_URL=f"sqlite:///{tmp_path / 'reporting.db'}",
    )
    try:
        deadline = time.monotonic() + 30
        while "nats error" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "never tried to connect"
            time.sleep(0.1)
        _assert_stops_at_once(proc, log, sig)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_a_service_waiting_for_another_replicas_migration_stops_on_sigterm(
    tmp_path: Path, nats_url: str, event_namespace: str, test_database: ProvisionedDatabase
) -> None:
    if test_database.kind != "postgresql":
        pytest.skip("replicas serialise their migrations on a PostgreSQL advisory lock")
    url = make_url(test_database.url)
    other_replica = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
    )
    migrating = other_replica.transaction()
    await migrating.start()
    await other_replica.execute("SELECT pg_advisory_xact_lock(727274)")  # the lock common.db.migrate takes
    proc, log = _start_reporting(
        tmp_path, NATS_URL=nats_url, EVENT_NAMESPACE=event_namespace, DATABASE_URL=test_database.url
    )
    try:
        deadline = time.monotonic() + 30
        waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        while not await other_replica.fetchval(waiting):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "never reached its migrations"
            await asyncio.sleep(0.1)
        _assert_stops_at_once(proc, log, signal.SIGTERM)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        await migrating.rollback()
        await other_replica.close()
