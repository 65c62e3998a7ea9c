"""Wiring of the scheduling service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

SPEC = ServiceSpec(
    name="scheduling",
    owns_streams=["scheduling"],
    reads_streams=["calls", "leads"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    description="Every callback, retry and follow-up at the right time.",
)
