"""Which service answers which public path: the one table to read when a path 404s."""

from __future__ import annotations

import re

# (path pattern, service). First match wins; patterns are matched against the request path.
ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/v1/leads(/.*)?$"), "leads"),
    (re.compile(r"^/v1/admin/audit$"), "leads"),
    (re.compile(r"^/v1/dnc(/.*)?$"), "leads"),
    (re.compile(r"^/v1/calls(/.*)?$"), "calls"),
    (re.compile(r"^/v1/campaigns(/.*)?$"), "calls"),
    (re.compile(r"^/v1/callbacks(/.*)?$"), "scheduling"),
    (re.compile(r"^/v1/agents/[^/]+/agenda$"), "scheduling"),
    (re.compile(r"^/v1/callback-policies(/.*)?$"), "scheduling"),
    (re.compile(r"^/v1/violations(/.*)?$"), "qa"),
    (re.compile(r"^/v1/qa(/.*)?$"), "qa"),
    (re.compile(r"^/v1/complaints(/.*)?$"), "qa"),
    (re.compile(r"^/v1/reports(/.*)?$"), "reporting"),
]


def service_for(path: str) -> str | None:
    for pattern, service in ROUTES:
        if pattern.match(path):
            return service
    return None
