"""Dead letters an SRE can replay: how often a row was replayed and when last, and one row per
projection, stream and stream sequence.

The first unique key was (projection, stream_seq): a projection fed by several streams
(reporting reads calls, scheduling and QA) dead-lettering sequence N of one stream and sequence
N of another broke it, and the runner's batch then failed on every retry, holding the stream.

It follows common_0002 directly, beside common_0003 (the outbox, written at the same time):
two heads of the common branch that touch different tables, both applied by ``upgrade heads``.

Revision ID: common_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "common_0004"
down_revision: str | None = "common_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letter") as batch:
        batch.add_column(sa.Column("replays", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("replayed_at", sa.DateTime(timezone=True)))
        batch.drop_constraint("uq_dead_letter_projection_seq", type_="unique")
        batch.create_unique_constraint("uq_dead_letter_projection_stream_seq", ["projection", "stream", "stream_seq"])


def downgrade() -> None:
    with op.batch_alter_table("dead_letter") as batch:
        batch.drop_constraint("uq_dead_letter_projection_stream_seq", type_="unique")
        batch.create_unique_constraint("uq_dead_letter_projection_seq", ["projection", "stream_seq"])
        batch.drop_column("replayed_at")
        batch.drop_column("replays")
