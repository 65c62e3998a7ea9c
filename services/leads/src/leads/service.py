"""Wiring of the leads service: what it owns, reads and serves."""

from collections.abc import Sequence
from pathlib import Path

from common.service import Job, ServiceSpec

from leads.api import router
from leads.context import LeadsRuntime, build_context
from leads.subscribers import projections


def background(runtime: LeadsRuntime) -> Sequence[Job]:
    return [runtime.context.importer.resume_unfinished, runtime.context.outbox.run]


SPEC = ServiceSpec(
    name="leads",
    build_context=build_context,
    owns_streams=["leads"],
    reads_streams=["calls", "qa"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=[router],
    background=background,
    personal_data=True,  # holds the key grant: seals numbers in its events, destroys keys on erasure
    description="The customer database agents call from: leads, numbers, ownership, intent, do-not-call.",
)
