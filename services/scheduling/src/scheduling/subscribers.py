"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from scheduling.context import SchedulingRuntime
from scheduling.projection import SchedulingProjection


def projections(runtime: SchedulingRuntime) -> Sequence[Projection]:
    return [
        SchedulingProjection(
            runtime.context.policies,
            runtime.context.wake,
            fulfil_early_minutes=runtime.settings.fulfil_early_minutes,
        )
    ]
