"""Wiring of the leads service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

SPEC = ServiceSpec(
    name="leads",
    owns_streams=["leads"],
    reads_streams=["calls", "qa"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    description="The customer database agents call from.",
)
