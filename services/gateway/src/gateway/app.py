"""The gateway process: no database and no streams of its own, only the public API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from common import metrics
from common.problems import install_problem_handlers
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.types import Scope

from gateway import console, deadletters, events_stream, proxy
from gateway.access import live_event_filter_for, route_label
from gateway.auth import Gatekeeper, SecurityHeaders
from gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.upstreams.close()

    app = FastAPI(
        title="Telemarketing platform API",
        description="The one public API: leads, calls, callbacks, QA findings and reports.",
        version="1",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
    )

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["ops"])
    async def readyz(upstreams: bool = False) -> JSONResponse:
        """Readiness of the gateway itself: it answers once started. A down upstream is not the
        gateway's unreadiness (its routes answer 503 on their own; taking every replica out of
        the Service for it would take the whole API down); ``?upstreams=true`` shows theirs."""
        body: dict[str, object] = {"status": "ready"}
        if upstreams:
            pool = app.state.upstreams

            async def ready(base: str) -> bool:
                try:
                    answer = await pool.client.get(base + "/readyz", timeout=2)
                except Exception:
                    return False
                return bool(answer.status_code == 200)

            names = list(pool.urls)
            answers = await asyncio.gather(*(ready(pool.urls[name]) for name in names))
            body["upstreams"] = dict(zip(names, answers, strict=True))
        return JSONResponse(body)

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Telemarketing platform API")

    app.include_router(deadletters.router)  # before the catch-all forward of /v1/...
    console.install(app)  # the browser console at /console (gateway.console; it calls /v1 with the user's token)
    # Live events (SSE) and the event contract (/asyncapi.json, /asyncapi): gateway.events_stream.
    events_stream.install(app, settings, role_filter_for=live_event_filter_for)
    # Inside the problem handlers' middlewares (an unexpected error in it is still a problem);
    # CORS and the security headers outside them, so every answer, refusals included, has them.
    app.add_middleware(Gatekeeper, settings=settings)
    install_problem_handlers(app, settings)  # before the merged OpenAPI takes its own document
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Last-Event-ID"],
            expose_headers=["Retry-After", "Location"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders)
    proxy.install(app, settings)
    # /metrics (the Gatekeeper guards /v1 only) and the HTTP metrics, outermost (common.metrics).
    metrics.install(app, "gateway", route_of=_route_of)
    # One server span per request: the instrumentation's default adds a span for every ASGI
    # receive and send message too (three or four per request), which told nothing the request's
    # span does not and cost a span each on the hot path.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"])
    return app


def _route_of(scope: Scope) -> str:
    """The route label of a request: a /v1 path forwarded to a service is named by its rule in
    the role table; the gateway's own routes (dead letters, live events, the console) by theirs."""
    route = metrics.route_template(scope)
    path = str(scope.get("path", ""))
    if path.startswith("/v1/") and route in (metrics.UNMATCHED, proxy.FORWARD_ROUTE):
        return route_label(str(scope.get("method", "GET")), path) or metrics.UNMATCHED
    return route
