"""One service's PostgreSQL goes away while calls flow, and comes back: the others are
unaffected, the service says it is not ready, then catches up from its checkpoint without
losing or double-counting anything. ``CHAOS_FULL=1`` (or ``make chaos``) holds the database
down for 30 s instead of 8."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from common.testing import ProvisionedDatabase

from tests.chaos.harness import DATASET
from tests.chaos.pg import PostgresServer, database_outage, postgres_bin_dir
from tests.platform import RunningPlatform, start_platform

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DATASET.exists(), reason="shared/datasets/qa-dev missing")]

FULL = os.environ.get("CHAOS_FULL") == "1"
SERVICE = "reporting"


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
    server = PostgresServer(bin_dir)
    server.init()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def platform(
    nats_url: str,
    event_namespace: str,
    test_database: ProvisionedDatabase,
    own_postgres: PostgresServer,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RunningPlatform]:
    monkeypatch.setenv("PROJECTION_LEASE_SECONDS", "3")
    own = own_postgres.create_database(f"{SERVICE}_own")
    running = start_platform(
        nats_url, event_namespace, lambda service: own if service == SERVICE else test_database.fresh()
    )
    yield running
    running.stop()


def test_a_database_outage_of_one_service_only_delays_it(
    platform: RunningPlatform, own_postgres: PostgresServer
) -> None:
    outage = 30.0 if FULL else 8.0
    outcome = database_outage(platform, own_postgres, SERVICE, rate=8, before=4, outage=outage, after=6)
    assert not outcome.problems, "\n".join(outcome.problems)
