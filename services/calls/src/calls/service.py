"""Wiring of the calls service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

from calls.api import campaigns, router
from calls.subscribers import projections

SPEC = ServiceSpec(
    name="calls",
    owns_streams=["calls"],
    reads_streams=["leads"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=[router, campaigns],
    description="Records every call and refuses the dials that must not happen.",
)
