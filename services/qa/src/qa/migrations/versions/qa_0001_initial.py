"""qa: calls seen, violations, fines, review queue, sampling counters, agents, complaints, outbox

Revision ID: qa_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "qa_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("qa",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    op.create_table(
        "qa_call",
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("agent_id", sa.String(128)),
        sa.Column("team_id", sa.String(128)),
        sa.Column("supervisor_id", sa.String(128)),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("lead_id", sa.String(128)),
        sa.Column("placed_at", sa.DateTime(timezone=True)),
        sa.Column("day", sa.Date),
        sa.Column("disposition", sa.String(64)),
        sa.Column("connected", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("sale", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ended", sa.JSON),
        sa.Column("turns", sa.JSON),
        sa.Column("policy_version", sa.String(64)),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_qa_call_agent_day", "qa_call", ["agent_id", "day"])
    op.create_table(
        "violation",
        sa.Column("violation_id", sa.String(64), primary_key=True),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("title", sa.String(256)),
        sa.Column("severity", sa.String(32), nullable=False),
        sa.Column("source", sa.String(16), nullable=False, server_default="auto"),
        sa.Column("complaint_id", sa.String(128)),
        sa.Column("complaint_deduction", sa.Integer, nullable=False, server_default="0"),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("team_id", sa.String(128)),
        sa.Column("supervisor_id", sa.String(128)),
        sa.Column("campaign_id", sa.String(128)),
        sa.Column("lead_id", sa.String(128)),
        sa.Column("day", sa.Date),
        sa.Column("turn", sa.Integer),
        sa.Column("span_start", sa.Integer),
        sa.Column("span_end", sa.Integer),
        sa.Column("evidence", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("fine_agent", sa.Integer, nullable=False, server_default="0"),
        sa.Column("fine_supervisor", sa.Integer, nullable=False, server_default="0"),
        sa.Column("penalty", sa.String(256)),
        sa.Column("voids_sale", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("policy_version", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False, server_default="open"),
        sa.Column("reviewer", sa.String(128)),
        sa.Column("comment", sa.Text),
        sa.Column("reviewed_at", sa.DateTime(timezone=True)),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_violation_call", "violation", ["call_id"])
    op.create_index("ix_violation_agent_day", "violation", ["agent_id", "day"])
    op.create_index("ix_violation_team_day", "violation", ["team_id", "day"])
    op.create_index("ix_violation_rule_day", "violation", ["rule", "day"])
    op.create_index("ix_violation_status", "violation", ["status"])
    op.create_table(
        "fine",
        sa.Column("fine_id", sa.String(64), primary_key=True),
        sa.Column("violation_id", sa.String(64), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("rule", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("payee", sa.String(16), nullable=False),
        sa.Column("payee_id", sa.String(128), nullable=False),
        sa.Column("amount", sa.Integer, nullable=False),
        sa.Column("penalty", sa.String(256)),
        sa.Column("day", sa.Date),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_fine_payee_day", "fine", ["payee_id", "day"])
    op.create_table(
        "review_item",
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("team_id", sa.String(128)),
        sa.Column("day", sa.Date),
        sa.Column("period", sa.String(16)),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("reviewer", sa.String(128)),
        sa.Column("comment", sa.Text),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_review_item_status_day", "review_item", ["status", "day"])
    op.create_table(
        "sample_counter",
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("seen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("sampled", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "qa_agent",
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("started_on", sa.Date, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "complaint",
        sa.Column("complaint_id", sa.String(128), primary_key=True),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("deduction", sa.Integer, nullable=False, server_default="0"),
        sa.Column("description", sa.Text),
        sa.Column("filed_by", sa.String(128)),
        sa.Column("violation_id", sa.String(64), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_complaint_call", "complaint", ["call_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("correlation_id", sa.String(128)),
        sa.Column("causation_id", sa.String(128)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_outbox_pending", "outbox", ["published_at", "id"])


def downgrade() -> None:
    for name in ("outbox", "complaint", "qa_agent", "sample_counter", "review_item", "fine", "violation", "qa_call"):
        op.drop_table(name)
