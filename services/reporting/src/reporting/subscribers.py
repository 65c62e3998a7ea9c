"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from reporting.context import ReportingRuntime
from reporting.projection import DailyFigures


def projections(runtime: ReportingRuntime) -> Sequence[Projection]:
    settings = runtime.settings
    return [
        DailyFigures(
            centre_timezone=settings.centre_timezone,
            effective_talk_min_seconds=settings.effective_talk_min_seconds,
        )
    ]
