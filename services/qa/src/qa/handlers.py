"""Command handlers of the review workflow: confirm or dismiss a finding, file a complaint,
complete a sampled call's review, set an agent's start date.

The QA database is the system of record for reviews: a decision is a conditional update of the
finding's row (``WHERE status = 'open'``: of two reviewers exactly one wins, the other gets 409),
and its events are written to the outbox in the same transaction (``common.outbox``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from common.db import insert, is_postgresql
from common.events.qa import ComplaintFiled, FineAssessed, ViolationFound
from common.outbox import enqueue
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from qa.context import QaRuntime
from qa.domain.ids import complaint_violation_id, event_id
from qa.domain.review import Action, ReviewError, ViolationState, decide_review
from qa.domain.sampling import period_of
from qa.projection import ensure_review
from qa.tables import complaint, fine, qa_agent, qa_call, review_item, violation


def _state(row: Any, sale: bool) -> ViolationState:
    return ViolationState(
        violation_id=row.violation_id,
        call_id=row.call_id,
        rule=row.rule,
        status=row.status,
        agent_id=row.agent_id,
        team_id=row.team_id,
        supervisor_id=row.supervisor_id,
        campaign_id=row.campaign_id,
        lead_id=row.lead_id,
        fine_agent=row.fine_agent,
        fine_supervisor=row.fine_supervisor,
        penalty=row.penalty,
        reviewer=row.reviewer,
        comment=row.comment,
        complaint_id=row.complaint_id,
        complaint_deduction=row.complaint_deduction,
        call_day=row.day,
        voids_sale=row.voids_sale,
        sale_recorded=sale,
    )


async def _load(session: AsyncSession, violation_id: str) -> tuple[Any, bool]:
    query = select(violation).where(violation.c.violation_id == violation_id)
    if is_postgresql(session):
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    if row is None:
        raise ReviewError(404, f"no violation {violation_id}", "violation_id")
    sale = (await session.execute(select(qa_call.c.sale).where(qa_call.c.call_id == row.call_id))).scalar()
    return row, bool(sale)


async def review(
    runtime: QaRuntime, violation_id: str, action: Action, *, reviewer: str, comment: str | None
) -> dict[str, Any]:
    """Confirm or dismiss a finding; returns the finding's row after the decision."""
    now = datetime.now(UTC)
    async with runtime.session_factory() as session, session.begin():
        row, sale = await _load(session, violation_id)
        decision = decide_review(_state(row, sale), action, reviewer=reviewer, comment=comment, now=now)
        if decision.events:
            done = await session.execute(
                update(violation)
                .where(violation.c.violation_id == violation_id, violation.c.status == "open")
                .values(
                    status=decision.status,
                    reviewer=reviewer.strip(),
                    comment=(comment or "").strip() or None,
                    reviewed_at=now,
                )
            )
            # Another reviewer won meanwhile (SQLite). The ignore: an UPDATE returns a CursorResult,
            # but AsyncSession.execute is typed as returning a plain Result.
            if not done.rowcount:  # type: ignore[attr-defined]
                row, sale = await _load(session, violation_id)
                decide_review(_state(row, sale), action, reviewer=reviewer, comment=comment, now=now)
                raise ReviewError(409, f"violation {violation_id} was reviewed meanwhile", "status")
            for event, eid in decision.events:
                if isinstance(event, FineAssessed):
                    await session.execute(
                        insert(session, fine)
                        .values(
                            fine_id=event.fine_id,
                            violation_id=event.violation_id,
                            call_id=event.call_id,
                            rule=event.rule,
                            kind=event.kind,
                            payee=event.payee,
                            payee_id=event.payee_id,
                            amount=event.amount,
                            penalty=event.penalty,
                            day=event.call_day,
                            assessed_at=event.assessed_at,
                        )
                        .on_conflict_do_nothing(index_elements=["fine_id"])
                    )
                await enqueue(session, event, event_id=eid, correlation_id=violation_id)
            await _complete_if_reviewed(session, row.call_id, reviewer, now)
        query = select(violation).where(violation.c.violation_id == violation_id)
        result = (await session.execute(query)).mappings().one()
    return dict(result)


async def _complete_if_reviewed(session: AsyncSession, call_id: str, reviewer: str, now: datetime) -> None:
    """A queued call whose findings are all reviewed has been reviewed."""
    still_open = (
        await session.execute(
            select(func.count())
            .select_from(violation)
            .where(violation.c.call_id == call_id, violation.c.status == "open")
        )
    ).scalar_one()
    if still_open == 0:
        await session.execute(
            update(review_item)
            .where(review_item.c.call_id == call_id, review_item.c.status == "pending")
            .values(status="done", reviewer=reviewer.strip(), completed_at=now)
        )


async def complete_review(runtime: QaRuntime, call_id: str, *, reviewer: str, comment: str | None) -> dict[str, Any]:
    """An inspector has listened to a queued call (a random sample without findings, typically)."""
    if not reviewer.strip():
        raise ReviewError(422, "a reviewer is required", "reviewer")
    now = datetime.now(UTC)
    async with runtime.session_factory() as session, session.begin():
        item = (await session.execute(select(review_item).where(review_item.c.call_id == call_id))).first()
        if item is None:
            raise ReviewError(404, f"call {call_id} is not in the review queue", "call_id")
        still_open = (
            await session.execute(
                select(func.count())
                .select_from(violation)
                .where(violation.c.call_id == call_id, violation.c.status == "open")
            )
        ).scalar_one()
        if still_open:
            raise ReviewError(
                409, f"call {call_id} has {still_open} finding(s) still open: confirm or dismiss them", "status"
            )
        if item.status != "done":
            await session.execute(
                update(review_item)
                .where(review_item.c.call_id == call_id)
                .values(
                    status="done", reviewer=reviewer.strip(), comment=(comment or "").strip() or None, completed_at=now
                )
            )
        result = (await session.execute(select(review_item).where(review_item.c.call_id == call_id))).mappings().one()
    return dict(result)


@dataclass(frozen=True, slots=True)
class ComplaintResult:
    complaint: dict[str, Any]
    created: bool


async def file_complaint(
    runtime: QaRuntime,
    *,
    call_id: str,
    kind: str,
    description: str | None,
    filed_by: str | None,
    complaint_id: str | None = None,
) -> ComplaintResult:
    """A complaint about a call: ``ComplaintFiled``, a finding under the complaint rule (QA-05)
    carrying the kind's deduction, and the call in the review queue. A retry with the same
    complaint id returns the complaint already filed."""
    policy = runtime.context.policy
    kinds = policy.complaints
    if kind not in kinds:
        raise ReviewError(422, f"unknown complaint kind {kind!r}; one of {', '.join(kinds)}", "kind")
    complaint_id = complaint_id or f"cp-{uuid.uuid4().hex[:16]}"
    rule = policy.complaint_rule
    spec = policy.rules.get(rule)
    if spec is None:
        raise ReviewError(409, f"the policy has no rule {rule} for complaints", "kind")
    now = datetime.now(UTC)
    async with runtime.session_factory() as session, session.begin():
        existing = (
            (await session.execute(select(complaint).where(complaint.c.complaint_id == complaint_id)))
            .mappings()
            .first()
        )
        if existing is not None:
            if existing["call_id"] != call_id or existing["kind"] != kind:
                raise ReviewError(409, f"complaint {complaint_id} exists for another call or kind", "complaint_id")
            return ComplaintResult(dict(existing), False)
        call = (await session.execute(select(qa_call).where(qa_call.c.call_id == call_id))).mappings().first()
        if call is None or call["ended"] is None:
            raise ReviewError(422, f"no finished call {call_id} is known to QA", "call_id")
        deduction = kinds[kind].deduction
        vid = complaint_violation_id(call_id, complaint_id, rule)
        found = ViolationFound(
            violation_id=vid,
            call_id=call_id,
            rule=rule,
            severity=spec.severity,
            agent_id=call["agent_id"],
            team_id=call["team_id"],
            supervisor_id=call["supervisor_id"],
            campaign_id=call["campaign_id"],
            fine_agent=spec.fine_agent,
            fine_supervisor=spec.fine_supervisor,
            evidence=(description or kinds[kind].title)[:500],
            reason=f"customer complaint ({kind}: {kinds[kind].title})",
            policy_version=policy.version,
            lead_id=call["lead_id"],
            title=spec.title,
            penalty=spec.penalty,
            source="complaint",
            complaint_id=complaint_id,
            call_day=call["day"],
            found_at=now,
        )
        await session.execute(
            insert(session, violation)
            .values(
                violation_id=vid,
                call_id=call_id,
                rule=rule,
                title=spec.title,
                severity=spec.severity,
                source="complaint",
                complaint_id=complaint_id,
                complaint_deduction=deduction,
                agent_id=call["agent_id"],
                team_id=call["team_id"],
                supervisor_id=call["supervisor_id"],
                campaign_id=call["campaign_id"],
                lead_id=call["lead_id"],
                day=call["day"],
                evidence=found.evidence,
                reason=found.reason,
                fine_agent=spec.fine_agent,
                fine_supervisor=spec.fine_supervisor,
                penalty=spec.penalty,
                voids_sale=bool(spec.params.get("voids_sale", False)),
                policy_version=policy.version,
                status="open",
                found_at=now,
            )
            .on_conflict_do_nothing(index_elements=["violation_id"])
        )
        values = {
            "complaint_id": complaint_id,
            "call_id": call_id,
            "kind": kind,
            "deduction": deduction,
            "description": description,
            "filed_by": filed_by,
            "violation_id": vid,
            "filed_at": now,
        }
        await session.execute(insert(session, complaint).values(**values))
        filed = ComplaintFiled(
            **values,
            agent_id=call["agent_id"],
            team_id=call["team_id"],
            campaign_id=call["campaign_id"],
            lead_id=call["lead_id"],
            call_day=call["day"],
        )
        await enqueue(session, filed, event_id=event_id("ComplaintFiled", complaint_id), correlation_id=complaint_id)
        await enqueue(session, found, event_id=vid, correlation_id=complaint_id)
        day = call["day"]
        await ensure_review(
            session,
            call_id=call_id,
            agent_id=call["agent_id"],
            team_id=call["team_id"],
            day=day,
            period=period_of(day, policy.sampling.period).key if day else None,
            reason="complaint",
        )
    return ComplaintResult(values, True)


async def set_agent_start(runtime: QaRuntime, agent_id: str, started_on: date) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with runtime.session_factory() as session, session.begin():
        stmt = insert(session, qa_agent).values(agent_id=agent_id, started_on=started_on, updated_at=now)
        await session.execute(
            stmt.on_conflict_do_update(index_elements=["agent_id"], set_={"started_on": started_on, "updated_at": now})
        )
    return {"agent_id": agent_id, "started_on": started_on.isoformat()}
