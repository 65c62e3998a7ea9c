"""Upgrading a scheduling database takes ``rules.dropped.max_talk_seconds`` out of the stored
policy overrides (which calls dropped is the calls service's verdict now), so they still load."""

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from common.db import create_engine, migrate
from common.testing import ProvisionedDatabase

import scheduling
from scheduling.domain.policy import load_document, validate_override
from scheduling.tables import policy_override

VERSIONS = Path(scheduling.__file__).parent / "migrations" / "versions"


async def test_stored_overrides_lose_the_old_threshold_and_keep_the_rest(any_database: ProvisionedDatabase) -> None:
    engine = create_engine(any_database.url)
    await migrate(engine, [VERSIONS], to="scheduling_0004")
    now = datetime.now(UTC)
    old = {"rules": {"dropped": {"max_talk_seconds": 45, "max_redials": 1}, "sale": {"days": 5}}}
    only = {"rules": {"dropped": {"max_talk_seconds": 10}}}
    other = {"window": {"periods": ["10:00-16:00"]}}
    async with engine.begin() as conn:
        await conn.execute(
            policy_override.insert(),
            [
                {"campaign_id": "k-old", "document": old, "version": 3, "updated_at": now},
                {"campaign_id": "k-only", "document": only, "version": 1, "updated_at": now},
                {"campaign_id": "k-other", "document": other, "version": 2, "updated_at": now},
            ],
        )
    await migrate(engine, [VERSIONS])
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(policy_override))).mappings().all()
    await engine.dispose()
    stored = {r["campaign_id"]: (r["document"], r["version"]) for r in rows}
    assert stored == {
        "k-old": ({"rules": {"dropped": {"max_redials": 1}, "sale": {"days": 5}}}, 3),
        "k-only": ({"rules": {"dropped": {}}}, 1),
        "k-other": (other, 2),
    }
    document = load_document()
    for campaign_id, (override, _version) in stored.items():
        validate_override(document, campaign_id, override)  # raises if the policy refused it
    assert validate_override(document, "k-old", stored["k-old"][0]).rules.dropped.max_redials == 1
