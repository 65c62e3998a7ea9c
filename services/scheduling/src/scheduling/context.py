"""What the scheduling service's handlers, projection and jobs share, typed
(``runtime.context``), built once at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from common.outbox import OutboxDrainer
from common.service import Runtime

from scheduling.clock import AcceleratedClock, Clock, SystemClock
from scheduling.firing import Dispatcher, Wakeup
from scheduling.policies import PolicyStore
from scheduling.settings import SchedulingSettings


@dataclass(frozen=True)
class SchedulingContext:
    # The service's "now" (a simulated clock in demos, tests and the benchmark).
    clock: Clock
    policies: PolicyStore
    # How the projection and the API wake the firing loop for a callback due sooner.
    wake: Wakeup
    # The firing loop (a background job).
    dispatcher: Dispatcher
    # Publishes the callback events the projection, the API and the firing loop decide, in order.
    outbox: OutboxDrainer


SchedulingRuntime = Runtime[SchedulingSettings, SchedulingContext]


def clock_from_settings(settings: SchedulingSettings) -> Clock:
    if settings.clock_start is None:
        return SystemClock()
    return AcceleratedClock(settings.clock_start, settings.clock_speed, settings.clock_origin)


def context_builder(clock: Clock | None = None) -> Callable[[SchedulingRuntime], SchedulingContext]:
    """``build_context`` with the settings' clock, or (tests, the benchmark) a given one."""

    def build_context(runtime: SchedulingRuntime) -> SchedulingContext:
        settings = runtime.settings
        now = clock or clock_from_settings(settings)
        policies = PolicyStore(settings.policy_file)
        wake = Wakeup()
        return SchedulingContext(
            clock=now,
            policies=policies,
            wake=wake,
            dispatcher=Dispatcher(
                runtime,
                now,
                policies,
                wake,
                poll_interval=settings.poll_interval_seconds,
                batch_size=settings.fire_batch_size,
                absent_agents=frozenset(settings.absent_agents),
                late_grace=timedelta(minutes=settings.late_grace_minutes),
            ),
            outbox=OutboxDrainer(
                runtime.session_factory,
                runtime.event_store,
                interval=settings.poll_interval_seconds,
                batch_size=settings.fire_batch_size,
                stopping=runtime.stopping.is_set,
            ),
        )

    return build_context
