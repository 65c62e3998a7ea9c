"""reporting: agent_daily

Revision ID: reporting_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("reporting",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    op.create_table(
        "agent_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("campaign_id", sa.String(128), primary_key=True),
        sa.Column("dials", sa.Integer, nullable=False, server_default="0"),
        sa.Column("connected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("talk_seconds", sa.Float, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("agent_daily")
