"""What the QA service's handlers, checker and jobs share, typed (``runtime.context``), built
once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from common.outbox import OutboxDrainer
from common.service import Runtime

from qa.rules.policy import Policy, load_policy
from qa.settings import QaSettings


@dataclass(frozen=True)
class QaContext:
    # The rule catalogue in force, read once at start-up: every finding names its version.
    policy: Policy
    # Publishes the findings, samples and review events the checker and the API enqueue.
    outbox: OutboxDrainer


QaRuntime = Runtime[QaSettings, QaContext]


def build_context(runtime: QaRuntime) -> QaContext:
    settings = runtime.settings
    return QaContext(
        policy=load_policy(settings.qa_policy_path),
        outbox=OutboxDrainer(
            runtime.session_factory,
            runtime.event_store,
            interval=settings.qa_outbox_interval,
            stopping=runtime.stopping.is_set,
        ),
    )
