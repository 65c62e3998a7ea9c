"""Wiring of the scheduling service: what it owns, reads and serves."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from common.service import Job, ServiceSpec

from scheduling.api import router
from scheduling.clock import Clock
from scheduling.context import SchedulingContext, SchedulingRuntime, context_builder
from scheduling.settings import SchedulingSettings
from scheduling.subscribers import projections


def background(runtime: SchedulingRuntime) -> Sequence[Job]:
    return [runtime.context.dispatcher.run, runtime.context.outbox.run]


def build_spec(clock: Clock | None = None) -> ServiceSpec[SchedulingSettings, SchedulingContext]:
    """The service; tests and the benchmark pass their own clock."""
    return ServiceSpec(
        name="scheduling",
        build_context=context_builder(clock),
        owns_streams=["scheduling"],
        reads_streams=["calls", "leads", "qa"],
        migrations=[Path(__file__).parent / "migrations" / "versions"],
        projections=projections,
        routers=[router],
        background=background,
        # The key grant: matches the lead's numbers (keyed digests, sealed in the leads events)
        # against the do-not-call list before a callback fires.
        personal_data=True,
        description="Every callback, retry and follow-up at the right time.",
    )


SPEC = build_spec()
