"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from calls.context import CallsRuntime
from calls.projection import CallsReadModel, GuardLeads


def projections(runtime: CallsRuntime) -> Sequence[Projection]:
    return [CallsReadModel(runtime.settings.centre_timezone), GuardLeads()]
