"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection
from common.service import Runtime

from calls.projection import CallsReadModel, GuardLeads


def projections(runtime: Runtime) -> Sequence[Projection]:
    centre = str(getattr(runtime.settings, "centre_timezone", "Asia/Shanghai"))
    return [CallsReadModel(centre), GuardLeads()]
