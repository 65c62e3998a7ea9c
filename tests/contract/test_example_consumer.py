"""The example consumer (examples/call_ended_consumer.py), run as its own process against a real
nats-server, receives a call's CallEnded, and gets it again exactly once when its first attempt
fails."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from common.events import CallEnded
from common.eventstore import EventNames, EventStore, ensure_stream
from nats.aio.client import Client

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "call_ended_consumer.py"


def call_ended(call_id: str) -> CallEnded:
    return CallEnded.model_validate(
        {
            "call_id": call_id,
            "campaign": {"id": "k-1"},
            "agent": {"id": "a-1", "team": "t-1"},
            "customer": {"lead_id": "l-1"},
            "placed_at": datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
            "answered_at": datetime(2026, 11, 20, 2, 0, 10, tzinfo=UTC),
            "ended_at": datetime(2026, 11, 20, 2, 3, tzinfo=UTC),
            "hangup_by": "customer",
            "disposition": "interested",
            "talk_seconds": 170,
        }
    )


@pytest.fixture
async def store(nats_url: str, event_namespace: str) -> AsyncIterator[EventStore]:
    nc: Client = await nats.connect(nats_url)
    js = nc.jetstream()
    names = EventNames(event_namespace)
    await ensure_stream(js, names, "calls")
    yield EventStore(js, names, source=f"/{event_namespace}/calls")
    await js.delete_stream(names.stream("calls"))
    try:
        await js.delete_stream(f"{event_namespace}_DLQ_BILLING".upper())
    except Exception:
        pass
    await nc.close()


async def _line(stdout: asyncio.StreamReader, timeout: float = 20) -> str:
    return (await asyncio.wait_for(stdout.readline(), timeout)).decode().strip()


async def test_the_example_receives_a_call_ended_and_its_redelivery_once(store: EventStore, nats_url: str) -> None:
    env = {**os.environ, "NATS_URL": nats_url, "EVENT_NAMESPACE": store.names.namespace, "EXAMPLE_FAIL_ONCE": "1"}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(EXAMPLE), env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    assert proc.stdout is not None
    try:
        # The call the calls service records when a call is posted: its events on TM_CALLS.
        await store.append([call_ended("c-ex-1")], expected_version=None)
        stored = await store.load("calls", "c-ex-1")
        event_id = stored.events[0].envelope.id
        assert await _line(proc.stdout) == f"failed {event_id} delivery 1"
        assert await _line(proc.stdout) == f"received {event_id} call c-ex-1 interested delivery 2"
        # Acknowledged after the handler succeeded: never delivered a third time, and the next
        # call is received next.
        await store.append([call_ended("c-ex-2")], expected_version=None)
        second = (await store.load("calls", "c-ex-2")).events[0].envelope.id
        assert await _line(proc.stdout) == f"failed {second} delivery 1"
        assert await _line(proc.stdout) == f"received {second} call c-ex-2 interested delivery 2"
        with pytest.raises(TimeoutError):
            await _line(proc.stdout, timeout=3)
        info = await store.js.consumer_info(store.names.stream("calls"), "billing-calls")
        assert info.num_ack_pending == 0 and info.num_pending == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 20)
    assert proc.returncode == 0
