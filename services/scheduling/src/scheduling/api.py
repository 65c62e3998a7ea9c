"""HTTP API of the scheduling service (reached through the gateway)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from common.identity import Caller, Nothing, row_scope
from common.pagination import Cursor, InvalidCursor, Limit, decode_cursor, encode_cursor
from common.service import runtime_of
from common.timeutil import as_utc, zone
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import ValidationError
from sqlalchemy import RowMapping, and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling import handlers as h
from scheduling.context import SchedulingRuntime
from scheduling.domain.windows import next_allowed
from scheduling.schemas import (
    AbsenceIn,
    AbsenceLifted,
    AbsenceMarked,
    AbsentAgents,
    Agenda,
    Callback,
    CallbackPage,
    CampaignPolicy,
    CampaignPolicyOverridden,
    CancelIn,
    OverrideDeleted,
    Policies,
    RescheduleIn,
)
from scheduling.tables import OPEN_STATUSES, agent_absence, callback, lead_state

router = APIRouter(tags=["scheduling"])

StatusFilter = Literal["scheduled", "due", "done", "missed", "cancelled", "open", "overdue"]


# --- agenda and lists ----------------------------------------------------------------------


@router.get("/v1/agents/{agent_id}/agenda", response_model=Agenda)
async def agent_agenda(
    agent_id: str,
    day: date | None = Query(default=None, alias="date", description="YYYY-MM-DD; today by default"),
    tz: str = Query(default="Asia/Shanghai", description="the time zone the day is read in (the agent's)"),
    include_team: bool = Query(default=False, description="also the team's released callbacks"),
    team_id: str | None = None,
    runtime: SchedulingRuntime = Depends(runtime_of),
) -> dict[str, Any]:
    """An agent's callbacks for one day, in due order: open ones first-class, closed ones for
    the record with their ``close_reason`` (a callback cancelled because the customer may no
    longer be called shows why; one replaced by a newer booking does not show). The agent's
    own callbacks, plus (``include_team``) those released to the team."""
    now = runtime.context.clock.now()
    zone_info = zone(tz)
    day = day or now.astimezone(zone_info).date()
    start = datetime(day.year, day.month, day.day, tzinfo=zone_info)
    end = start + timedelta(days=1)
    owner = callback.c.agent_id == agent_id
    if include_team and team_id:
        owner = or_(owner, (callback.c.team_id == team_id) & callback.c.released.is_(True))
    query = (
        select(callback)
        .where(
            owner,
            callback.c.due_at >= as_utc(start),
            callback.c.due_at < as_utc(end),
            or_(callback.c.status != "cancelled", callback.c.close_reason != "superseded"),
        )
        .order_by(callback.c.due_at, callback.c.callback_id)
    )
    async with runtime.session_factory() as session:
        rows = (await session.execute(query)).mappings().all()
    return {
        "agent_id": agent_id,
        "date": day.isoformat(),
        "timezone": tz,
        "now": now.isoformat(),
        "callbacks": [Callback.of(r, now) for r in rows],
    }


@router.get("/v1/callbacks", response_model=CallbackPage)
async def list_callbacks(
    caller: Caller,
    status: StatusFilter | None = Query(default=None, description="overdue: open and past due"),
    agent_id: str | None = None,
    team_id: str | None = None,
    lead_id: str | None = None,
    campaign_id: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    runtime: SchedulingRuntime = Depends(runtime_of),
) -> CallbackPage:
    """Callbacks in due order: ``status=overdue`` lists those past due and not yet called. An
    agent sees its own, a supervisor its team's (narrowed in the query)."""
    now = runtime.context.clock.now()
    scope = row_scope(caller)
    agent_in, team_in = scope.narrow(agent_id, scope.agent), scope.narrow(team_id, scope.team)
    if isinstance(agent_in, Nothing) or isinstance(team_in, Nothing):
        return CallbackPage(items=[], next_cursor=None, now=now, status=status)
    agent_id, team_id = agent_in, team_in
    query = select(callback)
    if status == "overdue":
        query = query.where(callback.c.status.in_(OPEN_STATUSES), callback.c.due_at < as_utc(now))
    elif status == "open":
        query = query.where(callback.c.status.in_(OPEN_STATUSES))
    elif status is not None:
        query = query.where(callback.c.status == status)
    for column, value in (
        ("agent_id", agent_id),
        ("team_id", team_id),
        ("lead_id", lead_id),
        ("campaign_id", campaign_id),
    ):
        if value is not None:
            query = query.where(callback.c[column] == value)
    if cursor is not None:
        after_due, after_id = _callbacks_position(cursor)
        query = query.where(
            or_(callback.c.due_at > after_due, and_(callback.c.due_at == after_due, callback.c.callback_id > after_id))
        )
    query = query.order_by(callback.c.due_at, callback.c.callback_id).limit(limit + 1)
    async with runtime.session_factory() as session:
        rows = (await session.execute(query)).mappings().all()
    items = [Callback.of(r, now) for r in rows[:limit]]
    following = None
    if len(rows) > limit:
        last = items[-1]
        following = encode_cursor("callbacks", {"due_at": last.due_at.isoformat(), "callback_id": last.callback_id})
    return CallbackPage(items=items, next_cursor=following, now=now, status=status)


def _callbacks_position(cursor: str) -> tuple[datetime, str]:
    position = decode_cursor("callbacks", cursor)
    try:
        return as_utc(datetime.fromisoformat(position["due_at"])), str(position["callback_id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("callbacks") from None


@router.get("/v1/callbacks/absent-agents", response_model=AbsentAgents)
async def list_absent_agents(runtime: SchedulingRuntime = Depends(runtime_of)) -> dict[str, Any]:
    """Agents whose callbacks go to their team (from the API and from configuration)."""
    async with runtime.session_factory() as session:
        rows = (await session.execute(select(agent_absence).order_by(agent_absence.c.agent_id))).mappings().all()
    settings = runtime.settings
    return {
        "absent": [{"agent_id": r["agent_id"], "reason": r["reason"], "since": as_utc(r["since"])} for r in rows],
        "configured": sorted(settings.absent_agents),
    }


@router.put("/v1/callbacks/absent-agents/{agent_id}", response_model=AbsenceMarked)
async def mark_absent(
    agent_id: str, body: AbsenceIn, runtime: SchedulingRuntime = Depends(runtime_of)
) -> dict[str, Any]:
    """Mark an agent absent: their open callbacks are released to the team now, and new ones
    are released when they fall due."""
    now = runtime.context.clock.now()
    released = 0
    async with runtime.session_factory() as session, session.begin():
        exists = (
            await session.execute(select(agent_absence.c.agent_id).where(agent_absence.c.agent_id == agent_id))
        ).first()
        if not exists:
            await session.execute(
                agent_absence.insert().values(agent_id=agent_id, reason=body.reason, since=datetime.now(UTC))
            )
        rows = (
            (
                await session.execute(
                    select(callback).where(callback.c.agent_id == agent_id, callback.c.status.in_(OPEN_STATUSES))
                )
            )
            .mappings()
            .all()
        )
        for row in rows:
            released += int(await h.release(session, row, "agent_absent", now))
    runtime.context.wake.notify()
    return {"agent_id": agent_id, "absent": True, "released": released}


@router.delete("/v1/callbacks/absent-agents/{agent_id}", response_model=AbsenceLifted)
async def mark_present(agent_id: str, runtime: SchedulingRuntime = Depends(runtime_of)) -> dict[str, Any]:
    async with runtime.session_factory() as session, session.begin():
        result = await session.execute(delete(agent_absence).where(agent_absence.c.agent_id == agent_id))
    # The ignore: a DELETE returns a CursorResult, but AsyncSession.execute is typed as a plain Result.
    return {"agent_id": agent_id, "absent": False, "was_absent": bool(result.rowcount)}  # type: ignore[attr-defined]


@router.get("/v1/callbacks/{callback_id}")
async def get_callback(callback_id: str, runtime: SchedulingRuntime = Depends(runtime_of)) -> Callback:
    async with runtime.session_factory() as session:
        row = await h.get_callback(session, callback_id)
    if row is None:
        raise HTTPException(404, "no such callback")
    return Callback.of(row, runtime.context.clock.now())


async def _open_row(session: AsyncSession, callback_id: str) -> RowMapping:
    row = await h.get_callback(session, callback_id)
    if row is None:
        raise HTTPException(404, "no such callback")
    if row["status"] not in OPEN_STATUSES:
        raise HTTPException(409, f"callback is {row['status']}")
    return row


@router.post("/v1/callbacks/{callback_id}/reschedule")
async def reschedule_callback(
    callback_id: str, body: RescheduleIn, runtime: SchedulingRuntime = Depends(runtime_of)
) -> Callback:
    """Move a callback; the calling window still applies (a time in the customer's rest time
    moves to the next allowed minute, and the response says why)."""
    now = runtime.context.clock.now()
    async with runtime.session_factory() as session, session.begin():
        row = await _open_row(session, callback_id)
        policy = await runtime.context.policies.get(session, row["campaign_id"])
        lead = (
            await session.execute(select(lead_state.c.country).where(lead_state.c.lead_id == row["lead_id"]))
        ).first()
        tz = h.tz_of(row["timezone"], policy.window.default_timezone)
        window = policy.window.window(lead[0] if lead else None)
        placement = next_allowed(window, max(body.due_at, now), tz)
        notes = [
            n
            for n in (
                body.note,
                "requested time already past" if body.due_at < now else None,
                placement.reason,
            )
            if n
        ]
        event = await h.reschedule(session, row, placement.at, "api", "; ".join(notes) or None, now, exact=body.exact)
        if event is None:
            raise HTTPException(409, "callback changed meanwhile; retry")
        updated = await h.get_callback(session, callback_id)
    runtime.context.wake.notify()
    assert updated is not None
    return Callback.of(updated, now)


@router.post("/v1/callbacks/{callback_id}/cancel")
async def cancel_callback(
    callback_id: str, body: CancelIn, runtime: SchedulingRuntime = Depends(runtime_of)
) -> Callback:
    now = runtime.context.clock.now()
    async with runtime.session_factory() as session, session.begin():
        row = await _open_row(session, callback_id)
        if not await h.cancel(session, row, body.reason, now):
            raise HTTPException(409, "callback changed meanwhile; retry")
        updated = await h.get_callback(session, callback_id)
    runtime.context.wake.notify()
    assert updated is not None
    return Callback.of(updated, now)


# --- policies ------------------------------------------------------------------------------


@router.get("/v1/callback-policies", response_model=Policies)
async def list_policies(runtime: SchedulingRuntime = Depends(runtime_of)) -> dict[str, Any]:
    """The policy file (its version, default and campaign sections) and the API overrides."""
    store = runtime.context.policies
    async with runtime.session_factory() as session:
        overrides = await store.overrides(session)
    return {"file": store.document.model_dump(mode="json"), "overrides": overrides}


@router.get("/v1/callback-policies/{campaign_id}", response_model=CampaignPolicy)
async def get_policy(campaign_id: str, runtime: SchedulingRuntime = Depends(runtime_of)) -> dict[str, Any]:
    """The policy in force for a campaign (file default ← file campaign section ← override)."""
    async with runtime.session_factory() as session:
        policy = await runtime.context.policies.get(session, campaign_id)
    return {"campaign_id": campaign_id, "policy": policy.model_dump(mode="json")}


@router.put("/v1/callback-policies/{campaign_id}", response_model=CampaignPolicyOverridden)
async def put_policy(
    campaign_id: str, override: dict[str, Any], runtime: SchedulingRuntime = Depends(runtime_of)
) -> dict[str, Any]:
    """Override parts of the policy for one campaign (same shape as the file's ``default``).
    Applies to callbacks booked from now on; the firing re-check applies its window too."""
    store = runtime.context.policies
    try:
        async with runtime.session_factory() as session, session.begin():
            version = await store.set_override(session, campaign_id, override)
    except ValidationError as exc:
        raise HTTPException(422, [{"loc": e["loc"], "msg": e["msg"]} for e in exc.errors()]) from exc
    async with runtime.session_factory() as session:
        policy = await store.get(session, campaign_id)
    return {"campaign_id": campaign_id, "override_version": version, "policy": policy.model_dump(mode="json")}


@router.delete("/v1/callback-policies/{campaign_id}", response_model=OverrideDeleted)
async def delete_policy(campaign_id: str, runtime: SchedulingRuntime = Depends(runtime_of)) -> dict[str, Any]:
    async with runtime.session_factory() as session, session.begin():
        deleted = await runtime.context.policies.delete_override(session, campaign_id)
    if not deleted:
        raise HTTPException(404, "no override for this campaign")
    return {"campaign_id": campaign_id, "deleted": True}
