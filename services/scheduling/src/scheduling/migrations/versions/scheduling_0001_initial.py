"""scheduling: callbacks (the agenda and the due index), lead state, outbox, policy overrides,
agent absences

Revision ID: scheduling_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("scheduling",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    op.create_table(
        "sched_lead",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("timezone", sa.String(64)),
        sa.Column("country", sa.String(8)),
        sa.Column("owner_agent_id", sa.String(128)),
        sa.Column("owner_team_id", sa.String(128)),
        sa.Column("opted_out", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("dnc_until", sa.DateTime(timezone=True)),
        sa.Column("tier", sa.String(32)),
        sa.Column("no_answer_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cycle", sa.Integer, nullable=False, server_default="1"),
        sa.Column("redials", sa.Integer, nullable=False, server_default="0"),
        sa.Column("quiet_until", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "callback",
        sa.Column("callback_id", sa.String(64), primary_key=True),
        sa.Column("lead_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128)),
        sa.Column("team_id", sa.String(128)),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adjustment", sa.Text),
        sa.Column("exact", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("cycle", sa.Integer, nullable=False, server_default="1"),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("released", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("timezone", sa.String(64)),
        sa.Column("source_call_id", sa.String(128)),
        sa.Column("policy_version", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("close_reason", sa.String(128)),
        sa.Column("done_call_id", sa.String(128)),
    )
    op.create_index("ix_callback_status_due", "callback", ["status", "due_at"])
    op.create_index("ix_callback_status_released_due", "callback", ["status", "released", "due_at"])
    op.create_index("ix_callback_agent_due", "callback", ["agent_id", "due_at"])
    op.create_index("ix_callback_lead_status", "callback", ["lead_id", "status"])
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("aggregate_id", sa.String(128), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "policy_override",
        sa.Column("campaign_id", sa.String(128), primary_key=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "agent_absence",
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("reason", sa.String(256)),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("agent_absence", "policy_override", "outbox", "callback", "sched_lead"):
        op.drop_table(table)
