"""scheduling: the lead's numbers and the do-not-call list, for the re-check at firing time.

Filled from the leads stream; an existing deployment gets them by ``python -m scheduling
rebuild`` (they are projections of the leads events; the callback book is left as it is).

Revision ID: scheduling_0002
Revises: scheduling_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0002"
down_revision: str | None = "scheduling_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sched_number",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("number_id", sa.String(128), primary_key=True),
        sa.Column("number_digest", sa.String(64), nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("opted_out_until", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_sched_number_number_digest", "sched_number", ["number_digest"])
    op.create_table(
        "sched_dnc",
        sa.Column("entry_id", sa.String(128), primary_key=True),
        sa.Column("number_digest", sa.String(64), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_sched_dnc_number_digest", "sched_dnc", ["number_digest"])


def downgrade() -> None:
    op.drop_table("sched_dnc")
    op.drop_table("sched_number")
