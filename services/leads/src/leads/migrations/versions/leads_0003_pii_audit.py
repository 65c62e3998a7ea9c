"""leads: pii_audit, the append-only log of personal data read in clear

Revision ID: leads_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "leads_0003"
down_revision: str | None = "leads_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pii_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(128), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("lead_id", sa.String(64), nullable=False),
        sa.Column("fields", sa.JSON, nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("client", sa.String(128), nullable=True),
    )
    op.create_index("ix_pii_audit_read_at", "pii_audit", ["read_at"])
    op.create_index("ix_pii_audit_subject", "pii_audit", ["subject"])
    op.create_index("ix_pii_audit_lead_id", "pii_audit", ["lead_id"])


def downgrade() -> None:
    op.drop_table("pii_audit")
