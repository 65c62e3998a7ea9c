"""Wiring of the calls service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

from calls.api import campaigns, router
from calls.context import build_context
from calls.subscribers import projections

SPEC = ServiceSpec(
    name="calls",
    build_context=build_context,
    owns_streams=["calls"],
    reads_streams=["leads"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=[router, campaigns],
    # The key grant: seals the customer's number, name digest and transcript in its events,
    # reads the numbers of lead events for the guard.
    personal_data=True,
    description="Records every call and refuses the dials that must not happen.",
)
