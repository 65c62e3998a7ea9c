"""The gateway process: no database and no streams of its own, only the public API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from common.problems import install_problem_handlers
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway import deadletters, events_stream, proxy
from gateway.access import live_event_filter_for
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
    async def readyz() -> JSONResponse:
        """Ready when every upstream service is ready."""
        upstreams = app.state.upstreams
        results = {}
        for name, base in upstreams.urls.items():
            try:
                resp = await upstreams.client.get(base + "/readyz", timeout=2)
                results[name] = resp.status_code == 200
            except Exception:
                results[name] = False
        ok = all(results.values())
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "upstreams": results}, status_code=200 if ok else 503
        )

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Telemarketing platform API")

    app.include_router(deadletters.router)  # before the catch-all forward of /v1/...
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
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz")
    return app
