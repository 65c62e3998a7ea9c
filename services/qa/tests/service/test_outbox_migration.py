"""Upgrading a QA database moves the unpublished events of the old ``outbox`` into the common
outbox, in their order, and drops the old table."""

from datetime import UTC, datetime
from pathlib import Path

import qa
import sqlalchemy as sa
from common.db import create_engine, migrate
from common.outbox import outbox_message
from common.testing import ProvisionedDatabase

VERSIONS = Path(qa.__file__).parent / "migrations" / "versions"


async def test_unpublished_rows_move_to_the_common_outbox_in_order(any_database: ProvisionedDatabase) -> None:
    engine = create_engine(any_database.url)
    await migrate(engine, [VERSIONS], to="qa_0001")
    now = datetime.now(UTC)
    async with engine.begin() as conn:
        old = sa.table(
            "outbox",
            *(sa.column(c) for c in ("event_id", "event_type", "correlation_id", "causation_id", "created_at")),
            sa.column("data", sa.JSON),
            sa.column("published_at"),
        )
        base = {"correlation_id": None, "causation_id": None, "created_at": now, "published_at": None}
        await conn.execute(
            old.insert(),
            [
                {
                    **base,
                    "event_id": "e-sent",
                    "event_type": "ReviewSampled",
                    "data": {"call_id": "c-0"},
                    "created_at": now,
                    "published_at": now,
                },
                {
                    **base,
                    "event_id": "e-2",
                    "event_type": "ViolationFound",
                    "data": {"call_id": "c-2"},
                    "created_at": now,
                    "correlation_id": "corr-2",
                    "causation_id": "cause-2",
                },
                {**base, "event_id": "e-1", "event_type": "ReviewSampled", "data": {"call_id": "c-1"}},
            ],
        )
    await migrate(engine, [VERSIONS])
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(outbox_message).order_by(outbox_message.c.id))).mappings().all()
        tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    await engine.dispose()
    assert [(r["message_id"], r["type"], r["kind"], r["published_at"]) for r in rows] == [
        ("e-2", "ViolationFound", "event", None),
        ("e-1", "ReviewSampled", "event", None),
    ]
    assert rows[0]["data"] == {"call_id": "c-2"}
    assert (rows[0]["correlation_id"], rows[0]["causation_id"]) == ("corr-2", "cause-2")
    assert "outbox" not in tables
