"""The short duplicates run inside ``make test``: one call posted 20 times at once, then every
event in the log published again after the duplicate window; counted once everywhere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from common.testing import ProvisionedDatabase

from tests.chaos.harness import DATASET
from tests.chaos.scenarios import duplicates
from tests.platform import RunningPlatform, start_platform

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(not DATASET.exists(), reason="shared/datasets/qa-dev missing")]


@pytest.fixture
def platform(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> Iterator[RunningPlatform]:
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


def test_a_call_posted_twenty_times_and_events_published_again_are_counted_once(platform: RunningPlatform) -> None:
    outcome = duplicates(platform, calls=40)
    assert not outcome.problems, "\n".join(outcome.problems)
