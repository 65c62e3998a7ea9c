"""The console: pages for supervisors, QA inspectors and managers, served by the gateway at
``/console`` (issue 16).

The server side is only this: one HTML shell and its static files (ES modules, a stylesheet and
uPlot, vendored under ``static/vendor``). Every figure the pages show they fetch in the browser
from the public API (``/v1/...``) with the signed-in user's bearer token, so the console sees
exactly what that token's role may see, masked as the API masks it, and needs no access rule of
its own. ``docs/console.md`` says why this stack.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

# The pages run only the console's own scripts and talk only to this origin: no inline script,
# no CDN, nothing framed. Styles set from script (uPlot sizes its canvas) are CSSOM, which
# style-src does not govern; blob: lets a fetched workbook be saved.
CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)

router = APIRouter(include_in_schema=False)


@router.get("/console")
async def console_page() -> FileResponse:
    """The one page: the login and every view are drawn in it by ``static/app.js`` (hash routes,
    ``#/today``, ``#/review`` …)."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Content-Security-Policy": CONSOLE_CSP})


@router.get("/console/")
async def console_slash() -> RedirectResponse:
    return RedirectResponse("/console", status_code=308)


def install(app: FastAPI) -> None:
    """``/console`` and ``/console/static/...`` (outside ``/v1``: the page itself holds no data;
    the Gatekeeper checks every API call the page makes)."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
