"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection
from common.service import Runtime

from reporting.projection import DailyFigures


def projections(runtime: Runtime) -> Sequence[Projection]:
    return [DailyFigures(centre_timezone=getattr(runtime.settings, "centre_timezone", "Asia/Shanghai"))]
