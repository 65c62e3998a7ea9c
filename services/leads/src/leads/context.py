"""What the leads service's handlers, reactor and jobs share, typed (``runtime.context``),
built once at start-up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass

from common.outbox import OutboxDrainer
from common.service import Runtime

from leads.handlers import LeadsContext, outbox_commands
from leads.importer import Importer
from leads.settings import LeadsSettings


@dataclass(frozen=True)
class LeadsServiceContext:
    # What every command and query handler takes (a test builds one by hand).
    handlers: LeadsContext
    # Uploaded files imported in the background; an unfinished import resumes at start-up.
    importer: Importer
    # Runs the call-outcome reactor's lead commands, in order, after its transactions commit.
    outbox: OutboxDrainer


LeadsRuntime = Runtime[LeadsSettings, LeadsServiceContext]


def build_context(runtime: LeadsRuntime) -> LeadsServiceContext:
    handlers = LeadsContext(runtime.event_store, runtime.session_factory, runtime.settings)

    def spawn(coro: Awaitable[None]) -> object:
        task = asyncio.ensure_future(coro)
        runtime.tasks.append(task)  # awaited (then cancelled) on stop; an unfinished import resumes
        return task

    return LeadsServiceContext(
        handlers=handlers,
        importer=Importer(handlers, spawn=spawn),
        outbox=OutboxDrainer(
            runtime.session_factory,
            runtime.event_store,
            commands=outbox_commands(handlers),
            stopping=runtime.stopping.is_set,
        ),
    )
