"""Each service on the broker as its own user: a real nats-server configured from the services'
specs (common.broker_access). The reporting service cannot publish a calls event; the calls
service can, and reporting can still read it."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from common.broker_access import platform_users, server_config
from common.eventstore import EventNames, ensure_stream
from common.testing import free_port, nats_server_binary
from nats.aio.client import Client as NATS

from tests.platform import SERVICE_SPECS

NAMES = EventNames("perm")
PASSWORDS = {name: f"pw-{name}" for name in ("leads", "calls", "scheduling", "qa", "reporting", "gateway")}


@pytest.fixture
def secured_nats() -> Iterator[str]:
    port = free_port()
    folder = Path(tempfile.mkdtemp(prefix="nats-perm-"))
    conf = folder / "nats.conf"
    users = platform_users(SERVICE_SPECS(), PASSWORDS, NAMES)
    conf.write_text(server_config(users, host="127.0.0.1", port=port, store_dir=str(folder / "js")))
    proc = subprocess.Popen([nats_server_binary(), "-c", str(conf)])
    try:
        import socket
        import time

        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, "nats-server did not start"
            time.sleep(0.05)
        yield f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _connect(url: str, user: str, errors: list[str] | None = None) -> NATS:
    async def on_error(exc: Exception) -> None:
        if errors is not None:
            errors.append(str(exc))

    return await nats.connect(url, user=user, password=PASSWORDS[user], error_cb=on_error, allow_reconnect=False)


def test_reporting_cannot_publish_on_calls_subjects_but_reads_them(secured_nats: str) -> None:
    async def scenario() -> None:
        calls = await _connect(secured_nats, "calls")
        calls_js = calls.jetstream()
        await ensure_stream(calls_js, NAMES, "calls")
        ack = await calls_js.publish(NAMES.subject("calls", "c-1", "CallEnded"), b"{}")
        assert ack.seq == 1

        errors: list[str] = []
        reporting = await _connect(secured_nats, "reporting", errors)
        reporting_js = reporting.jetstream()
        # A plain publish is refused by the server (the error arrives asynchronously) and a
        # JetStream publish gets no acknowledgement: nothing reaches the stream.
        await reporting.publish(NAMES.subject("calls", "c-2", "CallEnded"), b"{}")
        await reporting.flush()
        with pytest.raises((nats.errors.TimeoutError, nats.js.errors.NoStreamResponseError)):
            await reporting_js.publish(NAMES.subject("calls", "c-3", "CallEnded"), b"{}", timeout=1)
        await asyncio.sleep(0.2)
        assert any("permissions violation" in e.lower() for e in errors), errors
        info = await calls_js.stream_info(NAMES.stream("calls"))
        assert info.state.messages == 1

        # Reading is allowed: a consumer on the calls stream fetches the one event.
        sub = await reporting_js.pull_subscribe(NAMES.stream_subjects("calls"), durable="reporting-probe")
        got = await sub.fetch(1, timeout=5)
        assert [m.subject for m in got] == [NAMES.subject("calls", "c-1", "CallEnded")]

        # And reporting reads nothing it does not consume: no consumer on the leads stream.
        leads = await _connect(secured_nats, "leads")
        await ensure_stream(leads.jetstream(), NAMES, "leads")
        with pytest.raises(Exception):  # noqa: B017  (a timeout or a permissions error, by server version)
            await reporting_js.pull_subscribe(
                NAMES.stream_subjects("leads"), durable="reporting-leads", stream=NAMES.stream("leads")
            )
        for connection in (calls, reporting, leads):
            await connection.close()

    asyncio.run(scenario())
