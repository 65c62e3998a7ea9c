"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection
from common.service import Runtime

from leads.handlers import LeadsContext
from leads.projection import CallOutcomes, LeadsView


def projections(runtime: Runtime) -> Sequence[Projection]:
    """``LeadsView`` from the leads stream; ``CallOutcomes`` from calls (CallEnded) and QA
    (ViolationFound), a reactor whose lead commands go through the outbox."""
    context: LeadsContext = runtime.state["leads"]
    return [LeadsView(), CallOutcomes(context)]
