"""Every public route of every service describes its answer in the OpenAPI document, so the
gateway's merged ``/docs`` shows partners the response shapes (issue 10)."""

from __future__ import annotations

from typing import Any

import pytest
from common.service import ServiceSpec, create_app
from common.settings import ServiceSettings
from common.testing import undocumented_responses


def _services() -> list[tuple[ServiceSpec[Any, Any], type[ServiceSettings]]]:
    from calls.service import SPEC as calls
    from calls.settings import CallsSettings
    from leads.service import SPEC as leads
    from leads.settings import LeadsSettings
    from qa.service import SPEC as qa
    from qa.settings import QaSettings
    from reporting.service import SPEC as reporting
    from reporting.settings import ReportingSettings
    from scheduling.service import SPEC as scheduling
    from scheduling.settings import SchedulingSettings

    return [
        (leads, LeadsSettings),
        (calls, CallsSettings),
        (scheduling, SchedulingSettings),
        (qa, QaSettings),
        (reporting, ReportingSettings),
    ]


@pytest.mark.parametrize(("spec", "settings"), _services(), ids=lambda v: getattr(v, "name", ""))
def test_every_v1_route_documents_its_response(spec: ServiceSpec[Any, Any], settings: type[ServiceSettings]) -> None:
    openapi = create_app(spec, settings()).openapi()
    assert any(path.startswith("/v1/") for path in openapi["paths"])
    assert undocumented_responses(openapi) == []


def test_an_undocumented_route_is_found() -> None:
    """The check itself can fail: a route answering a bare dict has an empty schema."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/v1/bare")
    async def bare() -> dict[str, object]:
        return {}

    @app.get("/v1/untyped")
    async def untyped():  # type: ignore[no-untyped-def]
        return {}

    @app.get("/v1/shaped")
    async def shaped() -> dict[str, int]:
        return {}

    assert undocumented_responses(app.openapi()) == ["GET /v1/bare", "GET /v1/untyped"]
