"""HTTP API of the calls service (reached through the gateway: ``/v1/calls``, ``/v1/campaigns``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from common.events.partner import DispositionCode, Identifier
from common.identity import ADMIN, PARTNER, Caller, Identity, Nothing, row_scope
from common.pagination import Cursor, Limit
from common.problems import (
    PROBLEM_JSON,
    PROBLEMS,
    invalid_fields,
    invalid_fields_document,
    problem_document,
    problem_response,
)
from common.problems import Problem as ProblemDetails
from common.schemas import rendered
from common.service import runtime_of

from calls.context import CallsRuntime
from calls.domain.campaign import CampaignSettings, Disposition
from calls.domain.records import EndCallRequest, FinishedCallRecord, PlaceCallRequest, Problem
from calls.handlers import (
    Recorded,
    VersionConflict,
    add_transcript,
    catalogue_of,
    configure_campaign,
    end_call,
    place_call,
    report_finished_call,
    report_finished_calls,
)
from calls.queries import campaign_settings, get_call, list_calls
from calls.schemas import (
    BatchCallResult,
    CallBatchRecorded,
    CallDetail,
    CallEndedAnswer,
    CallPage,
    CallPlacedAnswer,
    CallProblem,
    CallRecorded,
    CampaignCatalogue,
    CampaignConfigured,
    CampaignView,
    DialRefused,
    FinishedCallBatch,
    TranscriptAnswer,
    TranscriptRequest,
    VersionConflictAnswer,
)

router = APIRouter(prefix="/v1/calls", tags=["calls"])
campaigns = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])

CallId = Path(pattern=r"^[A-Za-z0-9_\-:]{1,128}$", description="the call id")


def unprocessable(problems: list[Problem]) -> JSONResponse:
    """422 problem details, every bad or blank field named (``missing``: the blank ones)."""
    return invalid_fields([p.as_error() for p in problems], missing=[p.field for p in problems if p.kind == "missing"])


def _pydantic_422(exc: ValidationError, prefix: str = "body") -> JSONResponse:
    return invalid_fields([{"loc": [prefix, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()])


def _may_report_for(caller: Identity, campaign_id: str) -> bool:
    """A partner reports calls for its own campaigns only (its token lists them)."""
    return not caller.has(PARTNER) or caller.has(ADMIN) or campaign_id in caller.campaigns


@router.post(
    "",
    status_code=202,
    response_model=CallRecorded,
    responses={
        200: {"model": CallRecorded, "description": "already recorded with this very body, nothing changed"},
        # Problem details (application/problem+json) with the call_id and the differing fields.
        409: {"description": "this call_id was recorded with a different body; `differences` names the fields"},
        422: {"description": "invalid record; the field is named"},
    },
)
async def post_finished_call(
    record: FinishedCallRecord,
    caller: Caller,
    runtime: CallsRuntime = Depends(runtime_of),
    idempotency_key: str | None = Header(
        default=None,
        alias="Idempotency-Key",
        description="optional; when sent it must be the record's call_id, which is this route's idempotency key",
    ),
) -> Response:
    """Report a finished call in one request (domain section 6). Answers 202 once JetStream has
    stored its events; the same ``call_id`` with the same body again is answered 200 and changes
    nothing (``call_id`` is the idempotency key); the same ``call_id`` with a different body is
    409 naming the fields that differ, and the recorded call stands. The disposition must be in
    the campaign's catalogue; an inbound call needs ``heard_from`` and ``need``.

    An ``Idempotency-Key`` header is not a second key: a client that sends one (as payment APIs
    ask) must send the ``call_id``, so a key reused for another call is refused, not ignored."""
    if not _may_report_for(caller, record.campaign.id):
        return problem_response(
            403, f"this partner may not report calls for campaign {record.campaign.id}", title="Forbidden"
        )
    if idempotency_key is not None and idempotency_key != record.call_id:
        return invalid_fields(
            [
                {
                    "loc": ["header", "Idempotency-Key"],
                    "msg": "must equal the record's call_id (the call_id is this route's idempotency key)",
                    "type": "value_error",
                }
            ]
        )
    result = await report_finished_call(runtime, record)
    if result.problems:
        return unprocessable(result.problems)
    if result.conflicts:
        return JSONResponse(_recorded_differently(result), status_code=409, media_type=PROBLEM_JSON)
    answer = CallRecorded(call_id=result.call_id, status="accepted" if result.written else "duplicate")
    return rendered(answer, status_code=202 if result.written else 200)


def _recorded_differently(result: Recorded) -> dict[str, Any]:
    """409: the call_id is recorded with another body; the recorded call stands."""
    return problem_document(
        409,
        f"call {result.call_id} is recorded already and differs in: {', '.join(result.conflicts)}. "
        "A call's record is not changed by resending it.",
        type_=PROBLEMS + "call-recorded-differently",
        title="This call_id was recorded with a different body",
        call_id=result.call_id,
        differences=result.conflicts,
    )


BATCH_TOO_LARGE = PROBLEMS + "batch-too-large"


@router.post(
    "/batch",
    response_model=CallBatchRecorded,
    responses={
        403: {"description": "a record names a campaign this partner may not report for; nothing was recorded"},
        413: {"description": "more records than the batch limit (`max_calls`), or a body over the size limit"},
        422: {"description": "not a batch: `calls` missing, empty or not a list"},
    },
)
async def post_finished_calls(
    batch: FinishedCallBatch, caller: Caller, runtime: CallsRuntime = Depends(runtime_of)
) -> CallBatchRecorded | JSONResponse:
    """Report many finished calls in one request (up to the ``BATCH_MAX_CALLS`` setting, 500 by
    default, and within the 1 MiB body limit), each record the shape ``POST /v1/calls`` takes.
    Answered 200 once every record has been dealt with: ``results`` holds one entry per record in
    order, ``accepted`` (its events are stored), ``duplicate`` (already recorded with this very
    body: a batch sent again counts nothing twice) or ``rejected`` with its problem details (an
    invalid field, named from the request's root as ``calls.<index>.<field>``; a call_id an
    earlier record of the batch has; a call_id recorded before with another body, 409). A bad
    record does not hold back the others.

    The batch as a whole: 403 when any record names a campaign the partner may not report for
    (nothing is recorded: a token's campaigns are its integration's configuration, not a
    per-record matter); 413 over the record limit; 422 when it is not ``{"calls": [...]}``; 503
    when the event log did not confirm every write: send the same batch again, the records
    already stored answer ``duplicate``."""
    limit = runtime.settings.batch_max_calls
    if len(batch.calls) > limit:
        return problem_response(
            413,
            f"{len(batch.calls)} records in one batch; at most {limit} are taken: send them in several",
            type_=BATCH_TOO_LARGE,
            title="Batch too large",
            max_calls=limit,
            received=len(batch.calls),
        )
    foreign = sorted({c for c in map(_campaign_of, batch.calls) if c is not None and not _may_report_for(caller, c)})
    if foreign:
        return problem_response(
            403,
            f"this partner may not report calls for campaign {', '.join(foreign)}; nothing in the batch was recorded",
            title="Forbidden",
            campaigns=foreign,
        )
    results: list[BatchCallResult | None] = [None] * len(batch.calls)
    records: list[FinishedCallRecord] = []
    positions: list[int] = []
    first_at: dict[str, int] = {}
    for index, raw in enumerate(batch.calls):
        try:
            record = FinishedCallRecord.model_validate(raw)
        except ValidationError as exc:
            errors = [{**e, "loc": ["body", "calls", index, *e["loc"]]} for e in exc.errors()]
            results[index] = _rejected(index, _call_id_of(raw), invalid_fields_document(errors))
            continue
        if record.call_id in first_at:
            repeated = {
                "loc": ["body", "calls", index, "call_id"],
                "msg": f"record {first_at[record.call_id]} of this batch has this call_id; a batch holds a call once",
                "type": "value_error",
            }
            results[index] = _rejected(index, record.call_id, invalid_fields_document([repeated]))
            continue
        first_at[record.call_id] = index
        records.append(record)
        positions.append(index)
    for index, recorded in zip(positions, await report_finished_calls(runtime, records), strict=True):
        results[index] = _result_of(index, recorded)
    done = [r for r in results if r is not None]
    return CallBatchRecorded(
        accepted=sum(r.status == "accepted" for r in done),
        duplicate=sum(r.status == "duplicate" for r in done),
        rejected=sum(r.status == "rejected" for r in done),
        results=done,
    )


def _campaign_of(raw: object) -> str | None:
    """The campaign a record names, read before the record is validated (so a partner's record
    for another campaign refuses the batch whatever else is wrong with it)."""
    campaign = raw.get("campaign") if isinstance(raw, dict) else None
    found = campaign.get("id") if isinstance(campaign, dict) else None
    return found if isinstance(found, str) else None


def _call_id_of(raw: object) -> str | None:
    found = raw.get("call_id") if isinstance(raw, dict) else None
    return found if isinstance(found, str) and len(found) <= 128 else None


def _rejected(index: int, call_id: str | None, problem: dict[str, Any]) -> BatchCallResult:
    return BatchCallResult(
        index=index, call_id=call_id, status="rejected", problem=ProblemDetails.model_validate(problem)
    )


def _result_of(index: int, recorded: Recorded) -> BatchCallResult:
    if recorded.problems:
        errors = [{**p.as_error(), "loc": ["body", "calls", index, p.field]} for p in recorded.problems]
        missing = [f"calls.{index}.{p.field}" for p in recorded.problems if p.kind == "missing"]
        return _rejected(index, recorded.call_id, invalid_fields_document(errors, missing=missing))
    if recorded.conflicts:
        return _rejected(index, recorded.call_id, _recorded_differently(recorded))
    status: Literal["accepted", "duplicate"] = "accepted" if recorded.written else "duplicate"
    return BatchCallResult(index=index, call_id=recorded.call_id, status=status)


@router.post(
    "/place",
    status_code=201,
    response_model=CallPlacedAnswer,
    response_model_exclude_unset=True,
    responses={
        200: {"model": CallPlacedAnswer, "description": "this call id was placed already; nothing changed"},
        409: {
            "model": DialRefused,
            "description": "refused by the compliance guard: `reason` (machine-readable) and `reasons`",
        },
        422: {"description": "invalid request; the field is named"},
    },
)
async def post_place_call(
    request: PlaceCallRequest, response: Response, runtime: CallsRuntime = Depends(runtime_of)
) -> CallPlacedAnswer | JSONResponse:
    """Ask to dial a lead (or register an inbound call as it starts). Outbound dials pass the
    compliance guard first: do-not-call, ownership, the customer's calling window and holidays,
    attempt caps, the caller number's carrier. A refusal is 409 and a ``CallRefused`` event."""
    outcome = await place_call(runtime, request)
    event = outcome.event
    if outcome.status == "refused":
        assert event is not None and event.event_type == "CallRefused"
        refused = DialRefused(
            call_id=outcome.call_id,
            status="refused",
            reason=outcome.reasons[0],
            reasons=outcome.reasons,
            detail=getattr(event, "detail", None),
        )
        return JSONResponse(refused.model_dump(mode="json"), status_code=409)
    response.status_code = 201 if outcome.status == "placed" else 200
    status: Literal["placed", "duplicate"] = "placed" if outcome.status == "placed" else "duplicate"
    if event is not None and event.event_type == "CallPlaced":
        data = event.to_data()
        return CallPlacedAnswer(
            call_id=outcome.call_id,
            status=status,
            placed_at=data["placed_at"],
            first_contact=data.get("first_contact"),
            contact=data.get("contact"),
            history=data.get("history"),
        )
    return CallPlacedAnswer(call_id=outcome.call_id, status=status)


@router.post(
    "/{call_id}/end",
    response_model=CallEndedAnswer,
    responses={
        200: {"description": "ended (or the same end again)"},
        404: {"model": CallProblem, "description": "no such call"},
        409: {"model": CallProblem, "description": "the call was refused, or already ended differently"},
        422: {"description": "incomplete record; every missing field is named"},
    },
)
async def post_end_call(
    request: EndCallRequest, call_id: str = CallId, runtime: CallsRuntime = Depends(runtime_of)
) -> CallEndedAnswer | JSONResponse:
    """End a placed call: times, ring count, who hung up, disposition, eligibility, callback
    time, notes, recording and transcript. No field left blank (来电登记表 不准丢项漏项)."""
    outcome = await end_call(runtime, call_id, request)
    if outcome.status == "invalid":
        return unprocessable(outcome.problems)
    if outcome.status == "not_found":
        return JSONResponse({"call_id": call_id, "detail": "no such call"}, status_code=404)
    if outcome.status == "refused_call":
        return JSONResponse(
            {
                "call_id": call_id,
                "status": "refused",
                "detail": "the dial was refused; there is no call to end",
            },
            status_code=409,
        )
    if outcome.status == "conflict":
        return JSONResponse(
            {
                "call_id": call_id,
                "status": "conflict",
                "detail": "the call was already ended with a different record",
            },
            status_code=409,
        )
    ended = outcome.event
    assert ended is not None
    return CallEndedAnswer(
        call_id=call_id,
        status=outcome.status,
        disposition=ended.disposition,
        disposition_flags=ended.disposition_flags,
        dropped=ended.dropped,
        slow_answer=ended.slow_answer,
        redial_requested=outcome.redial_requested,
    )


@router.post(
    "/{call_id}/transcript",
    status_code=202,
    response_model=TranscriptAnswer,
    responses={
        200: {"model": TranscriptAnswer, "description": "the same transcript again; nothing changed"},
        404: {"model": CallProblem, "description": "no such call"},
    },
)
async def post_transcript(
    request: TranscriptRequest, response: Response, call_id: str = CallId, runtime: CallsRuntime = Depends(runtime_of)
) -> TranscriptAnswer | JSONResponse:
    """A transcript (turns by speaker with timestamps, hold periods) arriving after the call."""
    outcome = await add_transcript(runtime, call_id, list(request.turns), request.recording_uri)
    if outcome.status == "not_found":
        return JSONResponse({"call_id": call_id, "detail": "no such call"}, status_code=404)
    response.status_code = 202 if outcome.status == "transcribed" else 200
    return TranscriptAnswer(call_id=call_id, status=outcome.status)


@router.get("", response_model=CallPage)
async def get_calls(
    caller: Caller,
    lead_id: str | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
    campaign_id: str | None = None,
    day: date | None = Query(default=None, description="YYYY-MM-DD, centre time"),
    disposition: str | None = None,
    status: str | None = Query(default=None, pattern="^(placed|ended|refused)$"),
    direction: str | None = Query(default=None, pattern="^(outbound|inbound)$"),
    limit: Limit = 50,
    cursor: Cursor = None,
    runtime: CallsRuntime = Depends(runtime_of),
) -> dict[str, Any]:
    """Calls by lead, agent, team, campaign, day, disposition; newest first. Pass the answer's
    ``next_cursor`` as ``cursor`` for the next page. An agent sees its own calls, a supervisor its
    team's, a partner its campaigns' (narrowed in the query)."""
    scope = row_scope(caller)
    agent_in, team_in = scope.narrow(agent_id, scope.agent), scope.narrow(team_id, scope.team)
    if (
        isinstance(agent_in, Nothing)
        or isinstance(team_in, Nothing)
        or (scope.campaigns is not None and campaign_id is not None and campaign_id not in scope.campaigns)
    ):
        return {"items": [], "next_cursor": None}
    filters = {
        "lead_id": lead_id,
        "agent_id": agent_in,
        "team_id": team_in,
        "campaign_id": campaign_id,
        "day": day,
        "disposition": disposition,
        "status": status,
        "direction": direction,
    }
    async with runtime.session_factory() as session:
        rows, next_cursor = await list_calls(
            session, filters=filters, limit=limit, cursor=cursor, campaigns=scope.campaigns
        )
    return {"items": rows, "next_cursor": next_cursor}


@router.get(
    "/{call_id}", response_model=CallDetail, responses={404: {"model": CallProblem, "description": "no such call"}}
)
async def get_one_call(
    caller: Caller, call_id: str = CallId, runtime: CallsRuntime = Depends(runtime_of)
) -> dict[str, Any] | JSONResponse:
    """One call with its transcript (another agent's, team's or partner's call is not found)."""
    async with runtime.session_factory() as session:
        row = await get_call(session, call_id)
    if row is not None and not row_scope(caller).allows(
        agent=row.get("agent_id"), team=row.get("team_id"), campaign=row.get("campaign_id")
    ):
        row = None
    if row is None:
        return JSONResponse({"call_id": call_id, "detail": "no such call"}, status_code=404)
    return row


# --- campaigns --------------------------------------------------------------------------------

CampaignId = Path(pattern=r"^[A-Za-z0-9_\-:.]{1,128}$")


async def _effective(runtime: CallsRuntime, campaign_id: str) -> dict[str, Any]:
    async with runtime.session_factory() as session:
        stored = await campaign_settings(session, campaign_id)
    catalogue = catalogue_of(stored, campaign_id)
    return {
        "campaign_id": campaign_id,
        "version": stored.version,
        "settings": stored.settings.model_dump(mode="json"),
        "catalogue": catalogue.model_dump(mode="json"),
    }


@campaigns.get("/{campaign_id}/settings", response_model=CampaignView)
async def get_campaign_settings(
    campaign_id: str = CampaignId, runtime: CallsRuntime = Depends(runtime_of)
) -> dict[str, Any]:
    """The campaign's effective settings (the defaults until it is configured) and catalogue."""
    return await _effective(runtime, campaign_id)


@campaigns.put(
    "/{campaign_id}/settings",
    response_model=CampaignConfigured,
    responses={
        409: {"model": VersionConflictAnswer, "description": "If-Match is not the current version"},
        422: {"description": "invalid settings; the field is named"},
    },
)
async def put_campaign_settings(
    document: dict[str, Any] = Body(..., description="CampaignSettings; omitted fields take the defaults"),
    campaign_id: str = CampaignId,
    if_match: str | None = Header(default=None),
    changed_by: str | None = Header(default=None, alias="X-Changed-By"),
    runtime: CallsRuntime = Depends(runtime_of),
) -> JSONResponse:
    """Replace the campaign's settings: calling windows, working days and holidays, attempt
    caps, caller carriers, ownership, dropped-call and ring norms, disposition overrides."""
    return await _configure(runtime, campaign_id, document, if_match, changed_by, merge=False)


@campaigns.patch(
    "/{campaign_id}/settings",
    response_model=CampaignConfigured,
    responses={
        409: {"model": VersionConflictAnswer, "description": "If-Match is not the current version"},
        422: {"description": "invalid settings; the field is named"},
    },
)
async def patch_campaign_settings(
    document: dict[str, Any] = Body(...),
    campaign_id: str = CampaignId,
    if_match: str | None = Header(default=None),
    changed_by: str | None = Header(default=None, alias="X-Changed-By"),
    runtime: CallsRuntime = Depends(runtime_of),
) -> JSONResponse:
    """Change some settings, keeping the others (a JSON merge)."""
    return await _configure(runtime, campaign_id, document, if_match, changed_by, merge=True)


@campaigns.get("/{campaign_id}/dispositions", response_model=CampaignCatalogue)
async def get_dispositions(
    campaign_id: str = CampaignId, runtime: CallsRuntime = Depends(runtime_of)
) -> dict[str, Any]:
    """The campaign's disposition catalogue: every outcome with its flags."""
    effective = await _effective(runtime, campaign_id)
    return {"campaign_id": campaign_id, **effective["catalogue"]}


@campaigns.put("/{campaign_id}/dispositions/{code}", response_model=CampaignConfigured)
async def put_disposition(
    definition: Disposition,
    campaign_id: str = CampaignId,
    code: DispositionCode = Path(description="the outcome's code, e.g. site_visit_booked"),
    changed_by: str | None = Header(default=None, alias="X-Changed-By"),
    runtime: CallsRuntime = Depends(runtime_of),
) -> JSONResponse:
    """Add or redefine one outcome for this campaign (no code change: the flags carry its
    meaning for reports). ``retired: true`` withdraws an outcome."""
    patch = {"dispositions": {code: definition.model_dump(mode="json")}}
    return await _configure(runtime, campaign_id, patch, None, changed_by, merge=True)


async def _configure(
    runtime: CallsRuntime,
    campaign_id: str,
    document: dict[str, Any],
    if_match: str | None,
    changed_by: str | None,
    *,
    merge: bool,
) -> JSONResponse:
    expected: int | None = None
    if if_match:
        try:
            expected = int(if_match.strip('"W/ '))
        except ValueError:
            return invalid_fields(
                [{"loc": ["header", "if-match"], "msg": "not a version number", "type": "value_error"}]
            )
    try:
        version, settings = await configure_campaign(
            runtime, campaign_id, document, expected_version=expected, changed_by=changed_by, merge=merge
        )
    except ValidationError as exc:
        return _pydantic_422(exc)
    except VersionConflict as exc:
        return JSONResponse({"campaign_id": campaign_id, "detail": str(exc), "version": exc.current}, status_code=409)
    configured = CampaignConfigured(
        campaign_id=campaign_id, version=version, settings=CampaignSettings.model_validate(settings)
    )
    return JSONResponse(configured.model_dump(mode="json"), headers={"ETag": f'"{version}"'})


__all__ = ["Identifier", "campaigns", "router"]
