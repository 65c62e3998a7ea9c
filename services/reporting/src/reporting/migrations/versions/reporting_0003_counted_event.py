"""reporting: counted_event, the QA events already added to the call facts

QA's counters on a call (findings, reviews, fines, complaints) are sums: a ViolationFound
published again after JetStream's duplicate window (same ce-id, new Nats-Msg-Id) was added a
second time. The projection now keeps the id of every QA event it has added and adds each once.
The events counted before this revision are not in the table, so the call facts are replayed
from the first event (tables emptied, checkpoints dropped), as reporting_0002 did.

Revision ID: reporting_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0003"
down_revision: str | None = "reporting_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table("counted_event", sa.Column("event_id", sa.String(128), primary_key=True))
    op.execute("DELETE FROM call_facts")
    op.execute("DELETE FROM callback_facts")
    op.execute("DELETE FROM projection_checkpoint WHERE projection LIKE 'reporting-figures@%'")


def downgrade() -> None:
    op.drop_table("counted_event")
