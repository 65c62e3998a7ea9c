"""scheduling: callback events wait in the common outbox (``outbox_message``); the service's own
``outbox`` goes, after the rows still in it (all unpublished: it deleted what it published) are
moved over in their order.

Revision ID: scheduling_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0003"
down_revision: str | None = "scheduling_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "common_0003"


def upgrade() -> None:
    # Every callback event type is at schema version 1; the old rows kept no correlation or trace.
    op.execute(
        sa.text(
            "INSERT INTO outbox_message (message_id, kind, type, aggregate_id, schema_version, data, created_at)"
            " SELECT event_id, 'event', event_type, aggregate_id, 1, data, created_at FROM outbox ORDER BY seq"
        )
    )
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
