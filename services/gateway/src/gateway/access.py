"""Who may do what: the one table of roles per public route, checked at the gateway.

Read it with ``gateway.routes`` (which service answers a path): a request is first matched here;
no rule, no access (a new route is closed until it is added). A role not listed gets 403. Rows are
narrowed further by the services themselves, in their queries, from the identity the gateway
signs for them (``common.identity``): an agent sees its own leads, calls and callbacks, a
supervisor its team's, a partner its own campaigns'. ``docs/security.md`` renders this table
(``python -m gateway access-table``) and ``tests/test_access_matrix.py`` checks it route by route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from common.identity import ADMIN, AGENT, MANAGER, PARTNER, QA, ROLES, SUPERVISOR, Identity, row_scope
from fastapi import Request

from gateway.events_stream import LiveEvent, RoleFilter, mask_personal_data

READ = frozenset({"GET", "HEAD"})
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Rule:
    methods: frozenset[str]
    path: re.Pattern[str]
    roles: frozenset[str]
    # An agent may act on a path naming an agent only when it names itself (its own agenda).
    own_agent_param: str | None = None
    describe: str = ""

    def matches(self, method: str, path: str) -> re.Match[str] | None:
        return self.path.match(path) if method in self.methods else None

    @property
    def template(self) -> str:
        """The path as people read it: ``/v1/leads/{id}/merge``, ``/v1/agents/{agent_id}/agenda``."""
        return self.path.pattern.strip("^$").replace("(?P<agent_id>[^/]+)", "{agent_id}").replace("[^/]+", "{id}")


def rule(methods: str, pattern: str, *roles: str, own_agent: str | None = None, describe: str = "") -> Rule:
    return Rule(frozenset(methods.split()), re.compile(f"^{pattern}$"), frozenset(roles), own_agent, describe)


ID = r"[^/]+"
# First match wins, so a specific path comes before the general one that would also match it.
RULES: list[Rule] = [
    # Leads: agents their own, supervisors their team's; imports, deletion, erasure and lifting a
    # do-not-call entry are the administrator's.
    rule("POST", "/v1/leads", SUPERVISOR, ADMIN, describe="create a lead"),
    rule("GET", "/v1/leads", AGENT, SUPERVISOR, ADMIN, describe="list leads (own / team's)"),
    rule("GET", "/v1/leads/(stale|flagged)", SUPERVISOR, ADMIN, describe="stale and flagged leads"),
    rule("POST", "/v1/leads/import", ADMIN, describe="import a lead file"),
    rule("GET", f"/v1/leads/import/{ID}", ADMIN, describe="an import's progress"),
    rule("POST", f"/v1/leads/import/{ID}/retry", ADMIN, describe="retry an import"),
    rule("DELETE", f"/v1/leads/{ID}/personal-data", ADMIN, describe="erase a lead's personal data"),
    rule("POST", f"/v1/leads/{ID}/merge", SUPERVISOR, ADMIN, describe="merge duplicate leads"),
    rule("POST", f"/v1/leads/{ID}/opt-out", AGENT, SUPERVISOR, ADMIN, describe="record a customer's opt-out"),
    rule("DELETE", f"/v1/leads/{ID}/opt-out", ADMIN, describe="lift an opt-out"),
    rule("POST", f"/v1/leads/{ID}/assign", SUPERVISOR, ADMIN, describe="assign a lead to an agent"),
    rule("GET", f"/v1/leads/{ID}", AGENT, SUPERVISOR, ADMIN, describe="a lead (own / team's)"),
    rule("PATCH", f"/v1/leads/{ID}", AGENT, SUPERVISOR, ADMIN, describe="update a lead; reassign (supervisor)"),
    rule("DELETE", f"/v1/leads/{ID}", ADMIN, describe="delete a lead"),
    rule("GET", "/v1/dnc", SUPERVISOR, ADMIN, describe="the do-not-call list"),
    rule("POST", "/v1/dnc", AGENT, SUPERVISOR, ADMIN, describe="add a do-not-call entry"),
    rule("POST", "/v1/dnc/import", ADMIN, describe="import a do-not-call list"),
    rule("DELETE", f"/v1/dnc/{ID}", ADMIN, describe="lift a do-not-call entry"),
    # Calls: partners report finished calls for their own campaigns; agents place and end theirs.
    rule("POST", "/v1/calls", PARTNER, ADMIN, describe="report a finished call"),
    rule("POST", "/v1/calls/batch", PARTNER, ADMIN, describe="report finished calls, many in one request"),
    rule("POST", "/v1/calls/place", AGENT, ADMIN, describe="place a call"),
    rule("POST", f"/v1/calls/{ID}/end", AGENT, PARTNER, ADMIN, describe="end a placed call"),
    rule("POST", f"/v1/calls/{ID}/transcript", AGENT, PARTNER, ADMIN, describe="attach a transcript"),
    rule("GET", "/v1/calls", AGENT, SUPERVISOR, QA, PARTNER, ADMIN, describe="list calls (own / team's / campaigns')"),
    rule(
        "GET", f"/v1/calls/{ID}", AGENT, SUPERVISOR, QA, PARTNER, ADMIN, describe="a call (own / team's / campaigns')"
    ),
    rule("GET", f"/v1/campaigns/{ID}/settings", SUPERVISOR, ADMIN, describe="a campaign's settings"),
    rule("PUT PATCH", f"/v1/campaigns/{ID}/settings", ADMIN, describe="change a campaign's settings"),
    rule("GET", f"/v1/campaigns/{ID}/dispositions", *EVERYONE, describe="a campaign's disposition catalogue"),
    rule("PUT", f"/v1/campaigns/{ID}/dispositions/{ID}", ADMIN, describe="change a disposition"),
    # Scheduling: an agent's own agenda and callbacks; supervisors cover absences and reassign.
    rule(
        "GET",
        f"/v1/agents/(?P<agent_id>{ID})/agenda",
        AGENT,
        SUPERVISOR,
        ADMIN,
        own_agent="agent_id",
        describe="an agent's agenda (an agent: its own)",
    ),
    rule("GET", "/v1/callbacks/absent-agents", SUPERVISOR, ADMIN, describe="absent agents"),
    rule("PUT DELETE", f"/v1/callbacks/absent-agents/{ID}", SUPERVISOR, ADMIN, describe="mark an agent absent/back"),
    rule("GET", "/v1/callbacks", AGENT, SUPERVISOR, ADMIN, describe="list callbacks (own / team's)"),
    rule("GET", f"/v1/callbacks/{ID}", AGENT, SUPERVISOR, ADMIN, describe="a callback"),
    rule("POST", f"/v1/callbacks/{ID}/reschedule", AGENT, SUPERVISOR, ADMIN, describe="reschedule or reassign"),
    rule("POST", f"/v1/callbacks/{ID}/cancel", SUPERVISOR, ADMIN, describe="cancel a callback"),
    rule("GET", "/v1/callback-policies", SUPERVISOR, ADMIN, describe="callback policies"),
    rule("GET", f"/v1/callback-policies/{ID}", SUPERVISOR, ADMIN, describe="a campaign's callback policy"),
    rule("PUT DELETE", f"/v1/callback-policies/{ID}", ADMIN, describe="change a callback policy"),
    # QA: inspectors confirm and dismiss (and so assess fines); supervisors and managers read.
    rule("GET", "/v1/violations", QA, SUPERVISOR, MANAGER, ADMIN, describe="findings (team's for a supervisor)"),
    rule("GET", f"/v1/violations/{ID}", QA, SUPERVISOR, MANAGER, ADMIN, describe="a finding"),
    rule("POST", f"/v1/violations/{ID}/(confirm|dismiss)", QA, describe="confirm or dismiss a finding"),
    rule("GET", f"/v1/qa/calls/{ID}", QA, SUPERVISOR, ADMIN, describe="a call's findings"),
    rule("GET", "/v1/qa/review-queue", QA, describe="the review queue"),
    rule("POST", f"/v1/qa/review-queue/{ID}/complete", QA, describe="complete a review"),
    rule("GET", "/v1/qa/fines", QA, SUPERVISOR, MANAGER, ADMIN, describe="fines"),
    rule("PUT", f"/v1/qa/agents/{ID}", SUPERVISOR, ADMIN, describe="an agent's start date (new-agent leniency)"),
    rule("GET", "/v1/qa/policy", *EVERYONE, describe="the QA policy in force"),
    rule("POST", "/v1/complaints", QA, SUPERVISOR, ADMIN, describe="record a complaint"),
    rule("GET", f"/v1/complaints/{ID}", QA, SUPERVISOR, ADMIN, describe="a complaint"),
    # Reports: managers all teams', supervisors their own team's.
    rule("GET", "/v1/reports(/.*)?", SUPERVISOR, MANAGER, ADMIN, describe="daily, weekly and trend reports"),
    # Live events: every role, each seeing what its API would show it.
    rule("GET", "/v1/events/stream", *EVERYONE, describe="live events (server-sent)"),
    # Administration.
    rule("GET", "/v1/admin/audit", ADMIN, describe="the audit log of personal-data reads"),
    rule("GET POST", "/v1/admin/.*", ADMIN, describe="dead letters and other administration"),
]


class Forbidden(Exception):
    """The caller is known but may not do this: 403."""


def authorize(identity: Identity, method: str, path: str) -> Rule:
    """The rule that lets ``identity`` do ``method path``; ``Forbidden`` otherwise."""
    method = "GET" if method == "HEAD" else method
    for candidate in RULES:
        found = candidate.matches(method, path)
        if not found:
            continue
        if not identity.roles & candidate.roles:
            raise Forbidden(f"{method} {path} needs one of the roles: {', '.join(sorted(candidate.roles))}")
        if candidate.own_agent_param and not identity.roles & (candidate.roles - {AGENT}):
            if found.group(candidate.own_agent_param) != identity.subject:
                raise Forbidden("an agent may only see its own")
        return candidate
    raise Forbidden(f"no role may {method} {path}")


def allowed_roles(method: str, path: str) -> frozenset[str]:
    """For the docs and the matrix test: the roles the first matching rule lets through."""
    for candidate in RULES:
        if candidate.matches(method, path):
            return candidate.roles
    return frozenset()


def route_label(method: str, path: str) -> str | None:
    """A /v1 path's route for the HTTP metrics (``common.metrics``): the template of the rule
    that matches it, whatever the caller's roles (the one forwarding route serves every path, so
    its own template would say nothing); None when no rule does."""
    method = "GET" if method == "HEAD" else method
    for candidate in RULES:
        if candidate.matches(method, path):
            return candidate.template
    return None


def access_table_markdown() -> str:
    """The role table as docs/security.md shows it (a test keeps the two the same)."""
    header = "| method | path | " + " | ".join(ROLES) + " | what |"
    lines = [header, "|" + "---|" * (len(ROLES) + 3)]
    for r in RULES:
        marks = []
        for role in ROLES:
            if role not in r.roles:
                marks.append("")
            elif role == AGENT and r.own_agent_param:
                marks.append("own")
            else:
                marks.append("✓")
        path = r.template.replace("|", "\\|")
        lines.append(f"| {' '.join(sorted(r.methods))} | `{path}` | " + " | ".join(marks) + f" | {r.describe} |")
    return "\n".join(lines)


def _row_of(data: dict[str, Any]) -> dict[str, str | None]:
    """An event's agent, team and campaign, wherever its type keeps them."""

    def ref(key: str, field: str) -> str | None:
        value = data.get(key)
        return value.get(field) if isinstance(value, dict) else None

    return {
        "agent": ref("agent", "id") or data.get("agent_id") or data.get("owner_agent_id"),
        "team": ref("agent", "team") or data.get("team_id") or data.get("owner_team_id"),
        "campaign": ref("campaign", "id") or data.get("campaign_id"),
    }


def live_event_filter(identity: Identity) -> RoleFilter:
    """The live events a caller sees are the rows its lists would show (an agent its own, a
    supervisor its team's, a partner its campaigns'), personal data masked as the API masks
    it; an event that names no such row is shown only to the roles that see everything."""
    scope = row_scope(identity)

    def visible(event: LiveEvent) -> LiveEvent | bool:
        if not identity.sees_everything:
            row = _row_of(event.data)
            if all(v is None for v in row.values()) or not scope.allows(**row):
                return False
        return mask_personal_data(event)

    return visible


def live_event_filter_for(request: Request) -> RoleFilter:
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):  # the Gatekeeper sets it on every /v1 request
        return lambda _event: False
    return live_event_filter(identity)
