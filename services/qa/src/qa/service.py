"""Wiring of the qa service: what it owns, reads and serves."""

from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from common.outbox import OutboxDrainer
from common.service import Runtime, ServiceSpec

from qa.api import routers
from qa.rules.policy import load_policy
from qa.settings import QaSettings
from qa.subscribers import projections


async def on_start(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, QaSettings)
    runtime.state["policy"] = load_policy(settings.qa_policy_path)
    runtime.state["outbox"] = OutboxDrainer(
        runtime.session_factory,
        runtime.event_store,
        interval=settings.qa_outbox_interval,
        stopping=lambda: any(r._stopping.is_set() for r in runtime.runners),
    )


def background(runtime: Runtime) -> Sequence[Callable[[], Coroutine[Any, Any, None]]]:
    drainer: OutboxDrainer = runtime.state["outbox"]
    return [drainer.run]


SPEC = ServiceSpec(
    name="qa",
    owns_streams=["qa"],
    reads_streams=["calls"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=routers,
    background=background,
    on_start=on_start,
    description="Every call checked against the rulebook; findings reviewed, fines assessed.",
)
