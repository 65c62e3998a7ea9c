"""Wiring of the reporting service."""

from pathlib import Path

from common.service import ServiceSpec

from reporting.api import router
from reporting.context import build_context
from reporting.subscribers import projections

SPEC = ServiceSpec(
    name="reporting",
    build_context=build_context,
    owns_streams=[],
    reads_streams=["calls", "scheduling", "qa"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=[router],
    description="Daily and weekly figures by agent, team and campaign.",
)
