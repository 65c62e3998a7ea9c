"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection

from qa.context import QaRuntime
from qa.projection import QaChecks


def projections(runtime: QaRuntime) -> Sequence[Projection]:
    settings = runtime.settings
    return [
        QaChecks(
            runtime.context.policy,
            settings.pii_key,
            agent_starts=settings.qa_agent_start_dates,
        )
    ]
