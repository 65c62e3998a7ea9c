"""The container path of the fixtures (common.containers, common.testing): the event backbone on a
NATS container started by testcontainers through Docker or Podman's API, and the run saying which
path its brokers took."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
from common.containers import mode
from common.db import create_engine, migrate, sessionmaker
from common.events import CallbackDue
from common.events.base import DomainEvent
from common.eventstore import ConcurrencyError, EventNames, EventStore, ensure_stream
from common.projection import EventByEvent, EventContext, ProjectionRunner
from common.testing import ContainerisedNats, ProvisionedDatabase, eventually
from sqlalchemy.ext.asyncio import AsyncSession


class Seen(EventByEvent):
    name = "seen"
    subscriptions: dict[str, Sequence[str]] = {"scheduling": ["CallbackDue"]}

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def apply(self, session: AsyncSession, event: DomainEvent, ctx: EventContext) -> None:
        assert isinstance(event, CallbackDue)
        self.ids.append(event.callback_id)

    async def reset(self, session: AsyncSession) -> None:
        self.ids.clear()


def due(callback_id: str) -> CallbackDue:
    return CallbackDue(callback_id=callback_id, lead_id="l-1", due_at=datetime.now(UTC), reason="retry")


async def test_the_backbone_runs_on_a_nats_container(
    nats_container: ContainerisedNats, event_namespace: str, test_database: ProvisionedDatabase
) -> None:
    """Appends with optimistic concurrency and a projection applying them, exactly as on the
    binary, through the container's published port."""
    container = nats_container.engine.client().containers.get(nats_container.container_id)
    assert container.status == "running"
    published = {b["HostPort"] for bindings in container.ports.values() for b in bindings or []}
    assert nats_container.url.rsplit(":", 1)[1] in published
    assert nats_container.image in container.image.tags or nats_container.image in str(container.attrs["Config"])

    nc = await nats.connect(nats_container.url)
    try:
        js = nc.jetstream()
        names = EventNames(event_namespace)
        await ensure_stream(js, names, "scheduling")
        store = EventStore(js, names, "/test")
        first = await store.append([due("cb-1")], expected_version=0)
        with pytest.raises(ConcurrencyError):
            await store.append([due("cb-1")], expected_version=0)  # a second writer on version 0
        await store.append([due("cb-1")], expected_version=first.version)
        await store.publish(due("cb-2"))

        engine = create_engine(test_database.url)
        await migrate(engine, [])
        projection = Seen()
        runner = ProjectionRunner(js, names, sessionmaker(engine), projection, "scheduling")
        task = asyncio.create_task(runner.run())
        try:

            async def applied() -> bool:
                return len(projection.ids) == 3

            await eventually(applied, timeout=30)
        finally:
            runner.stop()
            await task
            await engine.dispose()
        assert projection.ids == ["cb-1", "cb-1", "cb-2"]
        history = await store.load("scheduling", "cb-1")
        assert history.version == 2 and len(history.events) == 2
    finally:
        await nc.close()


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "auto"), ("", "auto"), ("1", "on"), ("podman", "on"), ("required", "required"), ("0", "off")],
)
def test_test_containers_chooses_the_path(value: str | None, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TESTCONTAINERS_DISABLED", raising=False)
    if value is None:
        monkeypatch.delenv("TEST_CONTAINERS", raising=False)
    else:
        monkeypatch.setenv("TEST_CONTAINERS", value)
    assert mode() == expected


def test_the_run_says_which_path_its_broker_took(tmp_path: Path) -> None:
    """The summary line of a run that used NATS, on the binary path (containers turned off)."""
    (tmp_path / "test_uses_nats.py").write_text(
        "import nats\n\n"
        "async def test_connects(nats_url):\n"
        "    nc = await nats.connect(nats_url)\n"
        "    await nc.close()\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("NATS_URL", "TEST_CONTAINERS")}
    env["TEST_CONTAINERS"] = "0"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "common.testing", "-o", "asyncio_mode=auto", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "brokers: nats-server binary (containers off)" in done.stdout
    assert "nats: nats-server binary (containers turned off" in done.stdout
