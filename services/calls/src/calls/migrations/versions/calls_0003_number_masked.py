"""calls: the guard keeps each number's masked form, so a dial by number id shows it.

Rows projected before this revision have no masked form until the leads stream is replayed
(``python -m calls rebuild``); calls placed meanwhile show ``phone_masked: null`` as before.

Revision ID: calls_0003
Revises: calls_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "calls_0003"
down_revision: str | None = "calls_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("guard_numbers", sa.Column("masked", sa.String(32)))


def downgrade() -> None:
    op.drop_column("guard_numbers", "masked")
