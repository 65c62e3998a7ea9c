"""The migrations as a job before a rollout (deploy/k8s: ``<service>-migrate``): ``python -m
<service> migrate`` upgrades the database and exits, and a replica started with
``MIGRATE_ON_START=false`` does not migrate but waits until the job has, then serves."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from common.db import create_engine, schema_is_current
from common.testing import ProvisionedDatabase, free_port
from reporting.service import SPEC


async def _current(url: str) -> bool:
    engine = create_engine(url)
    try:
        return await schema_is_current(engine, SPEC.migrations)
    finally:
        await engine.dispose()


def _migrate(url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reporting", "migrate"],
        env=dict(os.environ, DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _start_reporting(tmp_path: Path, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp_path / "reporting.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "reporting"], env={**os.environ, **env}, stdout=out, stderr=out)
    return proc, log


async def test_migrate_upgrades_the_database_and_exits(test_database: ProvisionedDatabase) -> None:
    assert not await _current(test_database.url)
    done = await asyncio.to_thread(_migrate, test_database.url)
    assert done.returncode == 0, done.stderr
    assert "database migrated" in done.stderr
    assert await _current(test_database.url)
    again = await asyncio.to_thread(_migrate, test_database.url)  # a job run twice changes nothing
    assert again.returncode == 0, again.stderr


async def test_a_replica_that_leaves_migrations_to_the_job_waits_for_it(
    tmp_path: Path, nats_url: str, event_namespace: str, test_database: ProvisionedDatabase
) -> None:
    port = free_port()
    proc, log = _start_reporting(
        tmp_path,
        HTTP_PORT=str(port),
        NATS_URL=nats_url,
        EVENT_NAMESPACE=event_namespace,
        DATABASE_URL=test_database.url,
        MIGRATE_ON_START="false",
    )
    try:
        deadline = time.monotonic() + 60
        while "waiting for the migration job" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            await asyncio.sleep(0.1)
        assert not await _current(test_database.url), "the replica migrated by itself"

        done = await asyncio.to_thread(_migrate, test_database.url)
        assert done.returncode == 0, done.stderr

        async with httpx.AsyncClient() as client:
            while True:
                assert proc.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline + 30, log.read_text(errors="replace")
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
