"""leads: applied_event, the ids of the leads events the read model has applied

A copy of a leads event (published again after JetStream's duplicate window, same ce-id) was
applied again: a second assignment and tier-history row, the lead's version moved to the copy,
and a late copy of an older event would set the lead back. The read model now records every
event's id and passes a copy (``common.copies``). Events applied before this revision are not
recorded: their copies, should any come, are applied as before.

Revision ID: leads_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "leads_0002"
down_revision: str | None = "leads_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("applied_event", sa.Column("event_id", sa.String(128), primary_key=True))


def downgrade() -> None:
    op.drop_table("applied_event")
