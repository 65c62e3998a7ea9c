"""HTTP API of the calls service (reached through the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from common.service import Runtime, runtime_of

from calls.domain.records import FinishedCallRecord
from calls.handlers import record_finished_call

router = APIRouter(prefix="/v1/calls", tags=["calls"])


@router.post("", status_code=202, responses={200: {"description": "already recorded, nothing changed"},
                                               422: {"description": "invalid record; the field is named"}})
async def post_finished_call(record: FinishedCallRecord, runtime: Runtime = Depends(runtime_of)) -> JSONResponse:
    """Report a finished call in one request (domain section 6). Answers 202 once JetStream has
    stored its events; the same ``call_id`` again is answered 200 and changes nothing."""
    result = await record_finished_call(runtime.event_store, record, pii_key=runtime.settings.pii_key)
    status = "accepted" if result.written else "duplicate"
    return JSONResponse({"call_id": result.call_id, "status": status}, status_code=202 if result.written else 200)
