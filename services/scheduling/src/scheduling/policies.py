"""Where a campaign's policy comes from: the versioned file in the package, plus overrides
set over the API and kept in the ``policy_override`` table (so every replica sees them)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from scheduling.domain.policy import (
    DEFAULT_POLICY_FILE,
    CallbackPolicy,
    PolicyDocument,
    load_document,
    resolve,
    validate_override,
)
from scheduling.tables import policy_override


class PolicyStore:
    def __init__(self, path: Path | None = None, refresh_seconds: float = 5.0) -> None:
        self.document: PolicyDocument = load_document(path or DEFAULT_POLICY_FILE)
        self.refresh_seconds = refresh_seconds
        self._overrides: dict[str, tuple[dict[str, Any], int]] = {}
        self._resolved: dict[str | None, CallbackPolicy] = {}
        self._loaded_at = float("-inf")

    async def _refresh(self, session: AsyncSession, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < self.refresh_seconds:
            return
        rows = (await session.execute(select(policy_override))).mappings().all()
        overrides = {r["campaign_id"]: (dict(r["document"]), int(r["version"])) for r in rows}
        if overrides != self._overrides:
            self._overrides = overrides
            self._resolved.clear()
        self._loaded_at = time.monotonic()

    async def get(self, session: AsyncSession, campaign_id: str | None) -> CallbackPolicy:
        await self._refresh(session)
        if campaign_id not in self._resolved:
            override = self._overrides.get(campaign_id or "")
            self._resolved[campaign_id] = resolve(
                self.document,
                campaign_id,
                override[0] if override else None,
                override[1] if override else None,
            )
        return self._resolved[campaign_id]

    async def all_policies(self, session: AsyncSession) -> list[CallbackPolicy]:
        """The default and every campaign's policy (for the smallest ownership timings)."""
        await self._refresh(session)
        campaigns = {None, *self.document.campaigns, *self._overrides}
        return [await self.get(session, c) for c in campaigns]

    async def overrides(self, session: AsyncSession) -> dict[str, dict[str, Any]]:
        await self._refresh(session, force=True)
        return {k: {"override": v[0], "override_version": v[1]} for k, v in self._overrides.items()}

    async def set_override(self, session: AsyncSession, campaign_id: str, document: dict[str, Any]) -> int:
        validate_override(self.document, campaign_id, document)  # raises ValidationError
        current = (
            await session.execute(select(policy_override.c.version).where(policy_override.c.campaign_id == campaign_id))
        ).scalar_one_or_none()
        version = int(current or 0) + 1
        now = datetime.now(UTC)
        if current is None:
            await session.execute(
                policy_override.insert().values(
                    campaign_id=campaign_id, document=document, version=version, updated_at=now
                )
            )
        else:
            await session.execute(
                policy_override.update()
                .where(policy_override.c.campaign_id == campaign_id)
                .values(document=document, version=version, updated_at=now)
            )
        self._loaded_at = float("-inf")
        return version

    async def delete_override(self, session: AsyncSession, campaign_id: str) -> bool:
        result = await session.execute(delete(policy_override).where(policy_override.c.campaign_id == campaign_id))
        self._loaded_at = float("-inf")
        return bool(result.rowcount)  # type: ignore[attr-defined]
