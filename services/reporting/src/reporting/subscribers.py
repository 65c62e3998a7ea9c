"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from reporting.context import ReportingRuntime
from reporting.projection import DailyFigures


def projections(runtime: ReportingRuntime) -> Sequence[Projection]:
    return [DailyFigures(centre_timezone=runtime.settings.centre_timezone)]
