"""The audit log of personal data read in clear (``pii_audit``): written in the request that
shows the data, read by administrators at ``GET /v1/admin/audit``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from common.db import insert
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leads.tables import pii_audit


@dataclass(frozen=True)
class PersonalDataRead:
    subject: str
    roles: list[str]
    lead_id: str
    fields: list[str]
    path: str
    client: str | None


async def record_reads(session: AsyncSession, reads: list[PersonalDataRead], *, at: datetime) -> None:
    await session.execute(
        insert(session, pii_audit),
        [
            {
                "read_at": at,
                "subject": r.subject,
                "roles": r.roles,
                "lead_id": r.lead_id,
                "fields": r.fields,
                "path": r.path[:500],
                "client": (r.client or "")[:128] or None,
            }
            for r in reads
        ],
    )


async def audit_page(
    session: AsyncSession,
    *,
    after_id: int,
    limit: int,
    lead_id: str | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """Oldest first from ``after_id``: the log is append-only, so its ids are a stable cursor."""
    query = select(pii_audit).where(pii_audit.c.id > after_id)
    if lead_id is not None:
        query = query.where(pii_audit.c.lead_id == lead_id)
    if subject is not None:
        query = query.where(pii_audit.c.subject == subject)
    rows = (await session.execute(query.order_by(pii_audit.c.id).limit(limit))).mappings().all()
    return [
        {
            "id": r["id"],
            "read_at": r["read_at"].isoformat(),
            "subject": r["subject"],
            "roles": r["roles"],
            "lead_id": r["lead_id"],
            "fields": r["fields"],
            "path": r["path"],
            "client": r["client"],
        }
        for r in rows
    ]
