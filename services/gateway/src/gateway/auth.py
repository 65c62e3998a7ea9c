"""Who is calling: the bearer token of every request, checked here and nowhere else.

A token is a JWT signed by the identity provider (RS256 or ES256): in production its keys come
from a JWKS URL (``AUTH_JWKS_URL``), for ``make run`` from a local public key
(``AUTH_PUBLIC_KEY_FILE``, made by ``python -m gateway dev-tokens``). PyJWT does the cryptography
and the standard checks (signature, ``exp``, ``nbf``, ``aud``, ``iss``; ``alg: none`` and any
algorithm not listed are refused). What the platform needs from the token is its identity
(``sub``, ``roles``, ``team``, ``campaigns``, ``grants``), passed on to the services signed
(``common.identity``).

Every refusal is logged with its reason and the token's subject when it could be read, never
with the token itself.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from common.identity import PARTNER, ROLES, Identity, IdentityError
from common.problems import problem_response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.access import Forbidden, allowed_roles, authorize
from gateway.routes import service_for
from gateway.settings import GatewaySettings

log = logging.getLogger(__name__)


VERIFIED_CACHE_SECONDS = 60.0
VERIFIED_CACHE_SIZE = 10_000


class Unauthenticated(Exception):
    """The request has no valid token: 401."""


@dataclass
class TokenVerifier:
    settings: GatewaySettings

    def __post_init__(self) -> None:
        self._jwks = (
            jwt.PyJWKClient(self.settings.auth_jwks_url, cache_keys=True, lifespan=self.settings.auth_jwks_cache_s)
            if self.settings.auth_jwks_url
            else None
        )
        self._static_key: str | None = self.settings.auth_public_key or None
        if self._static_key is None and self.settings.auth_public_key_file:
            self._static_key = Path(self.settings.auth_public_key_file).read_text()
        if self._jwks is None and self._static_key is None:
            log.error("no token keys configured (AUTH_JWKS_URL or AUTH_PUBLIC_KEY_FILE): every request is refused")
        # Tokens verified lately: a partner's integration sends the same token with every call,
        # and checking its signature cost more than forwarding the call. Kept until the token
        # expires, at most a minute (a key withdrawn from the JWKS stops its tokens within it).
        self._verified: dict[str, tuple[float, Identity]] = {}

    async def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            # PyJWKClient fetches over blocking urllib (cached for auth_jwks_cache_s).
            try:
                return (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            except jwt.PyJWKClientError as exc:
                raise Unauthenticated(f"no key for this token: {exc}") from exc
        if self._static_key is None:
            raise Unauthenticated("the gateway has no keys to check tokens with")
        return self._static_key

    async def verify(self, authorization: str | None) -> Identity:
        if not authorization:
            raise Unauthenticated("a bearer token is required (Authorization: Bearer <token>)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        token = token.strip()
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            claims = jwt.decode(
                token,
                await self._key_for(token),
                algorithms=self.settings.auth_algorithms,
                audience=self.settings.auth_audience,
                issuer=self.settings.auth_issuer,
                leeway=self.settings.auth_leeway_s,
                options={"require": ["exp", "sub", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("the token has expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("the token is not for this API (audience)") from exc
        except jwt.InvalidIssuerError as exc:
            raise Unauthenticated("the token is not from the trusted issuer") from exc
        except jwt.InvalidAlgorithmError as exc:
            raise Unauthenticated("the token's algorithm is not accepted") from exc
        except jwt.InvalidSignatureError as exc:
            raise Unauthenticated("the token's signature is not valid") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the token is not valid: {type(exc).__name__}") from exc
        try:
            identity = Identity.from_claims(claims)
        except IdentityError as exc:
            raise Unauthenticated(f"the token's claims are not usable: {exc}") from exc
        # Roles this platform does not know are dropped; a token left with none is authenticated
        # but may do nothing (403 on every route).
        known = identity.roles.intersection(ROLES)
        verified = Identity(identity.subject, frozenset(known), identity.team, identity.campaigns, identity.grants)
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            self._verified.clear()
        self._verified[token] = (min(float(claims["exp"]), now + VERIFIED_CACHE_SECONDS), verified)
        return verified


class TokenBucket:
    """Requests per second per key, with bursts: a partner's integration that loops is slowed
    down (429 with Retry-After) before it crowds out the others."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str, now: float) -> float:
        """0 when admitted; otherwise the seconds until a request would be."""
        tokens, since = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - since) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > 100_000:  # bounded: forget the idle ones (they are full again)
            self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < self.burst / self.rate}
        return (1.0 - tokens) / self.rate


class Gatekeeper:
    """ASGI middleware for every ``/v1`` path: the token (401), the role table (403), a partner's
    rate (429); the verified identity goes on ``request.state.identity`` for the forwarder, which
    signs it for the service (``common.identity``)."""

    def __init__(self, app: ASGIApp, *, settings: GatewaySettings) -> None:
        self.app = app
        self.verifier = TokenVerifier(settings)
        self.partners = TokenBucket(settings.partner_rate_per_s, settings.partner_burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/v1") or scope.get("method") == "OPTIONS":
            await self.app(scope, receive, send)
            return
        method = str(scope.get("method", "GET"))
        headers = dict(scope.get("headers") or [])
        raw = headers.get(b"authorization")
        try:
            identity = await self.verifier.verify(raw.decode("latin-1") if raw else None)
        except Unauthenticated as exc:
            log.info("refused: not authenticated", extra={"method": method, "path": path, "reason": str(exc)})
            await problem_response(
                401,
                str(exc),
                title="Unauthorized",
                instance=path,
                headers={"WWW-Authenticate": 'Bearer realm="tm-api"'},
            )(scope, receive, send)
            return
        if not allowed_roles(method, path) and service_for(path) is None:
            # No service answers this path at all: say so (404), as for any unknown path, rather
            # than 403 for a route that does not exist.
            await problem_response(404, f"no such path: {path}", instance=path)(scope, receive, send)
            return
        try:
            authorize(identity, method, path)
        except Forbidden as exc:
            log.info(
                "refused: not allowed",
                extra={"method": method, "path": path, "subject": identity.subject, "roles": sorted(identity.roles)},
            )
            await problem_response(403, str(exc), title="Forbidden", instance=path)(scope, receive, send)
            return
        if identity.roles == {PARTNER}:
            wait = self.partners.take(identity.subject, time.monotonic())
            if wait:
                retry = max(1, math.ceil(wait))
                log.info("refused: rate limited", extra={"path": path, "subject": identity.subject})
                await problem_response(
                    429, f"too many requests; retry after {retry} s", title="Too Many Requests", instance=path,
                    headers={"Retry-After": str(retry)},
                )(scope, receive, send)  # fmt: skip
                return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, send)


# The docs page loads Swagger UI from its CDN (FastAPI's default); nothing else may be framed,
# sniffed or sent a referrer.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'"
)
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class SecurityHeaders:
    """Security headers on every answer (the docs page with a CSP that lets Swagger UI load)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        page = str(scope.get("path", ""))
        pages = ("/docs", "/asyncapi", "/console")
        csp = DOCS_CSP if page in pages or page.startswith("/console/") else API_CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "no-referrer")
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, with_headers)
