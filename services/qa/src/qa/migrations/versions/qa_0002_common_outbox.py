"""qa: events wait in the common outbox (``outbox_message``); the service's own ``outbox`` goes,
after its unpublished rows are moved over in their order (published ones are history only).

Revision ID: qa_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0002"
down_revision: str | None = "qa_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "common_0003"


def upgrade() -> None:
    # Every QA event type is at schema version 1; the aggregate id is only shown to the SRE (the
    # drainer takes it from the event itself), and the old rows kept no trace context.
    op.execute(
        sa.text(
            "INSERT INTO outbox_message (message_id, kind, type, aggregate_id, schema_version, data,"
            " correlation_id, causation_id, trace, created_at)"
            " SELECT event_id, 'event', event_type, NULL, 1, data, correlation_id, causation_id, NULL, created_at"
            " FROM outbox WHERE published_at IS NULL ORDER BY id"
        )
    )
    op.drop_index("ix_outbox_pending", "outbox")
    op.drop_table("outbox")


def downgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("correlation_id", sa.String(128)),
        sa.Column("causation_id", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "id"])
