"""HTTP API of the leads service (reached through the gateway: /v1/leads…, /v1/dnc…).

Errors: 422 names the field (FastAPI's shape: ``detail[].loc``), 404 an unknown lead, 409 a
refused claim with the owner named (``owner_agent_id``)."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from common.service import Runtime, runtime_of
from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from leads.domain.importing import DraftNumber, LeadDraft, RowRejected, normalise_name
from leads.domain.lead import (
    AssignAction,
    InvalidCommand,
    Lead,
    LeadError,
    LeadMergedAway,
    LeadNotFound,
    OwnershipConflict,
)
from leads.domain.outcomes import IntentTier
from leads.domain.phones import InvalidNumber, NormalisedNumber, NumberKind, normalise
from leads.handlers import (
    LeadsContext,
    add_dnc_number,
    assign_lead,
    create_or_merge,
    delete_lead,
    lift_opt_out,
    merge_leads,
    opt_out_lead,
    remove_dnc_entry,
    update_lead,
)
from leads.importer import Importer, open_rows
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
from leads.settings import LeadsSettings

router = APIRouter(tags=["leads"])

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_\-:]{1,128}$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0)]


# --- plumbing ----------------------------------------------------------------------------------


def context(request: Request) -> LeadsContext:
    runtime: Runtime = runtime_of(request)
    ctx: LeadsContext | None = runtime.state.get("leads")
    if ctx is None:
        raise HTTPException(503, "service starting")
    return ctx


Ctx = Annotated[LeadsContext, Depends(context)]


def importer_of(request: Request) -> Importer:
    runtime: Runtime = runtime_of(request)
    importer: Importer = runtime.state["importer"]
    return importer


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


def state_view(state: Lead) -> dict[str, Any]:
    """What the command just decided, for the answer (the read model catches up within moments)."""
    return {
        "lead_id": state.lead_id,
        "owner_agent_id": state.owner_agent_id,
        "owner_team_id": state.owner_team_id,
        "tier": state.tier,
        "merged_into": state.merged_into,
        "numbers": [n.model_dump(mode="json") for n in state.numbers],
        "profile": state.profile.model_dump(mode="json"),
        "opt_outs": [
            {
                "number_id": number_id,
                "reason": o.reason,
                "source": o.source,
                "until": o.until.isoformat() if o.until else None,
            }
            for number_id, o in state.opt_outs
            if o.active(now())
        ],
        "open_flags": [
            {"flag": f, "number_id": n} for f, n in sorted(state.open_flags, key=lambda x: (x[0], x[1] or ""))
        ],
    }


# --- models ------------------------------------------------------------------------------------


class PhoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    kind: NumberKind | None = None


class ProfileFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    industry: Text | None = None
    region: Text | None = None
    size: Text | None = None
    source: Text | None = None
    tags: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]] | None = None
    timezone: Text | None = None
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    referred_by_lead_id: Identifier | None = None


class LeadIn(ProfileFields):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    phones: list[PhoneIn | str] = Field(min_length=1, max_length=10)
    owner_agent_id: Identifier | None = None
    owner_team_id: Identifier | None = None


class LeadPatch(ProfileFields):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    add_phones: list[PhoneIn | str] = Field(default_factory=list, max_length=10)
    remove_number_ids: list[Identifier] = Field(default_factory=list)


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: AssignAction = "assign"
    agent_id: Identifier | None = None
    team_id: Identifier | None = None


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = (
        "customer asked not to be called again"
    )
    source: Literal["customer_request", "refusals", "rest", "manual", "regulator_list", "company_list"] = (
        "customer_request"
    )
    number_id: Identifier | None = None
    permanent: bool = True
    until: AwareDatetime | None = None
    rest_days: int | None = Field(default=None, ge=1, le=3650)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lead_id: Identifier = Field(description="the lead to merge into this one (it lives on as this one)")


class DncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]] = Field(
        min_length=1, max_length=10_000
    )
    source: Literal["regulator_list", "company_list", "manual"] = "company_list"
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = "do not call"
    permanent: bool = True
    until: AwareDatetime | None = None
    rest_days: int | None = Field(default=None, ge=1, le=3650)


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
    responses={
        200: {"description": "the same person was known already: merged (or nothing new)"},
        409: {"description": "the person is known and owned by another agent (owner named)"},
        422: {"description": "invalid input; the field is named"},
    },
)
async def create_lead(body: LeadIn, ctx: Ctx) -> JSONResponse:
    """Create a lead. The same person again (same mobile number, or same landline and name)
    is merged into the existing lead, not duplicated."""
    from common.events.leads import LeadProfile

    settings = settings_of(ctx)
    _check_timezone(body.timezone)
    try:
        name = normalise_name(body.name)
    except RowRejected as exc:
        raise field_error(["name"], str(exc)) from None
    numbers = _numbers(body.phones, settings, "phones")
    primary: NormalisedNumber = numbers[0].number
    profile = LeadProfile(
        industry=body.industry,
        region=body.region or primary.province,
        size=body.size,
        source=body.source,
        tags=body.tags or [],
        timezone=body.timezone or primary.timezone,
        birth_year=body.birth_year,
        referred_by_lead_id=body.referred_by_lead_id,
    )
    draft = LeadDraft(
        name=name,
        numbers=tuple(numbers),
        profile=profile,
        owner_agent_id=body.owner_agent_id,
        owner_team_id=body.owner_team_id,
    )
    try:
        outcome = await create_or_merge(ctx, draft, strict_owner=True)
    except LeadError as exc:
        raise lead_error(exc) from None
    return JSONResponse(
        {"status": outcome.status, "reason": outcome.reason, **state_view(outcome.state)},
        status_code=201 if outcome.status == "created" else 200,
    )


@router.get("/v1/leads")
async def get_leads(
    ctx: Ctx,
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
    offset: Offset = 0,
) -> dict[str, Any]:
    """Leads, filtered and paged, newest first."""
    f = LeadFilter(
        owner_agent_id=owner,
        owner_team_id=team,
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
    async with ctx.sessions() as session:
        items, total = await list_leads(session, f, now=now(), limit=limit, offset=offset)
    return _page(items, total, limit, offset)


def _page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> dict[str, Any]:
    following = offset + len(items)
    return {
        "items": items,
        "total": total,
        "limit": limit,
        "offset": offset,
        "next_offset": following if following < total else None,
    }


@router.get("/v1/leads/stale")
async def get_stale_leads(
    ctx: Ctx,
    days: int | None = Query(default=None, ge=1, le=3650, description="default: the configured stale_after_days"),
    owner: str | None = None,
    team: str | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Leads nobody has reached for ``days``: to be called, or cleaned up."""
    n = days or settings_of(ctx).stale_after_days
    async with ctx.sessions() as session:
        items, total = await stale_leads(
            session,
            now=now(),
            days=n,
            limit=limit,
            offset=offset,
            f=LeadFilter(owner_agent_id=owner, owner_team_id=team),
        )
    return {**_page(items, total, limit, offset), "days": n}


@router.get("/v1/leads/flagged")
async def get_flagged_leads(
    ctx: Ctx,
    flag: Literal["wrong_person", "invalid_number", "ownership_conflict", "stale"] | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Leads flagged for clean-up (wrong person, invalid number, ownership conflict)."""
    async with ctx.sessions() as session:
        items, total = await flagged_leads(session, now=now(), flag=flag, limit=limit, offset=offset)
    return _page(items, total, limit, offset)


# --- import ------------------------------------------------------------------------------------


@router.post("/v1/leads/import", status_code=202)
async def post_import(
    request: Request,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, UTF-8 with BOM, GBK) or XLSX")],
    source: str | None = Form(default=None, max_length=128, description="source of rows that do not say"),
    owner_agent_id: str | None = Form(default=None, max_length=128),
    owner_team_id: str | None = Form(default=None, max_length=128),
    default_region: str | None = Form(default=None, min_length=2, max_length=2),
) -> JSONResponse:
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
    return JSONResponse(
        {"import_id": import_id, "status": "queued", "status_url": f"/v1/leads/import/{import_id}"},
        status_code=202,
    )


@router.get("/v1/leads/import/{import_id}")
async def get_import(
    import_id: str,
    ctx: Ctx,
    rows: Literal["created", "merged", "duplicate", "rejected", "all"] | None = Query(
        default=None, description="include the per-row results of this status"
    ),
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """Progress, counts, and (with ``rows=``) the per-row results, paged."""
    async with ctx.sessions() as session:
        job = await import_status(session, import_id)
        if job is None:
            raise HTTPException(404, f"unknown import {import_id}")
        if rows is not None:
            items, total = await import_rows(
                session, import_id, status=None if rows == "all" else rows, limit=limit, offset=offset
            )
            job["rows"] = _page(items, total, limit, offset)
    return job


@router.post("/v1/leads/import/{import_id}/retry", status_code=202)
async def retry_import(import_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Go on with a failed import from where it stopped (rows done stay done)."""
    from sqlalchemy import update

    from leads.tables import import_job

    importer = importer_of(request)
    async with ctx.sessions() as session:
        job = await import_status(session, import_id)
    if job is None:
        raise HTTPException(404, f"unknown import {import_id}")
    if job["status"] != "failed" or not importer.file_path(import_id).exists():
        raise HTTPException(409, f"import {import_id} is {job['status']}; only a failed import with its file retries")
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            update(import_job).where(import_job.c.import_id == import_id).values(status="queued", error=None)
        )
    importer.start(import_id)
    return {"import_id": import_id, "status": "queued"}


# --- one lead ----------------------------------------------------------------------------------


@router.get("/v1/leads/{lead_id}", responses={404: {"description": "unknown lead"}})
async def get_lead(lead_id: str, ctx: Ctx) -> dict[str, Any]:
    """One lead with its numbers (raw, to dial), tier history, assignments, flags and calls."""
    async with ctx.sessions() as session:
        detail = await lead_detail(session, lead_id, now=now())
    if detail is None or detail["status"] == "deleted":
        raise HTTPException(404, f"unknown lead {lead_id}")
    return detail


@router.patch("/v1/leads/{lead_id}")
async def patch_lead(lead_id: str, body: LeadPatch, ctx: Ctx) -> dict[str, Any]:
    """Edit: given profile fields replace the current ones; numbers are added or removed; the
    name corrected. A corrected name or number resolves the matching clean-up flags."""
    _check_timezone(body.timezone)
    name = None
    if body.name is not None:
        try:
            name = normalise_name(body.name)
        except RowRejected as exc:
            raise field_error(["name"], str(exc)) from None
    numbers = _numbers(body.add_phones, settings_of(ctx), "add_phones")
    profile_fields = body.model_dump(
        include={
            "industry",
            "region",
            "size",
            "source",
            "tags",
            "timezone",
            "birth_year",
            "referred_by_lead_id",
        },
        exclude_unset=True,
    )
    try:
        outcome = await update_lead(
            ctx,
            lead_id,
            name=name,
            numbers=numbers,
            remove_number_ids=body.remove_number_ids,
            profile_fields=profile_fields,
        )
    except LeadError as exc:
        raise lead_error(exc) from None
    return {"status": outcome.status, **state_view(outcome.state)}


@router.delete("/v1/leads/{lead_id}")
async def remove_lead(
    lead_id: str,
    ctx: Ctx,
    reason: str = Query(default="erased on request", max_length=500),
) -> dict[str, Any]:
    """Erase a lead: its personal data is deleted; ``LeadDeleted`` tells every service."""
    try:
        outcome = await delete_lead(ctx, lead_id, reason=reason)
    except LeadError as exc:
        raise lead_error(exc) from None
    return {"lead_id": lead_id, "status": outcome.status}


@router.post(
    "/v1/leads/{lead_id}/assign",
    responses={
        409: {"description": "owned by another agent: the owner is named"},
        404: {"description": "unknown"},
    },
)
async def post_assign(lead_id: str, body: AssignIn, ctx: Ctx) -> dict[str, Any]:
    """claim (an agent takes an unowned lead), assign (a supervisor gives an unowned lead),
    reassign (a supervisor moves an owned lead), release (back to the team pool). Claiming or
    assigning a lead another agent owns is refused (409) with the owner named."""
    try:
        outcome = await assign_lead(ctx, lead_id, body.action, agent_id=body.agent_id, team_id=body.team_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return {"status": outcome.status, **state_view(outcome.state)}


@router.post("/v1/leads/{lead_id}/merge")
async def post_merge(lead_id: str, body: MergeIn, ctx: Ctx) -> dict[str, Any]:
    """The lead in the body is the same person as this one: merge it into this one."""
    try:
        outcome = await merge_leads(ctx, lead_id, body.lead_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return {"status": outcome.status, **state_view(outcome.state)}


@router.post("/v1/leads/{lead_id}/opt-out")
async def post_opt_out(lead_id: str, body: OptOutIn, ctx: Ctx) -> dict[str, Any]:
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
    return {"status": outcome.status, **state_view(outcome.state)}


@router.delete("/v1/leads/{lead_id}/opt-out")
async def delete_opt_out(
    lead_id: str,
    ctx: Ctx,
    number_id: str | None = None,
    reason: str = Query(default="lifted", max_length=500),
) -> dict[str, Any]:
    """Lift an opt-out (the customer asked to be called again)."""
    try:
        outcome = await lift_opt_out(ctx, lead_id, reason=reason, number_id=number_id)
    except LeadError as exc:
        raise lead_error(exc) from None
    return {"status": outcome.status, **state_view(outcome.state)}


# --- the do-not-call list ----------------------------------------------------------------------


@router.get("/v1/dnc", tags=["dnc"])
async def get_dnc(
    ctx: Ctx,
    active: bool | None = Query(default=True, description="only entries in force now (false: only past ones)"),
    source: str | None = None,
    kind: Literal["number", "lead"] | None = Query(default=None, description="a listed number or a lead's opt-out"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The do-not-call list: numbers listed directly and leads' opt-outs, numbers masked."""
    async with ctx.sessions() as session:
        items, total = await list_dnc(
            session, now=now(), active=active, source=source, kind=kind, limit=limit, offset=offset
        )
    return _page(items, total, limit, offset)


async def _add_numbers(
    ctx: LeadsContext,
    numbers: list[str],
    *,
    source: str,
    reason: str,
    until: datetime | None,
    field_name: str,
) -> dict[str, Any]:
    settings = settings_of(ctx)
    parsed: list[NormalisedNumber] = []
    for index, raw in enumerate(numbers):
        try:
            parsed.append(normalise(raw, settings.default_region, settings.default_timezone))
        except InvalidNumber as exc:
            raise field_error([field_name, index], str(exc)) from None
    results = []
    for number in parsed:
        added = await add_dnc_number(ctx, number, source=source, reason=reason, until=until)
        results.append(
            {"entry_id": added.entry_id, "masked": added.masked, "status": added.status, "leads": added.leads}
        )
    return {"until": until.isoformat() if until else None, "permanent": until is None, "entries": results}


@router.post("/v1/dnc", tags=["dnc"], status_code=201)
async def post_dnc(body: DncIn, ctx: Ctx) -> dict[str, Any]:
    """Add numbers to the do-not-call list (a regulator's or the company's list), permanently
    or until a time; every lead holding one of them is opted out for that number."""
    until = _expiry(settings_of(ctx), body.permanent, body.until, body.rest_days)
    return await _add_numbers(
        ctx, body.numbers, source=body.source, reason=body.reason, until=until, field_name="numbers"
    )


@router.post("/v1/dnc/import", tags=["dnc"], status_code=201)
async def post_dnc_import(
    request: Request,
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="CSV or XLSX with a phone column (电话/手机/phone) or one column")],
    source: Literal["regulator_list", "company_list", "manual"] = Form(default="regulator_list"),
    reason: str = Form(default="on the do-not-call list", max_length=500),
    permanent: bool = Form(default=True),
    rest_days: int | None = Form(default=None, ge=1, le=3650),
) -> dict[str, Any]:
    """Add a list file of numbers to the do-not-call list; bad numbers are reported by row."""
    import tempfile
    from pathlib import Path

    from leads.domain.importing import map_columns
    from leads.domain.phones import cell_to_text

    until = _expiry(settings_of(ctx), permanent, None, rest_days)
    settings = settings_of(ctx)
    with tempfile.NamedTemporaryFile(delete=False, suffix=".upload") as tmp:
        size = 0
        while chunk := await file.read(1 << 20):
            size += len(chunk)
            if size > settings.import_max_bytes:
                raise field_error(["file"], "file too large", status=413)
            tmp.write(chunk)
        path = Path(tmp.name)
    try:
        try:
            opened = open_rows(path)
        except ValueError as exc:
            raise field_error(["file"], str(exc)) from None
        columns = map_columns(opened.header)
        index = next((columns.fields[f] for f in ("phone", "office_phone", "home_phone") if f in columns.fields), None)
        entries: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []

        async def add(row_no: int, value: object) -> None:
            text = cell_to_text(value)
            if not text:
                return
            try:
                number = normalise(text, settings.default_region, settings.default_timezone)
            except InvalidNumber as exc:
                rejected.append({"row": row_no, "reason": str(exc)})
                return
            added = await add_dnc_number(ctx, number, source=source, reason=reason, until=until)
            entries.append(
                {
                    "row": row_no,
                    "entry_id": added.entry_id,
                    "masked": added.masked,
                    "status": added.status,
                    "leads": added.leads,
                }
            )

        try:
            if index is None:  # no header: the first row is a number already
                index = 0
                await add(opened.header_row, opened.header[0] if opened.header else None)
            for row_no, values in opened.rows:
                await add(row_no, values[index] if index < len(values) else None)
        finally:
            opened.close()
    finally:
        path.unlink(missing_ok=True)  # noqa: ASYNC240 - a local temporary file
    return {
        "until": until.isoformat() if until else None,
        "permanent": until is None,
        "added": entries,
        "rejected": rejected,
    }


@router.delete("/v1/dnc/{entry_id}", tags=["dnc"])
async def delete_dnc(
    entry_id: str,
    ctx: Ctx,
    reason: str = Query(default="removed", max_length=500),
) -> dict[str, Any]:
    """Take a listed number off the list (lifting the opt-outs it caused on leads)."""
    if not await remove_dnc_entry(ctx, entry_id, reason=reason):
        raise HTTPException(404, f"no active entry {entry_id}")
    return {"entry_id": entry_id, "status": "removed"}
