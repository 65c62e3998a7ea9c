"""Read side: findings by agent, team, rule, status and day; a call's findings with the evidence
highlighted; the review queue; fines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from qa.domain.highlight import highlight
from qa.tables import complaint, fine, qa_call, review_item, violation


@dataclass(frozen=True, slots=True)
class ViolationFilter:
    agent_id: str | None = None
    team_id: str | None = None
    rule: str | None = None
    status: str | None = None
    call_id: str | None = None
    day: date | None = None
    date_from: date | None = None
    date_to: date | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        c = violation.c
        for column, value in (
            (c.agent_id, self.agent_id),
            (c.team_id, self.team_id),
            (c.rule, self.rule),
            (c.status, self.status),
            (c.call_id, self.call_id),
            (c.day, self.day),
        ):
            if value is not None:
                query = query.where(column == value)
        if self.date_from is not None:
            query = query.where(c.day >= self.date_from)
        if self.date_to is not None:
            query = query.where(c.day <= self.date_to)
        return query


def violation_view(row: Any) -> dict[str, Any]:
    v = dict(row)
    for key in ("day",):
        if v.get(key) is not None:
            v[key] = v[key].isoformat()
    for key in ("found_at", "reviewed_at"):
        if v.get(key) is not None:
            v[key] = v[key].isoformat()
    return v


async def list_violations(
    session: AsyncSession, flt: ViolationFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int, dict[str, int]]:
    """A page of findings (newest first), the total, and the count per status of the whole selection."""
    base = flt.apply(select(violation))
    rows = (
        (
            await session.execute(
                base.order_by(violation.c.found_at.desc(), violation.c.violation_id).limit(limit).offset(offset)
            )
        )
        .mappings()
        .all()
    )
    counts = (
        await session.execute(
            flt.apply(select(violation.c.status, func.count()).select_from(violation)).group_by(violation.c.status)
        )
    ).all()
    by_status = {str(s): int(n) for s, n in counts}
    return [violation_view(r) for r in rows], sum(by_status.values()), by_status


async def get_violation(session: AsyncSession, violation_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(violation).where(violation.c.violation_id == violation_id))).mappings().first()
    if row is None:
        return None
    v = violation_view(row)
    turns = (await session.execute(select(qa_call.c.turns).where(qa_call.c.call_id == row["call_id"]))).scalar()
    v["highlight"] = _evidence(turns or [], row)
    return v


def _evidence(turns: list[dict[str, Any]], v: Any) -> dict[str, Any] | None:
    turn = v["turn"]
    if turn is None or not 0 <= turn < len(turns):
        return None
    t = turns[turn]
    if "text" not in t:
        return {"turn": turn, "hold": True, "start_s": t.get("start_s"), "end_s": t.get("end_s")}
    text = str(t["text"])
    return {
        "turn": turn,
        "speaker": t.get("speaker"),
        "start_s": t.get("start_s"),
        "text": text,
        "span": [v["span_start"], v["span_end"]] if v["span_start"] is not None else None,
        "marked": highlight(text, v["span_start"], v["span_end"]),
    }


async def call_findings(session: AsyncSession, call_id: str) -> dict[str, Any] | None:
    call = (await session.execute(select(qa_call).where(qa_call.c.call_id == call_id))).mappings().first()
    if call is None:
        return None
    turns = call["turns"] or []
    rows = (
        (
            await session.execute(
                select(violation).where(violation.c.call_id == call_id).order_by(violation.c.turn, violation.c.rule)
            )
        )
        .mappings()
        .all()
    )
    findings = []
    for r in rows:
        v = violation_view(r)
        v["highlight"] = _evidence(turns, r)
        findings.append(v)
    item = (await session.execute(select(review_item).where(review_item.c.call_id == call_id))).mappings().first()
    complaints = (
        (await session.execute(select(complaint).where(complaint.c.call_id == call_id).order_by(complaint.c.filed_at)))
        .mappings()
        .all()
    )
    return {
        "call_id": call_id,
        "agent_id": call["agent_id"],
        "team_id": call["team_id"],
        "campaign_id": call["campaign_id"],
        "lead_id": call["lead_id"],
        "day": call["day"].isoformat() if call["day"] else None,
        "disposition": call["disposition"],
        "sale": call["sale"],
        "policy_version": call["policy_version"],
        "checked_at": call["checked_at"].isoformat() if call["checked_at"] else None,
        "turns": len(turns),
        "findings": findings,
        "review": _review_view(item) if item else None,
        "complaints": [_plain(c) for c in complaints],
    }


def _plain(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in dict(row).items():
        out[k] = v.isoformat() if isinstance(v, date) else v
    return out


def _review_view(row: Any) -> dict[str, Any]:
    return _plain(row)


async def review_queue(
    session: AsyncSession,
    *,
    status: str | None,
    agent_id: str | None,
    team_id: str | None,
    day: date | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    open_count = (
        select(func.count())
        .select_from(violation)
        .where(violation.c.call_id == review_item.c.call_id, violation.c.status == "open")
        .scalar_subquery()
    )
    query = select(review_item, open_count.label("open_findings"))
    count = select(func.count()).select_from(review_item)
    for column, value in (
        (review_item.c.status, status),
        (review_item.c.agent_id, agent_id),
        (review_item.c.team_id, team_id),
        (review_item.c.day, day),
    ):
        if value is not None:
            query = query.where(column == value)
            count = count.where(column == value)
    rows = (
        (
            await session.execute(
                query.order_by(review_item.c.sampled_at, review_item.c.call_id).limit(limit).offset(offset)
            )
        )
        .mappings()
        .all()
    )
    total = (await session.execute(count)).scalar_one()
    return [_plain(r) for r in rows], int(total)


async def fines_summary(
    session: AsyncSession, *, payee_id: str | None, date_from: date | None, date_to: date | None
) -> list[dict[str, Any]]:
    query = select(fine.c.payee, fine.c.payee_id, fine.c.kind, func.count(), func.sum(fine.c.amount)).group_by(
        fine.c.payee, fine.c.payee_id, fine.c.kind
    )
    if payee_id is not None:
        query = query.where(fine.c.payee_id == payee_id)
    if date_from is not None:
        query = query.where(fine.c.day >= date_from)
    if date_to is not None:
        query = query.where(fine.c.day <= date_to)
    rows = (await session.execute(query.order_by(fine.c.payee_id))).all()
    return [
        {"payee": p, "payee_id": pid, "kind": k, "count": int(n), "amount": int(a or 0)} for p, pid, k, n, a in rows
    ]


async def get_complaint(session: AsyncSession, complaint_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(complaint).where(complaint.c.complaint_id == complaint_id))).mappings().first()
    return _plain(row) if row else None
