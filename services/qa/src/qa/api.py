"""HTTP API of the QA service (reached through the gateway: ``/v1/violations``, ``/v1/qa``,
``/v1/complaints``). Errors name the field at fault: ``{"detail": [{"loc": [...], "msg": ...}]}``
with 404 (unknown resource), 409 (conflicting state) or 422 (invalid input)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from common.service import Runtime, runtime_of
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from qa import handlers, queries
from qa.domain.review import ReviewError

Rt = Annotated[Runtime, Depends(runtime_of)]


def _error(exc: ReviewError, where: str = "body") -> HTTPException:
    loc = ["path" if exc.field in ("violation_id", "call_id", "complaint_id") and exc.status == 404 else where]
    if exc.field:
        loc.append(exc.field)
    return HTTPException(exc.status, [{"loc": loc, "msg": exc.message, "type": f"http_{exc.status}"}])


def _not_found(field: str, value: str) -> HTTPException:
    return HTTPException(
        404, [{"loc": ["path", field], "msg": f"no {field.removesuffix('_id')} {value}", "type": "http_404"}]
    )


class ReviewIn(BaseModel):
    reviewer: str = Field(min_length=1, max_length=128, description="the inspector's id")
    comment: str | None = Field(default=None, max_length=4000, description="required to dismiss")


class ComplaintIn(BaseModel):
    call_id: str = Field(min_length=1, max_length=128)
    kind: str = Field(description="mismatch | unconsented_activation | not_handled_in_time | unsatisfactory")
    description: str | None = Field(default=None, max_length=4000)
    filed_by: str | None = Field(default=None, max_length=128)
    complaint_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="the client's id, makes a retry safe"
    )


class AgentIn(BaseModel):
    started_on: date = Field(description="the agent's first day; new agents are sampled at a higher share")


violations = APIRouter(prefix="/v1/violations", tags=["qa"])
qa = APIRouter(prefix="/v1/qa", tags=["qa"])
complaints = APIRouter(prefix="/v1/complaints", tags=["qa"])

Status = Literal["open", "confirmed", "dismissed"]


@violations.get("")
async def get_violations(
    runtime: Rt,
    agent_id: str | None = None,
    team_id: str | None = None,
    rule: str | None = None,
    status: Status | None = None,
    call_id: str | None = None,
    day: Annotated[date | None, Query(alias="date", description="the call's day (policy timezone)")] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Findings by agent, team, rule, status and day, newest first, with counts per status."""
    flt = queries.ViolationFilter(
        agent_id=agent_id,
        team_id=team_id,
        rule=rule,
        status=status,
        call_id=call_id,
        day=day,
        date_from=date_from,
        date_to=date_to,
    )
    async with runtime.session_factory() as session:
        items, total, by_status = await queries.list_violations(session, flt, limit=limit, offset=offset)
    return {"items": items, "total": total, "by_status": by_status, "limit": limit, "offset": offset}


@violations.get("/{violation_id}")
async def get_violation(violation_id: str, runtime: Rt) -> dict[str, Any]:
    """One finding with its evidence highlighted in the turn's text (【…】)."""
    async with runtime.session_factory() as session:
        found = await queries.get_violation(session, violation_id)
    if found is None:
        raise _not_found("violation_id", violation_id)
    return found


@violations.post("/{violation_id}/confirm")
async def confirm(violation_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Uphold the finding: ``ViolationConfirmed`` and its fines (``FineAssessed``); for QA-11/QA-12
    on a sale, ``SaleVoided`` and ``ReworkCallbackRequested``. Repeating it is harmless; 409 if
    the finding was already decided otherwise."""
    try:
        return await handlers.review(runtime, violation_id, "confirm", reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@violations.post("/{violation_id}/dismiss")
async def dismiss(violation_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Reject the finding (a comment saying why is required): ``ViolationDismissed``, no fine."""
    try:
        return await handlers.review(runtime, violation_id, "dismiss", reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@qa.get("/calls/{call_id}")
async def get_call(call_id: str, runtime: Rt) -> dict[str, Any]:
    """A call's findings with the evidence highlighted, its review and its complaints."""
    async with runtime.session_factory() as session:
        found = await queries.call_findings(session, call_id)
    if found is None:
        raise _not_found("call_id", call_id)
    return found


@qa.get("/review-queue")
async def get_review_queue(
    runtime: Rt,
    status: Literal["pending", "done"] | None = "pending",
    agent_id: str | None = None,
    team_id: str | None = None,
    day: Annotated[date | None, Query(alias="date")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Calls to review: random samples (抽查), every call with a finding, every complaint."""
    async with runtime.session_factory() as session:
        items, total = await queries.review_queue(
            session, status=status, agent_id=agent_id, team_id=team_id, day=day, limit=limit, offset=offset
        )
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@qa.post("/review-queue/{call_id}/complete")
async def complete(call_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Mark a queued call as reviewed (409 while any of its findings is still open)."""
    try:
        return await handlers.complete_review(runtime, call_id, reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@qa.get("/fines")
async def get_fines(
    runtime: Rt, payee_id: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any]:
    """Confirmed fines and complaint deductions summed per payee (agent, supervisor, team)."""
    async with runtime.session_factory() as session:
        rows = await queries.fines_summary(session, payee_id=payee_id, date_from=date_from, date_to=date_to)
    return {"items": rows}


@qa.put("/agents/{agent_id}")
async def put_agent(agent_id: str, body: AgentIn, runtime: Rt) -> dict[str, Any]:
    """Set the agent's start date (agents in their first weeks are sampled at a higher share)."""
    return await handlers.set_agent_start(runtime, agent_id, body.started_on)


@qa.get("/policy")
async def get_policy(runtime: Rt) -> dict[str, Any]:
    """The rule catalogue in force: version, rules with severity and fines, sampling, complaint kinds."""
    policy = handlers.policy_of(runtime)
    return {
        "version": policy.version,
        "timezone": policy.timezone,
        "rules": {
            rid: {
                "title": r.title,
                "severity": r.severity,
                "fine_agent": r.fine_agent,
                "fine_supervisor": r.fine_supervisor,
                "penalty": r.penalty,
                "enabled": r.enabled,
                "campaigns": r.campaigns,
                "voids_sale": bool(r.params.get("voids_sale", False)),
            }
            for rid, r in policy.rules.items()
        },
        "sampling": policy.sampling.model_dump(),
        "complaints": {k: v.model_dump() for k, v in policy.complaints.items()},
    }


@complaints.post("", status_code=201)
async def post_complaint(body: ComplaintIn, runtime: Rt) -> JSONResponse:
    """File a complaint about a call: ``ComplaintFiled`` and a QA-05 finding carrying the
    complaint deduction (assessed when a reviewer confirms it)."""
    try:
        result = await handlers.file_complaint(
            runtime,
            call_id=body.call_id,
            kind=body.kind,
            description=body.description,
            filed_by=body.filed_by,
            complaint_id=body.complaint_id,
        )
    except ReviewError as exc:
        raise _error(exc) from None
    return JSONResponse(queries._plain(result.complaint), status_code=201 if result.created else 200)


@complaints.get("/{complaint_id}")
async def get_complaint(complaint_id: str, runtime: Rt) -> dict[str, Any]:
    async with runtime.session_factory() as session:
        found = await queries.get_complaint(session, complaint_id)
    if found is None:
        raise _not_found("complaint_id", complaint_id)
    return found


routers = [violations, qa, complaints]
