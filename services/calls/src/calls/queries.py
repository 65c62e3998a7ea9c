"""Reads of the calls service's own tables: the guard's facts, campaign settings, call lists."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from common.pagination import InvalidCursor, decode_cursor, encode_cursor
from common.timeutil import as_utc

from calls.domain.campaign import CampaignSettings, settings_from_document
from calls.domain.guard import DialFacts, DncEntry, LeadFacts
from calls.domain.history import PastCall
from calls.projection import (
    calls_table,
    campaign_settings_table,
    guard_dnc,
    guard_leads,
    guard_numbers,
)

# The lookups of ``POST /v1/calls`` run on a Core connection (no ORM session: its bookkeeping
# per statement is not needed for reads of tables); the others take a session. Both execute alike.
Reader = AsyncSession | AsyncConnection


@dataclass(frozen=True, slots=True)
class StoredSettings:
    settings: CampaignSettings
    version: int  # 0: never configured, the defaults apply
    document: dict[str, Any]


async def campaign_settings(session: Reader, campaign_id: str) -> StoredSettings:
    row = (
        (
            await session.execute(
                select(campaign_settings_table).where(campaign_settings_table.c.campaign_id == campaign_id)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        return StoredSettings(CampaignSettings(), 0, {})
    return StoredSettings(settings_from_document(row["settings"]), int(row["version"]), dict(row["settings"]))


MERGE_HOPS = 8  # how far a merged lead is followed to its survivor


async def resolve_lead(session: Reader, lead_id: str) -> tuple[str, list[str], dict[str, Any] | None]:
    """(surviving lead id, every id that is or was merged into it, the survivor's row).

    The lead's row and the leads merged into it are read in one query: a lead that was not
    merged into another (nearly every one) is resolved by it; one that was is followed to its
    survivor a query per hop, as far as ``MERGE_HOPS``."""
    found = (
        await session.execute(
            select(guard_leads).where(or_(guard_leads.c.lead_id == lead_id, guard_leads.c.merged_into == lead_id))
        )
    ).mappings()
    rows = [dict(r) for r in found]
    row = next((r for r in rows if r["lead_id"] == lead_id), None)
    if row is None or not row["merged_into"]:
        aliases = [r["lead_id"] for r in rows if r["merged_into"] == lead_id and r["lead_id"] != lead_id]
        return lead_id, [lead_id, *aliases], row if row is not None and row["known"] else None
    current = row["merged_into"]
    for _hop in range(MERGE_HOPS - 1):
        found_row = (
            (await session.execute(select(guard_leads).where(guard_leads.c.lead_id == current))).mappings().first()
        )
        row = dict(found_row) if found_row else None
        if row is None or not row["merged_into"]:
            break
        current = row["merged_into"]
    merged = list(
        (await session.execute(select(guard_leads.c.lead_id).where(guard_leads.c.merged_into == current))).scalars()
    )
    if row is not None and not row["known"]:
        row = None
    return current, [current, *merged], row


async def resolve_leads(
    session: AsyncSession, lead_ids: Collection[str]
) -> dict[str, tuple[str, list[str], dict[str, Any] | None]]:
    """``resolve_lead`` for many leads at once (a batch of finished calls): a query per merge
    hop for all of them, and one for every survivor's aliases, instead of three per lead."""
    rows: dict[str, dict[str, Any]] = {}
    looked: set[str] = set()
    wanted = set(lead_ids)
    for _hop in range(MERGE_HOPS):
        wanted -= looked
        if not wanted:
            break
        found = (await session.execute(select(guard_leads).where(guard_leads.c.lead_id.in_(wanted)))).mappings()
        looked |= wanted
        fetched = [dict(r) for r in found]
        rows.update((r["lead_id"], r) for r in fetched)
        wanted = {r["merged_into"] for r in fetched if r["merged_into"]}
    survivors: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for lead_id in lead_ids:
        current, row = lead_id, None
        for _hop in range(MERGE_HOPS):
            row = rows.get(current)
            if row is None or not row["merged_into"]:
                break
            current = row["merged_into"]
        survivors[lead_id] = (current, row)
    aliases: dict[str, list[str]] = {}
    currents = {current for current, _ in survivors.values()}
    if currents:
        merged = await session.execute(
            select(guard_leads.c.lead_id, guard_leads.c.merged_into).where(guard_leads.c.merged_into.in_(currents))
        )
        for alias, survivor in merged:
            aliases.setdefault(survivor, []).append(alias)
    return {
        lead_id: (current, [current, *aliases.get(current, [])], row if row is not None and row["known"] else None)
        for lead_id, (current, row) in survivors.items()
    }


@dataclass(frozen=True, slots=True)
class NumberFacts:
    number_id: str | None
    digest: str | None
    timezone: str | None = None
    region: str | None = None
    flagged_invalid: bool = False
    masked: str | None = None


async def number_facts(
    session: AsyncSession, lead_ids: Sequence[str], *, number_id: str | None, digest: str | None
) -> NumberFacts | None:
    """The dialled number as the guard's projection knows it: by id on the lead, or by digest
    (on the lead first, then on any lead). None: the number id is not one of the lead's."""
    query = select(guard_numbers).where(guard_numbers.c.lead_id.in_(lead_ids))
    if number_id is not None:
        query = query.where(guard_numbers.c.number_id == number_id)
    else:
        query = query.where(guard_numbers.c.number_digest == digest)
    row = (await session.execute(query)).mappings().first()
    if row is None and digest is not None:
        row = (
            (await session.execute(select(guard_numbers).where(guard_numbers.c.number_digest == digest)))
            .mappings()
            .first()
        )
    if row is None:
        return None if number_id is not None else NumberFacts(None, digest)
    return NumberFacts(
        row["number_id"] if row["lead_id"] in lead_ids else number_id,
        row["number_digest"],
        row["timezone"],
        row["region"],
        bool(row["flagged_invalid"]),
        row["masked"],
    )


async def dnc_entries(
    session: AsyncSession, lead_ids: Sequence[str], number_id: str | None, digest: str | None
) -> list[DncEntry]:
    conditions = [and_(guard_dnc.c.scope == "lead", guard_dnc.c.lead_id.in_(lead_ids))]
    if digest is not None:
        conditions.append(and_(guard_dnc.c.scope == "number", guard_dnc.c.number_digest == digest))
    if number_id is not None:
        conditions.append(
            and_(
                guard_dnc.c.scope == "number",
                guard_dnc.c.lead_id.in_(lead_ids),
                guard_dnc.c.number_id == number_id,
            )
        )
    rows = (await session.execute(select(guard_dnc).where(or_(*conditions)))).mappings().all()
    return [DncEntry(r["scope"], as_utc(r["until"]), r["reason"], r["source"]) for r in rows]


async def attempts(
    session: AsyncSession, *, lead_ids: Sequence[str] | None = None, digest: str | None = None
) -> list[datetime]:
    """When the lead's (or the number's) outbound dials were placed; refused dials are not dials."""
    query = select(calls_table.c.placed_at).where(
        calls_table.c.direction == "outbound", calls_table.c.status != "refused"
    )
    if lead_ids is not None:
        query = query.where(calls_table.c.lead_id.in_(lead_ids))
    else:
        query = query.where(calls_table.c.number_digest == digest)
    return [a for a in (as_utc(v) for v in (await session.execute(query)).scalars()) if a is not None]


async def past_calls(
    session: Reader,
    lead_ids: Sequence[str],
    *,
    before: datetime | None = None,
    exclude_call: str | None = None,
) -> list[PastCall]:
    query = select(
        calls_table.c.placed_at,
        calls_table.c.answered_at,
        calls_table.c.disposition_flags,
        calls_table.c.disposition,
        calls_table.c.contacted,
    ).where(calls_table.c.lead_id.in_(lead_ids), calls_table.c.status != "refused")
    if before is not None:
        query = query.where(calls_table.c.placed_at < before.astimezone(UTC))
    if exclude_call is not None:
        query = query.where(calls_table.c.call_id != exclude_call)
    return [_past_call(r) for r in (await session.execute(query)).mappings()]


def _past_call(r: Any) -> PastCall:
    flags = list(r["disposition_flags"] or [])
    if r["contacted"] and "customer_contact" not in flags:  # calls reported before flags existed
        flags.append("customer_contact")
    placed = as_utc(r["placed_at"])
    assert placed is not None
    return PastCall(placed, r["answered_at"] is not None, flags, r["disposition"])


async def calls_of_leads(session: AsyncSession, lead_ids: Collection[str]) -> dict[str, dict[str, PastCall]]:
    """Every call (refused dials left out, as ``past_calls`` does) of these leads, by lead and
    call id, in one query: a batch of finished calls picks each record's past from it."""
    if not lead_ids:
        return {}
    query = select(
        calls_table.c.lead_id,
        calls_table.c.call_id,
        calls_table.c.placed_at,
        calls_table.c.answered_at,
        calls_table.c.disposition_flags,
        calls_table.c.disposition,
        calls_table.c.contacted,
    ).where(calls_table.c.lead_id.in_(lead_ids), calls_table.c.status != "refused")
    out: dict[str, dict[str, PastCall]] = {}
    for r in (await session.execute(query)).mappings():
        out.setdefault(r["lead_id"], {})[r["call_id"]] = _past_call(r)
    return out


@dataclass(frozen=True, slots=True)
class GuardInputs:
    facts: DialFacts
    lead_id: str  # the surviving lead
    lead_ids: list[str]
    number: NumberFacts | None
    tags: list[str]


async def guard_inputs(
    session: AsyncSession,
    *,
    lead_id: str,
    number_id: str | None,
    digest: str | None,
    now: datetime,
    agent_id: str,
    team_id: str,
    caller_carrier: str | None,
    campaign_allowed_carriers: Sequence[str],
) -> GuardInputs:
    survivor, lead_ids, row = await resolve_lead(session, lead_id)
    number = await number_facts(session, lead_ids, number_id=number_id, digest=digest)
    digest = number.digest if number else digest
    lead = None
    if row is not None:
        lead = LeadFacts(survivor, row["owner_agent_id"], row["owner_team_id"], row["timezone"], row["country"])
    region = number.region if number and number.region and len(number.region) == 2 else None
    facts = DialFacts(
        now=now,
        agent_id=agent_id,
        team_id=team_id,
        lead=lead,
        dnc=await dnc_entries(session, lead_ids, number.number_id if number else number_id, digest),
        number_flagged_invalid=bool(number and number.flagged_invalid),
        number_unknown=number is None,
        number_timezone=number.timezone if number else None,
        number_country=region,
        lead_attempts=await attempts(session, lead_ids=lead_ids),
        number_attempts=await attempts(session, digest=digest) if digest else [],
        caller_carrier=caller_carrier,
        campaign_allowed_carriers=campaign_allowed_carriers,
    )
    return GuardInputs(facts, survivor, lead_ids, number, list((row or {}).get("tags") or []))


# --- call queries -------------------------------------------------------------------------

LIST_COLUMNS = [c for c in calls_table.c if c.name not in ("transcript", "history", "notes", "need")]
DATETIME_COLUMNS = ("placed_at", "answered_at", "ended_at", "callback_at", "transcribed_at", "updated_at")


def _row(row: Any) -> dict[str, Any]:
    out = dict(row)
    for name in DATETIME_COLUMNS:
        if name in out:
            value = as_utc(out[name])
            out[name] = value.isoformat() if value else None
    if isinstance(out.get("day"), date):
        out["day"] = out["day"].isoformat()
    if "first_contact" in out:  # the guard's decision as the place answer showed it
        first = out["first_contact"]
        out["contact"] = None if first is None else ("first" if first else "repeat")
    return out


def _cursor(placed_at: Any, call_id: str) -> str:
    stamp = as_utc(placed_at)
    assert stamp is not None
    return encode_cursor("calls", {"placed_at": stamp.isoformat(), "call_id": call_id})


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    position = decode_cursor("calls", cursor)
    try:
        return datetime.fromisoformat(position["placed_at"]), str(position["call_id"])
    except (KeyError, TypeError, ValueError):
        raise InvalidCursor("calls") from None


async def list_calls(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    limit: int,
    cursor: str | None,
    campaigns: frozenset[str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first, keyset-paged: ``cursor`` is the ``next_cursor`` of the previous page (a
    cursor this list did not give out raises ``InvalidCursor``, a 422). ``campaigns``: only
    these campaigns' calls (a partner's)."""
    query = select(*LIST_COLUMNS)
    if campaigns is not None:
        query = query.where(calls_table.c.campaign_id.in_(sorted(campaigns)))
    for name, value in filters.items():
        if value is not None:
            query = query.where(calls_table.c[name] == value)
    if cursor:
        stamp, call_id = _decode_cursor(cursor)
        stamp_utc = stamp.astimezone(UTC)
        query = query.where(
            or_(
                calls_table.c.placed_at < stamp_utc,
                and_(calls_table.c.placed_at == stamp_utc, calls_table.c.call_id < call_id),
            )
        )
    query = query.order_by(calls_table.c.placed_at.desc(), calls_table.c.call_id.desc()).limit(limit + 1)
    rows = (await session.execute(query)).mappings().all()
    page = [_row(r) for r in rows[:limit]]
    next_cursor = _cursor(rows[limit - 1]["placed_at"], rows[limit - 1]["call_id"]) if len(rows) > limit else None
    return page, next_cursor


async def get_call(session: AsyncSession, call_id: str) -> dict[str, Any] | None:
    row = (await session.execute(select(calls_table).where(calls_table.c.call_id == call_id))).mappings().first()
    return _row(row) if row is not None else None
