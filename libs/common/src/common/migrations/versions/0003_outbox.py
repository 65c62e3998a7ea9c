"""The transactional outbox (``common.outbox``): one table in every service database.

Revision ID: common_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0003"
down_revision: str | None = "common_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.String(128), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("type", sa.String(128), nullable=False),
        sa.Column("aggregate_id", sa.String(256)),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("correlation_id", sa.String(128)),
        sa.Column("causation_id", sa.String(128)),
        sa.Column("trace", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_message_pending", "outbox_message", ["published_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_pending", "outbox_message")
    op.drop_table("outbox_message")
