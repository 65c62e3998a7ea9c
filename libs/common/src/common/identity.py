"""Who is asking: the identity the gateway verified, as every service receives it.

The gateway checks the caller's bearer token (a JWT) and passes the result on in one header,
``X-TM-Identity``: the identity as JSON, base64url, then a dot and an HMAC-SHA256 of it under the
secret the gateway shares with the services (``GATEWAY_SECRET``). A service trusts an identity only
with a valid signature made in the last minute, so a request sent straight to a service, around the
gateway, is refused, and a header seen once cannot be replayed for long. Services use it for rules
only they can apply in their own queries: an agent's own leads, a supervisor's team, a partner's
campaigns.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from common.problems import problem_response

log = logging.getLogger(__name__)

HEADER = "X-TM-Identity"
# A signature older than this is refused: enough for clock skew between pods and a queued
# request, short enough that a header copied from a log is useless soon after.
MAX_AGE_S = 60.0

# The roles of the platform (docs/security.md has the table of what each may do).
AGENT = "agent"
SUPERVISOR = "supervisor"
QA = "qa"
MANAGER = "manager"
PARTNER = "partner"
ADMIN = "admin"
ROLES = (AGENT, SUPERVISOR, QA, MANAGER, PARTNER, ADMIN)
# A grant beyond the role: names and numbers unmasked (every such read is audited).
PII_READ = "pii:read"


class IdentityError(Exception):
    """The request carries no identity a service may trust."""


@dataclass(frozen=True)
class Identity:
    subject: str
    roles: frozenset[str]
    team: str | None = None
    # A partner reports and reads only its own campaigns.
    campaigns: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[str] = field(default_factory=frozenset)

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def sees_everything(self) -> bool:
        """Roles whose lists are not narrowed to their own rows."""
        return self.has(ADMIN, MANAGER, QA)

    @property
    def may_read_pii(self) -> bool:
        return PII_READ in self.grants

    def to_claims(self) -> dict[str, Any]:
        return {
            "sub": self.subject,
            "roles": sorted(self.roles),
            "team": self.team,
            "campaigns": sorted(self.campaigns),
            "grants": sorted(self.grants),
        }

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Identity:
        def strings(name: str) -> frozenset[str]:
            value = claims.get(name) or []
            if isinstance(value, str):
                value = value.split()
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise IdentityError(f"claim {name!r} must be a list of strings")
            return frozenset(value)

        subject = claims.get("sub")
        team = claims.get("team")
        if not isinstance(subject, str) or not subject:
            raise IdentityError("claim 'sub' must be a non-empty string")
        if team is not None and not isinstance(team, str):
            raise IdentityError("claim 'team' must be a string")
        return cls(subject, strings("roles"), team, strings("campaigns"), strings("grants"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign(identity: Identity, secret: str, *, now: float | None = None) -> str:
    body = dict(identity.to_claims(), iat=now if now is not None else time.time())
    payload = _b64(json.dumps(body, separators=(",", ":"), sort_keys=True).encode())
    return f"{payload}.{_mac(secret, payload)}"


def verify(header: str | None, secret: str, *, now: float | None = None) -> Identity:
    if not header:
        raise IdentityError("no identity: requests reach the services through the gateway")
    payload, _, mac = header.partition(".")
    if not mac or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise IdentityError("the identity is not signed by the gateway")
    try:
        claims = json.loads(_unb64(payload))
    except ValueError as exc:
        raise IdentityError("the identity is not readable") from exc
    if not isinstance(claims, dict):
        raise IdentityError("the identity is not readable")
    issued = claims.get("iat")
    current = now if now is not None else time.time()
    if not isinstance(issued, int | float) or abs(current - issued) > MAX_AGE_S:
        raise IdentityError("the identity has expired")
    return Identity.from_claims(claims)


def headers_for(identity: Identity, secret: str) -> dict[str, str]:
    return {HEADER: sign(identity, secret)}


async def identity_of(request: Request) -> Identity:
    """The verified identity, set by the service's middleware (``common.service``). Async (no
    I/O): a plain ``def`` dependency would cost a thread-pool hop on every request."""
    identity = getattr(request.state, "identity", None)
    if not isinstance(identity, Identity):
        raise HTTPException(401, "no identity on this request")
    return identity


Caller = Annotated[Identity, Depends(identity_of)]

# What tests and tools act as when they call a service directly (signed like the gateway does).
SYSTEM_ADMIN = Identity("system", frozenset({ADMIN}), grants=frozenset({PII_READ}))


class IdentityGate:
    """ASGI middleware of every service: a ``/v1`` request without an identity the gateway signed
    is refused (401, problem details); with one, the identity is on ``request.state.identity``.
    Health, readiness and the API document stay open (probes and the gateway's merge read them)."""

    def __init__(self, app: ASGIApp, *, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/v1"):
            await self.app(scope, receive, send)
            return
        raw = dict(scope.get("headers") or []).get(HEADER.lower().encode())
        try:
            identity = verify(raw.decode("latin-1") if raw else None, self.secret)
        except IdentityError as exc:
            log.info(
                "request refused without a gateway identity", extra={"path": scope.get("path"), "reason": str(exc)}
            )
            response = problem_response(401, str(exc), title="Unauthorized", instance=str(scope.get("path")))
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, send)


@dataclass(frozen=True)
class RowScope:
    """Which rows of a list the caller may see, for the service to put in its query's WHERE:
    ``None`` means no narrowing on that column. A supervisor without a team, or a partner without
    campaigns, sees nothing (``NOTHING``) rather than everything."""

    agent: str | None = None
    team: str | None = None
    campaigns: frozenset[str] | None = None

    def allows(self, *, agent: str | None = None, team: str | None = None, campaign: str | None = None) -> bool:
        """Whether one row (by its agent, team and campaign) is within the scope."""
        if self.agent is not None and agent != self.agent:
            return False
        if self.team is not None and team != self.team:
            return False
        return self.campaigns is None or campaign in self.campaigns

    def narrow(self, requested: str | None, allowed: str | None) -> str | Nothing | None:
        """A list's filter value within the scope: the allowed value, or ``NOTHING`` when the
        caller asked for rows outside it."""
        if allowed is None:
            return requested
        if requested is not None and requested != allowed:
            return NOTHING
        return allowed


class Nothing:
    """A filter no row matches (an empty page, not an error: lists never say what exists)."""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING = Nothing()
# A value no real team or agent id has: a supervisor without a team matches no row.
NO_ID = "\x00none"


def row_scope(identity: Identity) -> RowScope:
    if identity.sees_everything:
        return RowScope()
    if identity.has(SUPERVISOR):
        return RowScope(team=identity.team or NO_ID)
    if identity.has(AGENT):
        return RowScope(agent=identity.subject)
    if identity.has(PARTNER):
        return RowScope(campaigns=identity.campaigns)
    return RowScope(agent=NO_ID)
