"""Wiring of the scheduling service: what it owns, reads and serves."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from common.outbox import OutboxDrainer
from common.projection import Projection
from common.service import Runtime, ServiceSpec

from scheduling.api import router
from scheduling.clock import AcceleratedClock, Clock, SystemClock
from scheduling.firing import Dispatcher, Wakeup
from scheduling.policies import PolicyStore
from scheduling.settings import SchedulingSettings


def clock_from_settings(settings: SchedulingSettings) -> Clock:
    if settings.clock_start is None:
        return SystemClock()
    return AcceleratedClock(settings.clock_start, settings.clock_speed, settings.clock_origin)


def build_spec(clock: Clock | None = None) -> ServiceSpec:
    """The service; tests and the benchmark pass their own clock."""

    async def on_start(runtime: Runtime) -> None:
        settings = runtime.settings
        assert isinstance(settings, SchedulingSettings)
        runtime.state["clock"] = clock or clock_from_settings(settings)
        runtime.state["policies"] = PolicyStore(settings.policy_file)
        runtime.state["wake"] = Wakeup()
        runtime.state["settings"] = settings

    def projections(runtime: Runtime) -> Sequence[Projection]:
        from scheduling.subscribers import projections as _projections

        return _projections(runtime)

    def background(runtime: Runtime) -> Sequence[Callable[[], Coroutine[Any, Any, None]]]:
        settings = runtime.state["settings"]
        dispatcher = Dispatcher(
            runtime,
            runtime.state["clock"],
            runtime.state["policies"],
            runtime.state["wake"],
            poll_interval=settings.poll_interval_seconds,
            batch_size=settings.fire_batch_size,
            absent_agents=frozenset(settings.absent_agents),
            late_grace=timedelta(minutes=settings.late_grace_minutes),
        )
        runtime.state["dispatcher"] = dispatcher
        # The callback events the projection, the API and the firing loop decide, in order.
        drainer = OutboxDrainer(
            runtime.session_factory,
            runtime.event_store,
            interval=settings.poll_interval_seconds,
            batch_size=settings.fire_batch_size,
            stopping=dispatcher._stopping,
        )
        runtime.state["outbox"] = drainer
        return [dispatcher.run, drainer.run]

    return ServiceSpec(
        name="scheduling",
        owns_streams=["scheduling"],
        reads_streams=["calls", "leads", "qa"],
        migrations=[Path(__file__).parent / "migrations" / "versions"],
        projections=projections,
        routers=[router],
        background=background,
        on_start=on_start,
        description="Every callback, retry and follow-up at the right time.",
    )


SPEC = build_spec()
