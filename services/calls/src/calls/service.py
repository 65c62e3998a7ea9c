"""Wiring of the calls service: what it owns, reads and serves."""

from pathlib import Path

from common.service import ServiceSpec

from calls.api import router

SPEC = ServiceSpec(
    name="calls",
    owns_streams=["calls"],
    reads_streams=[],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    routers=[router],
    description="Records every call and refuses the dials that must not happen.",
)
