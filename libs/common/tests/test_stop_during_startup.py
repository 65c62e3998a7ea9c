"""A service waiting for an unreachable broker stops promptly on SIGTERM (a pod must not hang
in Terminating until SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from common.testing import free_port


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_service_waiting_for_nats_stops_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    env = dict(
        os.environ,
        NATS_URL=f"nats://127.0.0.1:{free_port()}",  # nothing listens there
        DATABASE_URL=f"sqlite:///{tmp_path / 'reporting.db'}",
        HTTP_PORT=str(free_port()),
        SERVICE_NAME="reporting",
    )
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "reporting"], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "nats error" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, "never tried to connect"
            time.sleep(0.1)
        sent = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=10)
        assert time.monotonic() - sent < 5, "took too long to stop"
        text = log.read_text(errors="replace")
        assert "stop requested during start-up" in text and "startup failed" not in text, text
        if sig == signal.SIGTERM:  # a plain stop: no error logged (Ctrl-C ends in KeyboardInterrupt, as always)
            assert '"level": "ERROR"' not in text, text
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
