"""First contact or repeat (首次电话 / 再次电话), and on what footing.

A repeat call differs by history: the customer talked with us before, visited the store, or
attended a seminar (domain section 2). "Talked before" comes from the lead's earlier calls
(a disposition flagged ``customer_contact``); "visited" and "attended a seminar" come from the
lead's tags as the leads service publishes them, or from the dial request (the CRM knows)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from common.events.calls import ContactHistory

VISITED_TAGS = frozenset({"visited", "store_visit", "到店", "已到店"})
SEMINAR_TAGS = frozenset({"attended_seminar", "seminar", "说明会", "已参会"})


@dataclass(frozen=True, slots=True)
class PastCall:
    placed_at: datetime
    connected: bool
    flags: Sequence[str] = ()
    disposition: str | None = None


def classify(
    past: Iterable[PastCall],
    *,
    tags: Iterable[str] = (),
    visited: bool = False,
    attended_seminar: bool = False,
) -> tuple[bool, ContactHistory]:
    """(first_contact, history) for a call about to be placed."""
    calls = sorted(past, key=lambda c: c.placed_at)
    tag_set = {t.strip().lower() for t in tags}
    contacts = [c for c in calls if "customer_contact" in c.flags]
    history = ContactHistory(
        previous_attempts=len(calls),
        previous_connected=sum(1 for c in calls if c.connected),
        talked_before=bool(contacts),
        visited=visited or bool(tag_set & VISITED_TAGS),
        attended_seminar=attended_seminar or bool(tag_set & SEMINAR_TAGS),
        last_contact_at=contacts[-1].placed_at if contacts else None,
        last_disposition=calls[-1].disposition if calls else None,
    )
    first = not (history.talked_before or history.visited or history.attended_seminar)
    return first, history
