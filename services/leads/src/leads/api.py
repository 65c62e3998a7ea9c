"""HTTP API of the leads service (reached through the gateway: /v1/leads…, /v1/dnc…).

Errors are problem details (common.problems): 422 names each field (``errors[].loc``), 404 an unknown lead, 409 a
refused claim with the owner named (``owner_agent_id``)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from common.identity import Caller, Identity, Nothing, row_scope
from common.pagination import Cursor, Limit, decode_cursor, encode_cursor, next_offset_cursor, offset_of
from common.privacy import mask_name
from common.service import runtime_for
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, Response, UploadFile
from pydantic import AwareDatetime

from leads.audit import PersonalDataRead, audit_page, record_reads
from leads.context import LeadsRuntime
from leads.domain.importing import DraftNumber, RowRejected, normalise_name
from leads.domain.lead import (
    InvalidCommand,
    LeadError,
    LeadMergedAway,
    LeadNotFound,
    OwnershipConflict,
)
from leads.domain.outcomes import IntentTier
from leads.domain.phones import InvalidNumber, NormalisedNumber, normalise
from leads.handlers import (
    LeadsContext,
    add_dnc_number,
    assign_lead,
    create_or_merge,
    delete_lead,
    erase_personal_data,
    lift_opt_out,
    merge_leads,
    opt_out_lead,
    remove_dnc_entry,
    update_lead,
)
from leads.importer import FileRejected, Importer, RetryRefused, import_dnc_file
from leads.queries import (
    LeadFilter,
    flagged_leads,
    import_rows,
    import_status,
    lead_detail,
    list_dnc,
    list_leads,
    stale_leads,
)
from leads.schemas import (
    AssignIn,
    AuditPage,
    DncAdded,
    DncImported,
    DncIn,
    DncPage,
    DncRemoved,
    FlaggedLeadPage,
    ImportJob,
    ImportQueued,
    LeadChanged,
    LeadCreated,
    LeadDeleted,
    LeadDetail,
    LeadIn,
    LeadPage,
    LeadPatch,
    LeadState,
    MergeIn,
    OptOutIn,
    PersonalDataErased,
    PhoneIn,
    StaleLeadPage,
)
from leads.settings import LeadsSettings

router = APIRouter(tags=["leads"])


# --- plumbing ----------------------------------------------------------------------------------


async def context(request: Request) -> LeadsContext:
    runtime: LeadsRuntime = runtime_for(request)
    return runtime.context.handlers


Ctx = Annotated[LeadsContext, Depends(context)]


def importer_of(request: Request) -> Importer:
    runtime: LeadsRuntime = runtime_for(request)
    return runtime.context.importer


def field_error(loc: list[str | int], msg: str, status: int = 422) -> HTTPException:
    return HTTPException(status, [{"loc": ["body", *loc], "msg": msg, "type": "value_error"}])


def lead_error(exc: LeadError, *, body_field: str | None = None) -> HTTPException:
    if isinstance(exc, OwnershipConflict):
        return HTTPException(
            409,
            {
                "message": str(exc),
                "lead_id": exc.lead_id,
                "owner_agent_id": exc.owner_agent_id,
                "owner_team_id": exc.owner_team_id,
            },
        )
    if isinstance(exc, LeadMergedAway):
        return HTTPException(409, {"message": str(exc), "lead_id": exc.lead_id, "merged_into": exc.into_lead_id})
    if isinstance(exc, LeadNotFound):
        return HTTPException(404, f"unknown lead {exc}")
    if isinstance(exc, InvalidCommand):
        return field_error([exc.field], exc.message)
    return HTTPException(400, str(exc))


def settings_of(ctx: LeadsContext) -> LeadsSettings:
    return ctx.settings


def now() -> datetime:
    return datetime.now(UTC)


def _expiry(settings: LeadsSettings, permanent: bool, until: datetime | None, rest_days: int | None) -> datetime | None:
    """Permanent, or until a time: given, or ``rest_days`` (default: the configured rest)."""
    if until is not None:
        if until <= now():
            raise field_error(["until"], "must lie in the future")
        return until
    if rest_days is not None:
        return now() + timedelta(days=rest_days)
    if permanent:
        return None
    return now() + timedelta(days=settings.rest_days)


def _numbers(phones: list[PhoneIn | str], settings: LeadsSettings, field_name: str) -> list[DraftNumber]:
    out: list[DraftNumber] = []
    seen: set[str] = set()
    for index, phone in enumerate(phones):
        item = phone if isinstance(phone, PhoneIn) else PhoneIn(number=phone)
        try:
            number = normalise(item.number, settings.default_region, settings.default_timezone)
        except InvalidNumber as exc:
            raise field_error([field_name, index], str(exc)) from None
        if number.e164 in seen:
            continue
        seen.add(number.e164)
        out.append(DraftNumber(number, item.kind or ("mobile" if number.is_mobile else "office")))
    return out


def _name(raw: str) -> str:
    try:
        return normalise_name(raw)
    except RowRejected as exc:
        raise field_error(["name"], str(exc)) from None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _check_timezone(value: str | None) -> None:
    if value is None:
        return
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise field_error(["timezone"], f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)") from None


# --- leads -------------------------------------------------------------------------------------


@router.post(
    "/v1/leads",
    status_code=201,
    response_model=LeadCreated,
    responses={
        200: {"model": LeadCreated, "description": "the same person was known already: merged (or nothing new)"},
        409: {"description": "the person is known and owned by another agent (owner named)"},
        422: {"description": "invalid input; the field is named"},
    },
)
async def create_lead(body: LeadIn, ctx: Ctx, response: Response) -> LeadCreated:
    """Create a lead. The same person again (same mobile number, or same landline and name)
    is merged into the existing lead, not duplicated."""
    _check_timezone(body.timezone)
    draft = body.draft(_name(body.name), _numbers(body.phones, settings_of(ctx), "phones"))
    try:
        outcome = await create_or_merge(ctx, draft, strict_owner=True)
    except LeadError as exc:
        raise lead_error(exc) from None
    response.status_code = 201 if outcome.status == "created" else 200
    return LeadCreated(status=outcome.status, reason=outcome.reason, **LeadState.fields_of(outcome.state, now()))


@router.get("/v1/leads", response_model=LeadPage)
async def get_leads(
    ctx: Ctx,
    caller: Caller,
    request: Request,
    owner: str | None = Query(default=None, description="owner agent id"),
    team: str | None = None,
    unowned: bool | None = Query(default=None, description="true: only leads in the team pool"),
    tier: IntentTier | None = None,
    region: str | None = None,
    industry: str | None = None,
    source: str | None = None,
    tag: str | None = None,
    dnc: bool | None = Query(default=None, description="on the do-not-call list now (lead or one of its numbers)"),
    flagged: bool | None = None,
    contacted_before: AwareDatetime | None = None,
    contacted_after: AwareDatetime | None = None,
    never_contacted: bool | None = None,
    q: str | None = Query(default=None, max_length=100, description="part of the name"),
    status: Literal["active", "merged", "deleted"] = "active",
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Leads, filtered and paged, newest first: an agent's own, a supervisor's team's. Names are
    masked unless the caller holds the ``pii:read`` grant."""
    scope = row_scope(caller)
    owner_in, team_in = scope.narrow(owner, scope.agent), scope.narrow(team, scope.team)
    if isinstance(owner_in, Nothing) or isinstance(team_in, Nothing):
        return _page("leads", [], 0, 0)
    f = LeadFilter(
        owner_agent_id=owner_in,
        owner_team_id=team_in,
        unowned=unowned,
        tier=tier,
        region=region,
        industry=industry,
        source=source,
        tag=tag,
        dnc=dnc,
        flagged=flagged,
        contacted_before=contacted_before,
        contacted_after=contacted_after,
        never_contacted=never_contacted,
        q=q,
        status=status,
    )
    offset = offset_of("leads", cursor)
    async with ctx.sessions() as session:
        items, total = await list_leads(session, f, now=now(), limit=limit, offset=offset)
    await _shown(ctx, caller, request, items)
    return _page("leads", items, total, offset)


def _client_of(request: Request) -> str | None:
    """Where the read came from: the gateway's X-Forwarded-For (the partner's address)."""
    forwarded = request.headers.get("x-forwarded-for")
    return forwarded or (request.client.host if request.client else None)


async def _shown(ctx: LeadsContext, caller: Identity, request: Request, leads: list[dict[str, Any]]) -> None:
    """Personal data as the caller may see it: masked (the number's ``masked`` form stays, the
    raw ``e164`` goes), or in clear with every such read written to the audit log."""
    if not caller.may_read_pii:
        for item in leads:
            item["name"] = mask_name(item.get("name"))
            for number in item.get("numbers") or []:
                if "e164" in number:
                    number["e164"] = None
        return
    read = [item for item in leads if item.get("name") or any(n.get("e164") for n in item.get("numbers") or [])]
    if read:
        async with ctx.sessions() as session, session.begin():
            await record_reads(
                session,
                [
                    PersonalDataRead(
                        subject=caller.subject,
                        roles=sorted(caller.roles),
                        lead_id=item["lead_id"],
                        fields=["name", *(["numbers"] if any(n.get("e164") for n in item["numbers"]) else [])],
                        path=request.url.path,
                        client=_client_of(request),
                    )
                    for item in read
                ],
                at=now(),
            )


def _page(scope: str, items: list[dict[str, Any]], total: int, offset: int) -> dict[str, Any]:
    """A page of an offset-paged list (common.pagination), with the total of all pages."""
    return {"items": items, "next_cursor": next_offset_cursor(scope, offset, len(items), total), "total": total}


@router.get("/v1/leads/stale", response_model=StaleLeadPage)
async def get_stale_leads(
    ctx: Ctx,
    caller: Caller,
    request: Request,
    days: int | None = Query(default=None, ge=1, le=3650, description="default: the configured stale_after_days"),
    owner: str | None = None,
    team: str | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Leads nobody has reached for ``days``: to be called, or cleaned up."""
    n = days or settings_of(ctx).stale_after_days
    scope = row_scope(caller)
    owner_in, team_in = scope.narrow(owner, scope.agent), scope.narrow(team, scope.team)
    if isinstance(owner_in, Nothing) or isinstance(team_in, Nothing):
        return {**_page("stale-leads", [], 0, 0), "days": n}
    offset = offset_of("stale-leads", cursor)
    async with ctx.sessions() as session:
        items, total = await stale_leads(
            session,
            now=now(),
            days=n,
            limit=limit,
            offset=offset,
            f=LeadFilter(owner_agent_id=owner_in, owner_team_id=team_in),
        )
    await _shown(ctx, caller, request, items)
    return {**_page("stale-leads", items, total, offset), "days": n}


@router.get("/v1/leads/flagged", response_model=FlaggedLeadPage)
async def get_flagged_leads(
    ctx: Ctx,
    caller: Caller,
    request: Request,
    flag: Literal["wrong_person", "invalid_number", "ownership_conflict", "stale"] | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Leads flagged for clean-up (wrong person, invalid number, ownership conflict)."""
    scope = row_scope(caller)
    offset = offset_of("flagged-leads", cursor)
    f = LeadFilter(owner_agent_id=scope.agent, owner_team_id=scope.team)
    async with ctx.sessions() as session:
        items, total = await flagged_leads(session, now=now(), flag=flag, limit=limit, offset=offset, f=f)
    await _shown(ctx, caller, request, items)
    return _page("flagged-leads", items, total, offset)


# --- import ------------------------------------------------------------------------------------


@router.post("/v1/leads/import", status_code=202, response_model=ImportQueued)
async def post_import(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX")],
    source: str | None = Form(default=None, max_length=128, description="source of rows that do not say"),
    owner_agent_id: str | None = Form(default=None, max_length=128),
    owner_team_id: str | None = Form(default=None, max_length=128),
    default_region: str | None = Form(default=None, min_length=2, max_length=2),
) -> ImportQueued:
    """Upload a file of leads; it is imported in the background. Follow its progress and the
    result of every row at ``GET /v1/leads/import/{import_id}``."""
    importer = importer_of(request)
    options = {
        "source": source,
        "owner_agent_id": owner_agent_id,
        "owner_team_id": owner_team_id,
        "default_region": default_region.upper() if default_region else None,
    }
    try:
        import_id = await importer.create_job(file, file.filename, options)
    except ValueError as exc:
        raise field_error(["file"], str(exc), status=413 if "larger" in str(exc) else 422) from None
    return ImportQueued(import_id=import_id, status="queued", status_url=f"/v1/leads/import/{import_id}")


@router.get("/v1/leads/import/{import_id}", response_model=ImportJob, response_model_exclude_unset=True)
async def get_import(
    import_id: str,
    ctx: Ctx,
    rows: Literal["created", "merged", "duplicate", "rejected", "all"] | None = Query(
        default=None, description="include the per-row results of this status"
    ),
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Progress, counts, and (with ``rows=``) the per-row results, paged."""
    offset = offset_of("import-rows", cursor)
    async with ctx.sessions() as session:
        job = await import_status(session, import_id)
        if job is None:
            raise HTTPException(404, f"unknown import {import_id}")
        if rows is not None:
            items, total = await import_rows(
                session, import_id, status=None if rows == "all" else rows, limit=limit, offset=offset
            )
            job["rows"] = _page("import-rows", items, total, offset)
    return job


@router.post("/v1/leads/import/{import_id}/retry", status_code=202, response_model=ImportQueued)
async def retry_import(import_id: str, request: Request) -> ImportQueued:
    """Go on with a failed import from where it stopped (rows done stay done)."""
    try:
        await importer_of(request).retry(import_id)
    except LookupError:
        raise HTTPException(404, f"unknown import {import_id}") from None
    except RetryRefused as exc:
        raise HTTPException(409, str(exc)) from None
    return ImportQueued(import_id=import_id, status="queued")


# --- one lead ----------------------------------------------------------------------------------


@router.get("/v1/leads/{lead_id}", response_model=LeadDetail, responses={404: {"description": "unknown lead"}})
async def get_lead(lead_id: str, ctx: Ctx, caller: Caller, request: Request) -> dict[str, Any]:
    """One lead with its numbers (raw, to dial, with the ``pii:read`` grant; masked otherwise),
    tier history, assignments, flags and calls. Another agent's or team's lead is not found."""
    async with ctx.sessions() as session:
        detail = await lead_detail(session, lead_id, now=now())
    if (
        detail is None
        or detail["status"] == "deleted"
        or not row_scope(caller).allows(agent=detail["owner_agent_id"], team=detail["owner_team_id"])
    ):
        raise HTTPException(404, f"unknown lead {lead_id}")
    await _shown(ctx, caller, request, [detail])
    return detail


@router.patch("/v1/leads/{lead_id}")
async def patch_lead(lead_id: str, body: LeadPatch, ctx: Ctx) -> LeadChanged:
    """Edit: given profile fields replace the current ones; numbers are added or removed; the
    name corrected. A corrected name or number resolves the matching clean-up flags."""
    _check_timezone(body.timezone)
    try:
        outcome = await update_lead(
            ctx,
            lead_id,
            name=None if body.name is None else _name(body.name),
            numbers=_numbers(body.add_phones, settings_of(ctx), "add_phones"),
            remove_number_ids=body.remove_number_ids,
            profile_fields=body.profile_fields(),
        )
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadChanged.of(outcome.status, outcome.state, now())


@router.delete("/v1/leads/{lead_id}")
async def remove_lead(
    lead_id: str,
    ctx: Ctx,
    reason: str = Query(default="erased on request", max_length=500),
) -> LeadDeleted:
    """Erase a lead: its personal data is deleted; ``LeadDeleted`` tells every service."""
    try:
        outcome = await delete_lead(ctx, lead_id, reason=reason)
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadDeleted(lead_id=lead_id, status=outcome.status)


@router.delete(
    "/v1/leads/{lead_id}/personal-data",
    status_code=202,
    response_model=PersonalDataErased,
    responses={
        200: {"description": "erased before: nothing left to do", "model": PersonalDataErased},
        404: {"description": "unknown lead"},
    },
)
async def erase_lead_personal_data(lead_id: str, ctx: Ctx, response: Response) -> PersonalDataErased:
    """Erase the lead's personal data (PIPL/GDPR right to erasure) by destroying its data key:
    its name, numbers and what was said on its calls become unreadable in every event of the log
    and every replay; ``LeadPersonalDataErased`` (ids only) has every service scrub its copies.
    The lead, its calls and every figure stay. 202: accepted (the other services follow within
    seconds); 200: erased already."""
    try:
        outcome = await erase_personal_data(ctx, lead_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    if outcome.status != "erased":
        response.status_code = 200
    return PersonalDataErased(lead_id=lead_id, status=outcome.status)


@router.post(
    "/v1/leads/{lead_id}/assign",
    responses={
        409: {"description": "owned by another agent: the owner is named"},
        404: {"description": "unknown"},
    },
)
async def post_assign(lead_id: str, body: AssignIn, ctx: Ctx) -> LeadChanged:
    """claim (an agent takes an unowned lead), assign (a supervisor gives an unowned lead),
    reassign (a supervisor moves an owned lead), release (back to the team pool). Claiming or
    assigning a lead another agent owns is refused (409) with the owner named."""
    try:
        outcome = await assign_lead(ctx, lead_id, body.action, agent_id=body.agent_id, team_id=body.team_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadChanged.of(outcome.status, outcome.state, now())


@router.post("/v1/leads/{lead_id}/merge")
async def post_merge(lead_id: str, body: MergeIn, ctx: Ctx) -> LeadChanged:
    """The lead in the body is the same person as this one: merge it into this one."""
    try:
        outcome = await merge_leads(ctx, lead_id, body.lead_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadChanged.of(outcome.status, outcome.state, now())


@router.post("/v1/leads/{lead_id}/opt-out")
async def post_opt_out(lead_id: str, body: OptOutIn, ctx: Ctx) -> LeadChanged:
    """Do not call this lead (or one number of it) again: permanently, until a time, or for a
    rest of ``rest_days`` (``permanent: false`` alone: the configured rest, 30 days).
    ``LeadOptedOut`` tells every service at once."""
    until = _expiry(settings_of(ctx), body.permanent, body.until, body.rest_days)
    try:
        outcome = await opt_out_lead(
            ctx, lead_id, reason=body.reason, source=body.source, until=until, number_id=body.number_id
        )
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadChanged.of(outcome.status, outcome.state, now())


@router.delete("/v1/leads/{lead_id}/opt-out")
async def delete_opt_out(
    lead_id: str,
    ctx: Ctx,
    number_id: str | None = None,
    reason: str = Query(default="lifted", max_length=500),
) -> LeadChanged:
    """Lift an opt-out (the customer asked to be called again)."""
    try:
        outcome = await lift_opt_out(ctx, lead_id, reason=reason, number_id=number_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return LeadChanged.of(outcome.status, outcome.state, now())


# --- the do-not-call list ----------------------------------------------------------------------


@router.get("/v1/dnc", tags=["dnc"], response_model=DncPage)
async def get_dnc(
    ctx: Ctx,
    active: bool | None = Query(default=True, description="only entries in force now (false: only past ones)"),
    source: str | None = None,
    kind: Literal["number", "lead"] | None = Query(default=None, description="a listed number or a lead's opt-out"),
    limit: Limit = 100,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """The do-not-call list: numbers listed directly and leads' opt-outs, numbers masked."""
    offset = offset_of("dnc", cursor)
    async with ctx.sessions() as session:
        items, total = await list_dnc(
            session, now=now(), active=active, source=source, kind=kind, limit=limit, offset=offset
        )
    return _page("dnc", items, total, offset)


@router.post("/v1/dnc", tags=["dnc"], status_code=201)
async def post_dnc(body: DncIn, ctx: Ctx) -> DncAdded:
    """Add numbers to the do-not-call list (a regulator's or the company's list), permanently
    or until a time; every lead holding one of them is opted out for that number."""
    until = _expiry(settings_of(ctx), body.permanent, body.until, body.rest_days)
    settings = settings_of(ctx)
    parsed: list[NormalisedNumber] = []
    for index, raw in enumerate(body.numbers):
        try:
            parsed.append(normalise(raw, settings.default_region, settings.default_timezone))
        except InvalidNumber as exc:
            raise field_error(["numbers", index], str(exc)) from None
    entries = [
        await add_dnc_number(ctx, number, source=body.source, reason=body.reason, until=until) for number in parsed
    ]
    return DncAdded.model_validate(
        {"until": _iso(until), "permanent": until is None, "entries": [vars(e) for e in entries]}
    )


@router.post("/v1/dnc/import", tags=["dnc"], status_code=201)
async def post_dnc_import(
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a phone column (电话/手机/phone) or one column")],
    source: Literal["regulator_list", "company_list", "manual"] = Form(default="regulator_list"),
    reason: str = Form(default="on the do-not-call list", max_length=500),
    permanent: bool = Form(default=True),
    rest_days: int | None = Form(default=None, ge=1, le=3650),
) -> DncImported:
    """Add a list file of numbers to the do-not-call list; bad numbers are reported by row."""
    until = _expiry(settings_of(ctx), permanent, None, rest_days)
    try:
        result = await import_dnc_file(ctx, file, source=source, reason=reason, until=until)
    except FileRejected as exc:
        raise field_error(["file"], str(exc), status=413 if exc.too_large else 422) from None
    return DncImported.model_validate(
        {"until": _iso(until), "permanent": until is None, "added": result.added, "rejected": result.rejected}
    )


@router.delete("/v1/dnc/{entry_id}", tags=["dnc"])
async def delete_dnc(
    entry_id: str,
    ctx: Ctx,
    reason: str = Query(default="removed", max_length=500),
) -> DncRemoved:
    """Take a listed number off the list (lifting the opt-outs it caused on leads)."""
    if not await remove_dnc_entry(ctx, entry_id, reason=reason):
        raise HTTPException(404, f"no active entry {entry_id}")
    return DncRemoved(entry_id=entry_id, status="removed")


# --- audit -------------------------------------------------------------------------------------


@router.get("/v1/admin/audit", tags=["admin"], response_model=AuditPage)
async def get_audit(
    ctx: Ctx,
    lead_id: str | None = Query(default=None, max_length=128),
    subject: str | None = Query(default=None, max_length=128),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Every read of personal data in clear, oldest first (administrators; the gateway's table)."""
    after = int(decode_cursor("audit", cursor)["after"]) if cursor else 0
    async with ctx.sessions() as session:
        items = await audit_page(session, after_id=after, limit=limit, lead_id=lead_id, subject=subject)
    more = len(items) == limit
    return {"items": items, "next_cursor": encode_cursor("audit", {"after": items[-1]["id"]}) if more else None}
