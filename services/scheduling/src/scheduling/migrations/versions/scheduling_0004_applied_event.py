"""scheduling: applied_event, the ids of the events the projection has applied

An event stored twice in the log (published again after JetStream's duplicate window, same
ce-id) was applied twice: its CallEnded booked the callback again (a unique-key failure, then a
dead letter) or counted a no-answer attempt twice. The projection now records every event's id
and passes a copy. Events applied before this revision are not recorded: their copies, should
any come, are applied as before.

Revision ID: scheduling_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0004"
down_revision: str | None = "scheduling_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("applied_event", sa.Column("event_id", sa.String(128), primary_key=True))


def downgrade() -> None:
    op.drop_table("applied_event")
