"""Reads over the leads read model (and the personal-data tables, for the name search and the
detail view). No writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common.timeutil import as_utc
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from leads.tables import (
    call_attempt,
    dnc_entry,
    import_job,
    import_row,
    lead,
    lead_assignment,
    lead_contact,
    lead_flag,
    lead_number,
    lead_number_pii,
    lead_pii,
    lead_tag,
    lead_tier_history,
)


@dataclass
class LeadFilter:
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    unowned: bool | None = None
    tier: str | None = None
    region: str | None = None
    industry: str | None = None
    source: str | None = None
    tag: str | None = None
    dnc: bool | None = None
    flagged: bool | None = None
    contacted_before: datetime | None = None
    contacted_after: datetime | None = None
    never_contacted: bool | None = None
    q: str | None = None  # name, full text (substring)
    status: str = "active"


def _active_dnc(now: datetime) -> Any:
    lead_level = and_(lead.c.dnc.is_(True), or_(lead.c.dnc_until.is_(None), lead.c.dnc_until > now))
    number_level = exists().where(
        lead_number.c.lead_id == lead.c.lead_id,
        lead_number.c.dnc.is_(True),
        or_(lead_number.c.dnc_until.is_(None), lead_number.c.dnc_until > now),
    )
    return or_(lead_level, number_level)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(f: LeadFilter, now: datetime) -> Select[Any]:
    query = (
        select(
            lead,
            lead_pii.c.full_name,
            lead_contact.c.attempts,
            lead_contact.c.last_attempt_at,
            lead_contact.c.last_contact_at,
        )
        .join(lead_pii, lead_pii.c.lead_id == lead.c.lead_id, isouter=True)
        .join(lead_contact, lead_contact.c.lead_id == lead.c.lead_id, isouter=True)
        .where(lead.c.status == f.status)
    )
    for column, value in (
        (lead.c.owner_agent_id, f.owner_agent_id),
        (lead.c.owner_team_id, f.owner_team_id),
        (lead.c.tier, f.tier),
        (lead.c.region, f.region),
        (lead.c.industry, f.industry),
        (lead.c.source, f.source),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.unowned is not None:
        query = query.where(lead.c.owner_agent_id.is_(None) if f.unowned else lead.c.owner_agent_id.is_not(None))
    if f.tag is not None:
        query = query.where(exists().where(lead_tag.c.lead_id == lead.c.lead_id, lead_tag.c.tag == f.tag))
    if f.dnc is not None:
        query = query.where(_active_dnc(now) if f.dnc else ~_active_dnc(now))
    if f.flagged is not None:
        query = query.where(lead.c.flagged.is_(f.flagged))
    if f.contacted_before is not None:
        query = query.where(lead_contact.c.last_contact_at < f.contacted_before)
    if f.contacted_after is not None:
        query = query.where(lead_contact.c.last_contact_at >= f.contacted_after)
    if f.never_contacted is not None:
        never = lead_contact.c.last_contact_at.is_(None)
        query = query.where(never if f.never_contacted else ~never)
    if f.q:
        words = [w for w in f.q.split() if w]
        for word in words or [f.q]:
            query = query.where(lead_pii.c.full_name.ilike(f"%{_escape_like(word)}%", escape="\\"))
    return query


async def list_leads(
    session: AsyncSession, f: LeadFilter, *, now: datetime, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    base = _filtered(f, now)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        (await session.execute(base.order_by(lead.c.created_at.desc(), lead.c.lead_id).limit(limit).offset(offset)))
        .mappings()
        .all()
    )
    numbers = await _numbers_of(session, [r["lead_id"] for r in rows], raw=False)
    return [summary(r, numbers.get(r["lead_id"], []), now) for r in rows], int(total)


async def stale_leads(
    session: AsyncSession, *, now: datetime, days: int, limit: int, offset: int, f: LeadFilter | None = None
) -> tuple[list[dict[str, Any]], int]:
    """No contact (a connected call) for ``days``: contacted before the cutoff, or never
    contacted and created before it. Leads on the do-not-call list are not stale, only resting."""
    cutoff = now - timedelta(days=days)
    base = _filtered(f or LeadFilter(), now).where(
        or_(
            lead_contact.c.last_contact_at < cutoff,
            and_(lead_contact.c.last_contact_at.is_(None), lead.c.created_at < cutoff),
        ),
        ~_active_dnc(now),
    )
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        (
            await session.execute(
                base.order_by(func.coalesce(lead_contact.c.last_contact_at, lead.c.created_at), lead.c.lead_id)
                .limit(limit)
                .offset(offset)
            )
        )
        .mappings()
        .all()
    )
    numbers = await _numbers_of(session, [r["lead_id"] for r in rows], raw=False)
    return [summary(r, numbers.get(r["lead_id"], []), now) for r in rows], int(total)


async def flagged_leads(
    session: AsyncSession, *, now: datetime, flag: str | None, limit: int, offset: int, f: LeadFilter | None = None
) -> tuple[list[dict[str, Any]], int]:
    open_flag = and_(lead_flag.c.lead_id == lead.c.lead_id, lead_flag.c.resolved_at.is_(None))
    if flag:
        open_flag = and_(open_flag, lead_flag.c.flag == flag)
    base = _filtered(f or LeadFilter(), now).where(exists().where(open_flag))
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = (
        (await session.execute(base.order_by(lead.c.updated_at.desc(), lead.c.lead_id).limit(limit).offset(offset)))
        .mappings()
        .all()
    )
    ids = [r["lead_id"] for r in rows]
    numbers = await _numbers_of(session, ids, raw=False)
    flags = await _flags_of(session, ids, open_only=True)
    return [
        {**summary(r, numbers.get(r["lead_id"], []), now), "flags": flags.get(r["lead_id"], [])} for r in rows
    ], int(total)


def _dnc_state(dnc: bool, until: datetime | None, reason: str | None, now: datetime) -> dict[str, Any] | None:
    if not dnc or (until is not None and as_utc(until) <= now):
        return None
    return {"until": _iso(until), "permanent": until is None, "reason": reason}


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value else None


def summary(row: Any, numbers: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return {
        "lead_id": row["lead_id"],
        "name": row["full_name"],
        "status": row["status"],
        "merged_into": row["merged_into"],
        "owner_agent_id": row["owner_agent_id"],
        "owner_team_id": row["owner_team_id"],
        "tier": row["tier"],
        "industry": row["industry"],
        "region": row["region"],
        "size": row["size"],
        "source": row["source"],
        "tags": list(row["tags"] or []),
        "timezone": row["timezone"],
        "birth_year": row["birth_year"],
        "referred_by_lead_id": row["referred_by_lead_id"],
        "dnc": _dnc_state(row["dnc"], row["dnc_until"], row["dnc_reason"], now),
        "flagged": bool(row["flagged"]),
        "numbers": numbers,
        "attempts": int(row["attempts"] or 0),
        "last_attempt_at": _iso(row["last_attempt_at"]),
        "last_contact_at": _iso(row["last_contact_at"]),
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


async def _numbers_of(session: AsyncSession, lead_ids: list[str], *, raw: bool) -> dict[str, list[dict[str, Any]]]:
    if not lead_ids:
        return {}
    query = select(lead_number)
    if raw:
        query = select(lead_number, lead_number_pii.c.e164).join(
            lead_number_pii, lead_number_pii.c.number_id == lead_number.c.number_id, isouter=True
        )
    rows = (
        (await session.execute(query.where(lead_number.c.lead_id.in_(lead_ids)).order_by(lead_number.c.position)))
        .mappings()
        .all()
    )
    now = datetime.now(UTC)
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        item = {
            "number_id": r["number_id"],
            "kind": r["kind"],
            "masked": r["masked"],
            "carrier": r["carrier"],
            "region": r["region"],
            "area": r["area"],
            "timezone": r["timezone"],
            "dnc": _dnc_state(r["dnc"], r["dnc_until"], r["dnc_reason"], now),
        }
        if raw:
            item["e164"] = r["e164"]
        out.setdefault(r["lead_id"], []).append(item)
    return out


async def _flags_of(session: AsyncSession, lead_ids: list[str], *, open_only: bool) -> dict[str, list[dict[str, Any]]]:
    if not lead_ids:
        return {}
    query = select(lead_flag).where(lead_flag.c.lead_id.in_(lead_ids))
    if open_only:
        query = query.where(lead_flag.c.resolved_at.is_(None))
    out: dict[str, list[dict[str, Any]]] = {}
    for r in (await session.execute(query.order_by(lead_flag.c.flagged_at))).mappings().all():
        out.setdefault(r["lead_id"], []).append(
            {
                "flag": r["flag"],
                "number_id": r["number_id"] or None,
                "call_id": r["call_id"],
                "reason": r["reason"],
                "flagged_at": _iso(r["flagged_at"]),
                "resolved_at": _iso(r["resolved_at"]),
            }
        )
    return out


async def lead_detail(session: AsyncSession, lead_id: str, *, now: datetime) -> dict[str, Any] | None:
    """Everything about one lead, raw numbers included (the agent dials from here)."""
    row = (await session.execute(_filtered_any(lead_id))).mappings().first()
    if row is None:
        return None
    numbers = (await _numbers_of(session, [lead_id], raw=True)).get(lead_id, [])
    attempts = (
        (
            await session.execute(
                select(call_attempt).where(call_attempt.c.lead_id == lead_id).order_by(call_attempt.c.ended_at)
            )
        )
        .mappings()
        .all()
    )
    for number in numbers:
        mine = [a for a in attempts if a["number_id"] == number["number_id"]]
        number["attempts"] = len(mine)
        number["last_attempt_at"] = _iso(mine[-1]["ended_at"]) if mine else None
        number["last_disposition"] = mine[-1]["disposition"] if mine else None
    tiers = (
        (
            await session.execute(
                select(lead_tier_history).where(lead_tier_history.c.lead_id == lead_id).order_by(lead_tier_history.c.id)
            )
        )
        .mappings()
        .all()
    )
    assignments = (
        (
            await session.execute(
                select(lead_assignment).where(lead_assignment.c.lead_id == lead_id).order_by(lead_assignment.c.id)
            )
        )
        .mappings()
        .all()
    )
    return {
        **summary(row, numbers, now),
        "tier_history": [
            {
                "tier": t["tier"],
                "previous_tier": t["previous_tier"],
                "call_id": t["call_id"],
                "disposition": t["disposition"],
                "changed_at": _iso(t["changed_at"]),
            }
            for t in tiers
        ],
        "assignments": [
            {
                "owner_agent_id": a["owner_agent_id"],
                "owner_team_id": a["owner_team_id"],
                "previous_agent_id": a["previous_agent_id"],
                "reason": a["reason"],
                "assigned_at": _iso(a["assigned_at"]),
            }
            for a in assignments
        ],
        "flags": (await _flags_of(session, [lead_id], open_only=False)).get(lead_id, []),
        "calls": [
            {
                "call_id": a["call_id"],
                "number_id": a["number_id"],
                "agent_id": a["agent_id"],
                "disposition": a["disposition"],
                "connected": bool(a["connected"]),
                "ended_at": _iso(a["ended_at"]),
            }
            for a in attempts
        ],
    }


def _filtered_any(lead_id: str) -> Select[Any]:
    return (
        select(
            lead,
            lead_pii.c.full_name,
            lead_contact.c.attempts,
            lead_contact.c.last_attempt_at,
            lead_contact.c.last_contact_at,
        )
        .join(lead_pii, lead_pii.c.lead_id == lead.c.lead_id, isouter=True)
        .join(lead_contact, lead_contact.c.lead_id == lead.c.lead_id, isouter=True)
        .where(lead.c.lead_id == lead_id)
    )


async def list_dnc(
    session: AsyncSession,
    *,
    now: datetime,
    active: bool | None,
    source: str | None,
    kind: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    query = select(dnc_entry)
    is_active = and_(dnc_entry.c.removed_at.is_(None), or_(dnc_entry.c.until.is_(None), dnc_entry.c.until > now))
    if active is not None:
        query = query.where(is_active if active else ~is_active)
    if source:
        query = query.where(dnc_entry.c.source == source)
    if kind:
        query = query.where(dnc_entry.c.kind == kind)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (
        (
            await session.execute(
                query.order_by(dnc_entry.c.created_at.desc(), dnc_entry.c.entry_id).limit(limit).offset(offset)
            )
        )
        .mappings()
        .all()
    )
    items = []
    for r in rows:
        until = r["until"]
        expired = until is not None and as_utc(until) <= now
        items.append(
            {
                "entry_id": r["entry_id"],
                "kind": r["kind"],
                "lead_id": r["lead_id"],
                "number_id": r["number_id"],
                "masked": r["masked"],
                "source": r["source"],
                "reason": r["reason"],
                "until": _iso(until),
                "permanent": until is None,
                "active": r["removed_at"] is None and not expired,
                "created_at": _iso(r["created_at"]),
                "removed_at": _iso(r["removed_at"]),
            }
        )
    return items, int(total)


async def import_status(session: AsyncSession, import_id: str) -> dict[str, Any] | None:
    job = (await session.execute(select(import_job).where(import_job.c.import_id == import_id))).mappings().first()
    if job is None:
        return None
    total = job["total_rows"]
    processed = int(job["processed"] or 0)
    progress = 1.0 if job["status"] == "done" else (min(processed / total, 0.999) if total else None)
    return {
        "import_id": job["import_id"],
        "filename": job["filename"],
        "status": job["status"],
        "format": job["format"],
        "encoding": job["encoding"],
        "columns": job["columns"],
        "unmapped_columns": job["unmapped_columns"],
        "total_rows": total,
        "processed": processed,
        "progress": progress,
        "counts": {s: int(job[s] or 0) for s in ("created", "merged", "duplicate", "rejected")},
        "error": job["error"],
        "created_at": _iso(job["created_at"]),
        "started_at": _iso(job["started_at"]),
        "finished_at": _iso(job["finished_at"]),
    }


async def import_rows(
    session: AsyncSession, import_id: str, *, status: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    query = select(import_row).where(import_row.c.import_id == import_id)
    if status:
        query = query.where(import_row.c.status == status)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = (await session.execute(query.order_by(import_row.c.row_no).limit(limit).offset(offset))).mappings().all()
    return [
        {"row": r["row_no"], "status": r["status"], "lead_id": r["lead_id"], "reason": r["reason"]} for r in rows
    ], int(total)
