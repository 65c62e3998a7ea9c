"""HTTP API of the QA service (reached through the gateway: ``/v1/violations``, ``/v1/qa``,
``/v1/complaints``). Errors name the field at fault: ``{"detail": [{"loc": [...], "msg": ...}]}``
with 404 (unknown resource), 409 (conflicting state) or 422 (invalid input)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from common.identity import Caller, Nothing, row_scope
from common.pagination import Cursor, Limit, next_offset_cursor, offset_of
from common.service import runtime_of
from fastapi import APIRouter, Depends, HTTPException, Query, Response

from qa import handlers, queries
from qa.context import QaRuntime
from qa.domain.review import ReviewError
from qa.schemas import (
    AgentIn,
    AgentStart,
    CallFindings,
    Complaint,
    ComplaintIn,
    Fines,
    PolicySummary,
    ReviewIn,
    ReviewItem,
    ReviewQueuePage,
    Violation,
    ViolationDetail,
    ViolationPage,
)

Rt = Annotated[QaRuntime, Depends(runtime_of)]


def _error(exc: ReviewError, where: str = "body") -> HTTPException:
    loc = ["path" if exc.field in ("violation_id", "call_id", "complaint_id") and exc.status == 404 else where]
    if exc.field:
        loc.append(exc.field)
    return HTTPException(exc.status, [{"loc": loc, "msg": exc.message, "type": f"http_{exc.status}"}])


def _not_found(field: str, value: str) -> HTTPException:
    return HTTPException(
        404, [{"loc": ["path", field], "msg": f"no {field.removesuffix('_id')} {value}", "type": "http_404"}]
    )


violations = APIRouter(prefix="/v1/violations", tags=["qa"])
qa = APIRouter(prefix="/v1/qa", tags=["qa"])
complaints = APIRouter(prefix="/v1/complaints", tags=["qa"])

Status = Literal["open", "confirmed", "dismissed"]


@violations.get("", response_model=ViolationPage)
async def get_violations(
    runtime: Rt,
    caller: Caller,
    agent_id: str | None = None,
    team_id: str | None = None,
    rule: str | None = None,
    status: Status | None = None,
    call_id: str | None = None,
    day: Annotated[date | None, Query(alias="date", description="the call's day (policy timezone)")] = None,
    date_from: date | None = None,
    date_to: date | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Findings by agent, team, rule, status and day, newest first, with counts per status. A
    supervisor sees its team's (narrowed in the query)."""
    scope = row_scope(caller)
    agent_in, team_in = scope.narrow(agent_id, scope.agent), scope.narrow(team_id, scope.team)
    if isinstance(agent_in, Nothing) or isinstance(team_in, Nothing):
        return {"items": [], "next_cursor": None, "total": 0, "by_status": {}}
    offset = offset_of("violations", cursor)
    flt = queries.ViolationFilter(
        agent_id=agent_in,
        team_id=team_in,
        rule=rule,
        status=status,
        call_id=call_id,
        day=day,
        date_from=date_from,
        date_to=date_to,
    )
    async with runtime.session_factory() as session:
        items, total, by_status = await queries.list_violations(session, flt, limit=limit, offset=offset)
    following = next_offset_cursor("violations", offset, len(items), total)
    return {"items": items, "next_cursor": following, "total": total, "by_status": by_status}


@violations.get("/{violation_id}", response_model=ViolationDetail)
async def get_violation(violation_id: str, runtime: Rt) -> dict[str, Any]:
    """One finding with its evidence highlighted in the turn's text (【…】)."""
    async with runtime.session_factory() as session:
        found = await queries.get_violation(session, violation_id)
    if found is None:
        raise _not_found("violation_id", violation_id)
    return found


@violations.post("/{violation_id}/confirm", response_model=Violation)
async def confirm(violation_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Uphold the finding: ``ViolationConfirmed`` and its fines (``FineAssessed``); for QA-11/QA-12
    on a sale, ``SaleVoided`` and ``ReworkCallbackRequested``. Repeating it is harmless; 409 if
    the finding was already decided otherwise."""
    try:
        return await handlers.review(runtime, violation_id, "confirm", reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@violations.post("/{violation_id}/dismiss", response_model=Violation)
async def dismiss(violation_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Reject the finding (a comment saying why is required): ``ViolationDismissed``, no fine."""
    try:
        return await handlers.review(runtime, violation_id, "dismiss", reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@qa.get("/calls/{call_id}", response_model=CallFindings)
async def get_call(call_id: str, runtime: Rt) -> dict[str, Any]:
    """A call's findings with the evidence highlighted, its review and its complaints."""
    async with runtime.session_factory() as session:
        found = await queries.call_findings(session, call_id)
    if found is None:
        raise _not_found("call_id", call_id)
    return found


@qa.get("/review-queue", response_model=ReviewQueuePage)
async def get_review_queue(
    runtime: Rt,
    status: Literal["pending", "done"] | None = "pending",
    agent_id: str | None = None,
    team_id: str | None = None,
    day: Annotated[date | None, Query(alias="date")] = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Calls to review: random samples (抽查), every call with a finding, every complaint."""
    offset = offset_of("review-queue", cursor)
    async with runtime.session_factory() as session:
        items, total = await queries.review_queue(
            session, status=status, agent_id=agent_id, team_id=team_id, day=day, limit=limit, offset=offset
        )
    return {
        "items": items,
        "next_cursor": next_offset_cursor("review-queue", offset, len(items), total),
        "total": total,
    }


@qa.post("/review-queue/{call_id}/complete", response_model=ReviewItem)
async def complete(call_id: str, body: ReviewIn, runtime: Rt) -> dict[str, Any]:
    """Mark a queued call as reviewed (409 while any of its findings is still open)."""
    try:
        return await handlers.complete_review(runtime, call_id, reviewer=body.reviewer, comment=body.comment)
    except ReviewError as exc:
        raise _error(exc) from None


@qa.get("/fines", response_model=Fines)
async def get_fines(
    runtime: Rt, payee_id: str | None = None, date_from: date | None = None, date_to: date | None = None
) -> dict[str, Any]:
    """Confirmed fines and complaint deductions summed per payee (agent, supervisor, team)."""
    async with runtime.session_factory() as session:
        rows = await queries.fines_summary(session, payee_id=payee_id, date_from=date_from, date_to=date_to)
    return {"items": rows}


@qa.put("/agents/{agent_id}", response_model=AgentStart)
async def put_agent(agent_id: str, body: AgentIn, runtime: Rt) -> dict[str, Any]:
    """Set the agent's start date (agents in their first weeks are sampled at a higher share)."""
    return await handlers.set_agent_start(runtime, agent_id, body.started_on)


@qa.get("/policy")
async def get_policy(runtime: Rt) -> PolicySummary:
    """The rule catalogue in force: version, rules with severity and fines, sampling, complaint kinds."""
    return PolicySummary.of(runtime.context.policy)


@complaints.post(
    "",
    status_code=201,
    response_model=Complaint,
    responses={200: {"model": Complaint, "description": "this complaint_id was filed already"}},
)
async def post_complaint(body: ComplaintIn, runtime: Rt, response: Response) -> dict[str, Any]:
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
    response.status_code = 201 if result.created else 200
    return result.complaint


@complaints.get("/{complaint_id}", response_model=Complaint)
async def get_complaint(complaint_id: str, runtime: Rt) -> dict[str, Any]:
    async with runtime.session_factory() as session:
        found = await queries.get_complaint(session, complaint_id)
    if found is None:
        raise _not_found("complaint_id", complaint_id)
    return found


routers = [violations, qa, complaints]
