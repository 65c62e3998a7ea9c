"""One posted call is one correlation id and one trace across every service (issue 11 item 7):
the finding QA decides and the callback scheduling books from it go out through the outbox with
the CallEnded's correlation id and trace id, and the CallEnded as their cause."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from common.envelope import H_CAUSATION, H_CORRELATION, H_ID
from common.eventstore import EventNames
from common.testing import ProvisionedDatabase

from tests.platform import RunningPlatform, gateway_client, start_platform

pytestmark = pytest.mark.e2e

# A labelled record with QA findings (QA-06, QA-08) and an agreed callback time.
RECORD = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "qa-dev" / "dev-010.json"
TRACE_ID = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture
def platform(nats_url: str, event_namespace: str, test_database: ProvisionedDatabase) -> Iterator[RunningPlatform]:
    running = start_platform(nats_url, event_namespace, lambda _service: test_database.fresh())
    yield running
    running.stop()


async def _last_headers(nats_url: str, names: EventNames, owner: str, subject: str) -> dict[str, str] | None:
    nc = await nats.connect(nats_url.split(","))
    try:
        msg = await nc.jetstream().get_last_msg(names.stream(owner), subject)
        return dict(msg.headers or {})
    except Exception:  # not published yet
        return None
    finally:
        await nc.close()


def _wait_headers(platform: RunningPlatform, owner: str, event_type: str, timeout: float = 30.0) -> dict[str, str]:
    names = EventNames(platform.env["EVENT_NAMESPACE"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        headers = asyncio.run(
            _last_headers(platform.env["NATS_URL"], names, owner, names.type_filter(owner, event_type))
        )
        if headers:
            return headers
        time.sleep(0.2)
    raise AssertionError(f"no {event_type} on {owner} within {timeout}s")


@pytest.mark.skipif(not RECORD.exists(), reason="shared/datasets/qa-dev not beside the repository")
def test_a_posted_call_is_one_correlation_id_and_one_trace(platform: RunningPlatform) -> None:
    record = json.loads(RECORD.read_text())
    record.pop("expected", None)
    record["call_id"] = "c-correlated"
    # The partner's request carries a trace: every event the call causes continues it.
    traceparent = f"00-{TRACE_ID}-b7ad6b7169203331-01"
    with gateway_client(platform.gateway_url) as client:
        resp = client.post("/v1/calls", json=record, headers={"traceparent": traceparent})
        assert resp.status_code == 202, resp.text

    ended = _wait_headers(platform, "calls", "CallEnded")
    finding = _wait_headers(platform, "qa", "ViolationFound")
    callback = _wait_headers(platform, "scheduling", "CallbackScheduled")

    correlation = ended[H_CORRELATION]
    assert finding[H_CORRELATION] == correlation
    assert callback[H_CORRELATION] == correlation
    assert finding[H_CAUSATION] == ended[H_ID] and callback[H_CAUSATION] == ended[H_ID]
    trace_ids = {h["traceparent"].split("-")[1] for h in (ended, finding, callback)}
    assert trace_ids == {TRACE_ID}
