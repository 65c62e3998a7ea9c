"""A 3-node JetStream cluster (streams at 3 replicas) loses the node leading TM_CALLS mid-load
and gets it back: nothing accepted is lost or counted twice, clients fail over, the node
catches up. ``CHAOS_FULL=1`` (or ``make chaos``) runs the long version."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from common.testing import ProvisionedDatabase

from tests.chaos.cluster import NatsCluster, node_loss
from tests.chaos.harness import DATASET
from tests.platform import RunningPlatform, start_platform

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DATASET.exists(), reason="shared/datasets/qa-dev missing")]

FULL = os.environ.get("CHAOS_FULL") == "1"


@pytest.fixture
def cluster() -> Iterator[NatsCluster]:
    running = NatsCluster()
    running.start()
    yield running
    running.cleanup()


@pytest.fixture
def platform(
    cluster: NatsCluster, event_namespace: str, test_database: ProvisionedDatabase, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningPlatform]:
    monkeypatch.setenv("STREAM_REPLICAS", "3")
    monkeypatch.setenv("PROJECTION_LEASE_SECONDS", "3")
    running = start_platform(cluster.url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


def test_losing_a_cluster_node_mid_load_loses_nothing(platform: RunningPlatform, cluster: NatsCluster) -> None:
    if FULL:
        outcome = node_loss(platform, cluster, calls=900, rate=10, outages=3)
    else:
        outcome = node_loss(platform, cluster, calls=200, rate=8, outages=1, rebuild=False)
    assert not outcome.problems, "\n".join(outcome.problems)
