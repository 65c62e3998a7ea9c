"""The public HTTP API: one address for partners, forwarding each path to the service that owns
it, with the trace context carried along. The OpenAPI document is the union of the services'
public (``/v1``) paths, so ``/docs`` shows the whole API in one place."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx
from common.identity import HEADER as IDENTITY_HEADER
from common.identity import Identity
from common.identity import headers_for as identity_header
from common.problems import RETRY_AFTER_S, SERVICE_UNAVAILABLE, problem_response
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from opentelemetry import propagate, trace

from gateway.routes import service_for
from gateway.settings import GatewaySettings
from gateway.upstream import UpstreamPool, UpstreamUnavailable

log = logging.getLogger(__name__)

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
# Set by the gateway's own HTTP server on every answer it sends; passing the upstream's copies
# through too would give a client two Date and two Server headers.
SET_BY_THIS_SERVER = {"date", "server"}
# httpx has already decoded the body, so the upstream's encoding no longer describes it.
DECODED = {"content-encoding"}
# The token stops here (services get the verified identity instead), and an identity header a
# client made up is never passed on.
NOT_FORWARDED = HOP_BY_HOP | {"authorization", IDENTITY_HEADER.lower()}
# The same as the bytes of ASGI's header names (lower case); ``expect`` too: the gateway's own
# server answers a client's ``100-continue``, and the body then comes whole to the service.
NOT_FORWARDED_RAW = frozenset(name.encode() for name in NOT_FORWARDED | {"expect", "x-forwarded-for"})
# The answer's headers not passed on: the body is passed as the service sent it (not decoded,
# so its Content-Encoding still holds), with a Content-Length of its own.
DROPPED_RESPONSE_HEADERS = frozenset(name.encode() for name in HOP_BY_HOP | SET_BY_THIS_SERVER)
# What the lean client (gateway.upstream) forwards; any other method goes through httpx.
FORWARDED_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
_tracer = trace.get_tracer(__name__)


def _has_body(request: Request) -> bool:
    headers = request.headers
    return "content-length" in headers or "transfer-encoding" in headers


class Upstreams:
    def __init__(self, settings: GatewaySettings) -> None:
        self.urls = settings.upstreams()
        self.secret = settings.gateway_secret
        # Bounded: a service that does not answer is reported unavailable (503) rather than
        # holding the partner's request; services answer their own 503 well within this.
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s),
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        # The forwarding path's own client (gateway.upstream); httpx above for the rest (the
        # readiness of the upstreams, their OpenAPI documents, the dead letters' listing).
        self.pools = {
            name: UpstreamPool(
                url,
                timeout_s=settings.upstream_timeout_s,
                connect_timeout_s=settings.upstream_connect_timeout_s,
                max_connections=200,
                max_idle=50,
            )
            for name, url in self.urls.items()
        }

    async def forward(self, service: str, request: Request, *, path: str | None = None) -> Response:
        """``path``: the service's own path when it differs from the public one."""
        if request.method not in FORWARDED_METHODS:  # HEAD and the like: through httpx
            return await self._forward_with_httpx(service, request, path=path)
        # The path as the client sent it, still percent-encoded: decoded, a path segment holding
        # a control character or a '?' would not be a URL any more (schemathesis found the first).
        scope = request.scope
        raw_path = scope.get("raw_path", b"").decode("latin-1") or request.url.path
        target = (path or raw_path).encode("latin-1")
        query = scope.get("query_string", b"")
        if query:
            target += b"?" + query
        headers = self._forwarded_headers(request)
        try:
            with _tracer.start_as_current_span(request.method, kind=trace.SpanKind.CLIENT) as span:
                carrier: dict[str, str] = {}
                propagate.inject(carrier)
                headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in carrier.items())
                status, response_headers, body = await self.pools[service].exchange(
                    request.method, target, headers, request.stream() if _has_body(request) else None
                )
                if span.is_recording():
                    span.set_attributes(
                        {
                            "http.request.method": request.method,
                            "url.full": self.urls[service] + target.decode("latin-1"),
                            "http.response.status_code": status,
                        }
                    )
        except UpstreamUnavailable as exc:
            return self._unavailable(service, request, exc)
        response = Response(body, status_code=status)
        # Every header of the service's answer but the hop-by-hop ones and those this server
        # sets itself; repeated headers (several Set-Cookie, Link …) kept as they came.
        response.raw_headers = [
            (name, value) for name, value in response_headers if name.lower() not in DROPPED_RESPONSE_HEADERS
        ]
        response.raw_headers.append((b"content-length", str(len(body)).encode()))
        return response

    def _forwarded_headers(self, request: Request) -> list[tuple[bytes, bytes]]:
        """The client's headers minus the hop-by-hop ones, the token and any identity it made up;
        the verified identity signed for the service; where the caller is (the audit log)."""
        headers: list[tuple[bytes, bytes]] = []
        prior: bytes | None = None
        for name, value in request.scope["headers"]:
            lowered = name.lower()
            if lowered == b"x-forwarded-for":
                prior = value
                continue
            # The body's declared length goes on when it is one (the service then reads the body
            # as sent); anything else is dropped and the body sent chunked, as its own framing.
            if lowered not in NOT_FORWARDED_RAW or (lowered == b"content-length" and value.isdigit()):
                headers.append((name, value))
        headers.extend((k.encode("latin-1"), v.encode("latin-1")) for k, v in self.identity_headers(request).items())
        client = request.client
        if client:
            host = client.host.encode("latin-1")
            headers.append((b"X-Forwarded-For", prior + b", " + host if prior else host))
        elif prior:
            headers.append((b"X-Forwarded-For", prior))
        return headers

    def _unavailable(self, service: str, request: Request, exc: Exception) -> Response:
        # Whether a write the service was given got stored is not known when its answer
        # never came: retrying with the same ids stores it once (every write is idempotent).
        log.warning("upstream unavailable", extra={"service": service, "error": f"{type(exc).__name__}: {exc}"})
        return problem_response(
            503,
            f"the {service} service is unavailable; retry after {RETRY_AFTER_S} s with the same request",
            type_=SERVICE_UNAVAILABLE,
            title="Service unavailable",
            instance=request.url.path,
            headers={"Retry-After": str(RETRY_AFTER_S)},
        )

    async def _forward_with_httpx(self, service: str, request: Request, *, path: str | None = None) -> Response:
        raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
        url = self.urls[service] + (path or raw_path)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in NOT_FORWARDED}
        headers.update(self.identity_headers(request))
        if request.client:
            prior = request.headers.get("x-forwarded-for")
            headers["X-Forwarded-For"] = f"{prior}, {request.client.host}" if prior else request.client.host
        propagate.inject(headers)
        try:
            upstream = await self.client.request(
                request.method, url, params=request.query_params, headers=headers, content=None
            )
        except httpx.TransportError as exc:
            return self._unavailable(service, request, exc)
        dropped = HOP_BY_HOP | SET_BY_THIS_SERVER | DECODED
        response = Response(upstream.content, status_code=upstream.status_code)
        for name, value in upstream.headers.multi_items():
            if name.lower() not in dropped:
                response.headers.append(name, value)
        return response

    def identity_headers(self, request: Request) -> dict[str, str]:
        """The caller's verified identity (``gateway.auth.Gatekeeper``), signed for the service."""
        identity = getattr(request.state, "identity", None)
        if not isinstance(identity, Identity):
            return {}
        return identity_header(identity, self.secret)

    async def openapi_paths(self) -> tuple[dict[str, Any], dict[str, Any]]:
        paths: dict[str, Any] = {}
        schemas: dict[str, Any] = {}

        async def fetch(service: str, base: str) -> dict[str, Any] | None:
            try:
                resp = await self.client.get(base + "/openapi.json", timeout=3)
                resp.raise_for_status()
                document = resp.json()
                if not isinstance(document, dict):
                    raise ValueError("an OpenAPI document is a JSON object")
                return document
            except (httpx.HTTPError, ValueError):
                log.warning("no OpenAPI from upstream", extra={"service": service})
                return None

        docs = await asyncio.gather(*(fetch(s, u) for s, u in self.urls.items()))
        for doc in docs:
            if not doc:
                continue
            for path, item in doc.get("paths", {}).items():
                # A service's dead letters are reached through the gateway's own (per service).
                if path.startswith("/v1/") and not path.startswith("/v1/admin/dead-letters"):
                    paths[path] = item
            schemas.update(doc.get("components", {}).get("schemas", {}))
        return paths, schemas

    async def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        await self.client.aclose()


# The one route that forwards every /v1 path the gateway does not answer itself.
FORWARD_ROUTE = "/v1/{rest:path}"

BEARER_HELP = (
    "A JWT from the identity provider (`make run` prints a development token for each role). "
    "What each role may do: docs/security.md."
)


def install(app: FastAPI, settings: GatewaySettings) -> None:
    upstreams = Upstreams(settings)
    app.state.upstreams = upstreams

    @app.api_route(FORWARD_ROUTE, methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def forward(request: Request, rest: str) -> Response:
        service = service_for(request.url.path)
        if service is None:
            return problem_response(404, f"no such path: {request.url.path}", instance=request.url.path)
        return await upstreams.forward(service, request)

    default_openapi = app.openapi

    async def merged_openapi() -> dict[str, Any]:
        base = default_openapi()
        paths, schemas = await upstreams.openapi_paths()
        doc = dict(base)
        doc["paths"] = {**paths, **{p: v for p, v in base.get("paths", {}).items()}}
        components = doc.setdefault("components", {})
        components.setdefault("schemas", {}).update(schemas)
        # Every /v1 operation takes a bearer token: /docs shows an Authorize button for it.
        components["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": BEARER_HELP}
        }
        doc["security"] = [{"bearer": []}]
        return doc

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_json() -> JSONResponse:
        return JSONResponse(await merged_openapi())
