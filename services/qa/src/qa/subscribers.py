"""Which projections this service feeds, from which streams."""

from collections.abc import Sequence

from common.projection import Projection
from common.service import Runtime

from qa.projection import QaChecks
from qa.settings import QaSettings


def projections(runtime: Runtime) -> Sequence[Projection]:
    settings = runtime.settings
    assert isinstance(settings, QaSettings)
    return [
        QaChecks(
            runtime.state["policy"],
            settings.pii_key,
            agent_starts=settings.qa_agent_start_dates,
        )
    ]
