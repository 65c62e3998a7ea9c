"""CloudEvents ``type`` values: namespaced the CloudEvents way, bare names still read.

On the wire an event's type is ``com.telemarketing.<owner>.<EventType>.v<schema version>``, for
example ``com.telemarketing.calls.CallEnded.v1``: a reverse-DNS prefix so another producer's
``CallEnded`` can never be taken for ours, the owning service so a reader knows which stream it
came from, and the major version so a reader can route ``.v2`` to new code before it reads it.

Inside the platform the short name (``CallEnded``, ``DomainEvent.event_type``) stays what it
was: it is the last token of the NATS subject, the key of the type registry and a part of
deterministic event ids, none of which may change for events already in the log. Events written
before the namespacing (``ce-type: CallEnded``) are read as they are.
"""

from __future__ import annotations

import re

TYPE_PREFIX = "com.telemarketing"

_QUALIFIED = re.compile(
    r"^"
    + re.escape(TYPE_PREFIX)
    + r"\.(?P<owner>[a-z][a-z0-9_-]*)\.(?P<name>[A-Za-z][A-Za-z0-9_]*)\.v(?P<version>[1-9][0-9]*)$"
)


def cloudevents_type(owner: str, name: str, version: int) -> str:
    """``com.telemarketing.calls.CallEnded.v1``."""
    return f"{TYPE_PREFIX}.{owner}.{name}.v{version}"


def parse_type(value: str) -> tuple[str, int | None]:
    """The short event type name and the version a ``ce-type`` carries.

    ``com.telemarketing.calls.CallEnded.v2`` -> ``("CallEnded", 2)``; a bare ``CallEnded`` (how
    events were typed before) -> ``("CallEnded", None)``; anything else (another producer's
    type) is returned whole, so it is reported as an unknown type rather than misread."""
    match = _QUALIFIED.match(value)
    if match is None:
        return value, None
    return match["name"], int(match["version"])


def qualified_type(name: str, version: int) -> str:
    """The wire type of a registered event's short name. A name that is not a registered
    event (a test's own type) or is already qualified is returned unchanged: only the
    platform's events have an owner to put in the type."""
    from common.events.base import UnknownEventType, event_class

    try:
        owner = event_class(name).owner
    except UnknownEventType:
        return name
    return cloudevents_type(owner, name, version) if owner else name


__all__ = ["TYPE_PREFIX", "cloudevents_type", "parse_type", "qualified_type"]
