"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from leads.context import LeadsRuntime
from leads.projection import CallOutcomes, LeadsView


def projections(runtime: LeadsRuntime) -> Sequence[Projection]:
    """``LeadsView`` from the leads stream; ``CallOutcomes`` from calls (CallEnded) and QA
    (ViolationFound), a reactor whose lead commands go through the outbox."""
    return [LeadsView(), CallOutcomes(runtime.context.handlers)]
