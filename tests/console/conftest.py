"""The console in a real browser: Debian's chromium driven by Playwright's Python package, against
the whole platform started as separate processes (``tests.platform.start_platform``).

The browser tests skip, saying why, where chromium or Playwright is missing; ``make test`` installs
both first (``make browser``), so CI runs them."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from common.testing import NatsServerProcess

from tests.platform import RunningPlatform, dev_keys, start_platform

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).parent / "screenshots"
# A laptop screen.
VIEWPORT: ViewportSize = {"width": 1366, "height": 768}
# As root in a sandboxed machine, with no network beyond localhost: no sandbox, no GPU, and none
# of Chromium's own background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Debian's chromium is not installed ({CHROMIUM}): `make browser` installs it (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package is not installed: `make install` (the dev dependency group)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None:
        return
    browser_tests = Path(__file__).parent / "test_console_browser.py"
    for item in items:
        if Path(str(item.fspath)) == browser_tests:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="module")
def platform() -> Iterator[RunningPlatform]:
    """The platform for one test module: its own nats-server and SQLite databases."""
    nats = NatsServerProcess()
    nats.start()
    folder = Path(tempfile.mkdtemp(prefix="tm-console-"))
    namespace = "t" + uuid.uuid4().hex[:12]
    try:
        running = start_platform(nats.url, namespace, lambda service: f"sqlite:///{folder}/{service}.db")
        try:
            yield running
        finally:
            running.stop()
    finally:
        nats.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    # The platform's projections run on a shared 2-core machine: give every expectation time.
    expect.set_options(timeout=30_000)

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def token_of(role: str) -> str:
    return dev_keys().role_token(role)
