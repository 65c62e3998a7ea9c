"""Projection runner tables: checkpoints and dead letters, in every service's database.

Revision ID: common_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("common",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "projection_checkpoint",
        sa.Column("projection", sa.String(128), primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("projection", sa.String(128), nullable=False, index=True),
        sa.Column("stream", sa.String(128), nullable=False),
        sa.Column("stream_seq", sa.BigInteger, nullable=False),
        sa.Column("subject", sa.String(512), nullable=False),
        sa.Column("event_id", sa.String(128)),
        sa.Column("event_type", sa.String(128)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("deliveries", sa.Integer, nullable=False),
        sa.Column("headers", sa.JSON),
        sa.Column("body", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("projection", "stream_seq", name="uq_dead_letter_projection_seq"),
    )


def downgrade() -> None:
    op.drop_table("dead_letter")
    op.drop_table("projection_checkpoint")
