"""The short kill -9 run inside ``make test``; ``make chaos`` runs the long one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from common.testing import ProvisionedDatabase

from tests.chaos.harness import DATASET
from tests.chaos.scenarios import kill9
from tests.platform import RunningPlatform, start_platform

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DATASET.exists(), reason="shared/datasets/qa-dev missing")]


@pytest.fixture
def platform(
    nats_url: str, event_namespace: str, test_database: ProvisionedDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningPlatform]:
    # A killed replica's projections are taken over after 3 s instead of 15.
    monkeypatch.setenv("PROJECTION_LEASE_SECONDS", "3")
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


def test_kill_9_of_every_service_loses_nothing_and_counts_nothing_twice(platform: RunningPlatform) -> None:
    outcome = kill9(platform, calls=120, rate=10, kills_per_service=2)
    assert not outcome.problems, "\n".join(outcome.problems)
