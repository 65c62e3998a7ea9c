"""Wiring of the leads service: what it owns, reads and serves."""

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from common.outbox import OutboxDrainer
from common.service import Runtime, ServiceSpec

from leads.api import router
from leads.handlers import LeadsContext, outbox_commands
from leads.importer import Importer
from leads.settings import LeadsSettings
from leads.subscribers import projections


async def on_start(runtime: Runtime) -> None:
    settings = runtime.settings
    assert isinstance(settings, LeadsSettings), "the leads service runs with LeadsSettings"
    context = LeadsContext(runtime.event_store, runtime.session_factory, settings)
    runtime.state["leads"] = context

    def spawn(coro: Awaitable[None]) -> object:
        import asyncio

        task = asyncio.ensure_future(coro)
        runtime.tasks.append(task)  # awaited (then cancelled) on stop; an unfinished import resumes
        return task

    runtime.state["importer"] = Importer(context, spawn=spawn)
    # The call-outcome reactor's commands, run in order after its transactions commit.
    runtime.state["outbox"] = OutboxDrainer(
        runtime.session_factory,
        runtime.event_store,
        commands=outbox_commands(context),
        stopping=lambda: any(r._stopping.is_set() for r in runtime.runners),
    )


def background(runtime: Runtime) -> Sequence[Callable[[], Coroutine[Any, Any, None]]]:
    jobs: list[Callable[[], Coroutine[Any, Any, None]]] = []
    importer: Importer | None = runtime.state.get("importer")
    if importer is not None:
        jobs.append(importer.resume_unfinished)
    drainer: OutboxDrainer | None = runtime.state.get("outbox")
    if drainer is not None:
        jobs.append(drainer.run)
    return jobs


SPEC = ServiceSpec(
    name="leads",
    owns_streams=["leads"],
    reads_streams=["calls", "qa"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=[router],
    background=background,
    on_start=on_start,
    description="The customer database agents call from: leads, numbers, ownership, intent, do-not-call.",
)
