"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection
from common.service import Runtime

from scheduling.projection import SchedulingProjection


def projections(runtime: Runtime) -> Sequence[Projection]:
    settings = runtime.state["settings"]
    return [
        SchedulingProjection(
            runtime.state["policies"],
            runtime.state["wake"],
            fulfil_early_minutes=settings.fulfil_early_minutes,
        )
    ]
