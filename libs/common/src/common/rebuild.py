"""``python -m <service> rebuild``: replay every projection of a service from the first event."""

from __future__ import annotations

import asyncio

from common.eventstore import EventNames
from common.projection import runners_for
from common.service import ContextT, Runtime, ServiceSpec, SettingsT
from common.telemetry import setup_logging


def rebuild_all(spec: ServiceSpec[SettingsT, ContextT], settings: SettingsT) -> None:
    setup_logging(spec.name, settings.log_level)

    async def _run() -> None:
        runtime = Runtime(settings=settings, spec=spec, names=EventNames(settings.event_namespace))
        # Neither runners nor background jobs (a firing loop must not publish mid-rebuild).
        await runtime.start(run_projections=False, run_background=False)
        try:
            seen: set[str] = set()
            for runner in runners_for(
                runtime.jetstream,
                runtime.names,
                runtime.session_factory,
                spec.projections(runtime),
                personal=runtime.personal,
            ):
                first = runner.projection.name not in seen
                seen.add(runner.projection.name)
                applied = await runner.rebuild(progress=True, reset=first)
                print(f"{runner.durable}: {applied} events applied")
        finally:
            await runtime.stop()

    asyncio.run(_run())
