"""Another team's consumer of CallEnded, as in libs/events-client/README.md.

Run it beside the platform: ``NATS_URL=nats://… python examples/call_ended_consumer.py``.
``EXAMPLE_FAIL_ONCE=1`` makes the handler fail on each event's first delivery (a stand-in for the
team's own database being away) to show the redelivery; tests/contract runs it that way."""

import asyncio
import os

from common.events.calls import CallEnded
from tm_events import EventConsumer, EventMeta

consumer = EventConsumer(
    team="billing",
    servers=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
    namespace=os.environ.get("EVENT_NAMESPACE", "tm"),
)


@consumer.on(CallEnded)
async def call_ended(event: CallEnded, meta: EventMeta) -> None:
    if os.environ.get("EXAMPLE_FAIL_ONCE") and meta.deliveries == 1:
        print(f"failed {meta.event_id} delivery {meta.deliveries}", flush=True)
        raise ConnectionError("our database is away")
    print(f"received {meta.event_id} call {event.call_id} {event.disposition} delivery {meta.deliveries}", flush=True)


if __name__ == "__main__":
    asyncio.run(consumer.run())
