"""Projection lease: the checkpoint row names the replica applying the projection.

Revision ID: common_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0002"
down_revision: str | None = "common_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projection_checkpoint") as batch:
        batch.add_column(sa.Column("holder", sa.String(200)))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("projection_checkpoint") as batch:
        batch.drop_column("lease_until")
        batch.drop_column("holder")
