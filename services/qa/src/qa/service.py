"""Wiring of the qa service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

SPEC = ServiceSpec(
    name="qa",
    owns_streams=["qa"],
    reads_streams=["calls"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    description="Every call checked against the rulebook.",
)
