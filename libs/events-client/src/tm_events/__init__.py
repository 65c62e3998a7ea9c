"""Subscribe to the telemarketing platform's events: typed handlers on durable JetStream
consumers (``EventConsumer``), CloudEvents in binary or structured mode (``tm_events.cloudevents``)
and the AsyncAPI contract (``tm_events.contract``). The event classes are ``common.events``."""

from tm_events.consumer import EventConsumer, EventMeta, durable_name

__all__ = ["EventConsumer", "EventMeta", "durable_name"]
