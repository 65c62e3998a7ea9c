"""Wiring of the qa service: what it owns, reads and serves."""

from collections.abc import Sequence
from pathlib import Path

from common.service import Job, ServiceSpec

from qa.api import routers
from qa.context import QaRuntime, build_context
from qa.subscribers import projections


def background(runtime: QaRuntime) -> Sequence[Job]:
    return [runtime.context.outbox.run]


SPEC = ServiceSpec(
    name="qa",
    build_context=build_context,
    owns_streams=["qa"],
    reads_streams=["calls", "leads"],
    migrations=[Path(__file__).parent / "migrations" / "versions"],
    projections=projections,
    routers=routers,
    background=background,
    # The key grant: reads the transcripts and name digests the calls events seal, seals the
    # quotes in its findings with the lead's key.
    personal_data=True,
    description="Every call checked against the rulebook; findings reviewed, fines assessed.",
)
