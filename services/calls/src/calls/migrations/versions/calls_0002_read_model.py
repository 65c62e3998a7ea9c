"""calls: the calls read model, campaign settings, and the guard's projection of lead data.

Revision ID: calls_0002
Revises: calls_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "calls_0002"
down_revision: str | None = "calls_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("team_id", sa.String(128), nullable=False),
        sa.Column("supervisor_id", sa.String(128)),
        sa.Column("lead_id", sa.String(128), nullable=False),
        sa.Column("number_id", sa.String(128)),
        sa.Column("number_digest", sa.String(64)),
        sa.Column("phone_masked", sa.String(32)),
        sa.Column("caller_number", sa.String(32)),
        sa.Column("placed_at", TS, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("answered_at", TS),
        sa.Column("ended_at", TS),
        sa.Column("ring_count", sa.Integer),
        sa.Column("hangup_by", sa.String(16)),
        sa.Column("eligibility", sa.String(16)),
        sa.Column("disposition", sa.String(64)),
        sa.Column("disposition_flags", sa.JSON),
        sa.Column("catalogue_version", sa.String(64)),
        sa.Column("contacted", sa.Boolean),
        sa.Column("callback_at", TS),
        sa.Column("talk_seconds", sa.Float),
        sa.Column("notes", sa.Text),
        sa.Column("recording_uri", sa.Text),
        sa.Column("first_contact", sa.Boolean),
        sa.Column("history", sa.JSON),
        sa.Column("heard_from", sa.String(500)),
        sa.Column("need", sa.Text),
        sa.Column("slow_answer", sa.Boolean),
        sa.Column("dropped", sa.Boolean),
        sa.Column("redial_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("refusal_reason", sa.String(64)),
        sa.Column("refusal_reasons", sa.JSON),
        sa.Column("refusal_detail", sa.Text),
        sa.Column("transcript", sa.JSON),
        sa.Column("transcribed_at", TS),
        sa.Column("updated_at", TS, nullable=False),
    )
    for name, columns in (
        ("ix_calls_lead", ["lead_id", "placed_at"]),
        ("ix_calls_agent", ["agent_id", "placed_at"]),
        ("ix_calls_team", ["team_id", "placed_at"]),
        ("ix_calls_campaign", ["campaign_id", "placed_at"]),
        ("ix_calls_day", ["day", "placed_at"]),
        ("ix_calls_disposition", ["disposition", "placed_at"]),
        ("ix_calls_number", ["number_digest", "placed_at"]),
        ("ix_calls_placed", ["placed_at", "call_id"]),
    ):
        op.create_index(name, "calls", columns)

    op.create_table(
        "campaign_settings",
        sa.Column("campaign_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("changed_by", sa.String(128)),
        sa.Column("changed_at", TS, nullable=False),
    )

    op.create_table(
        "guard_leads",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("known", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("owner_agent_id", sa.String(128)),
        sa.Column("owner_team_id", sa.String(128)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("country", sa.String(8)),
        sa.Column("tags", sa.JSON),
        sa.Column("merged_into", sa.String(128)),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("ix_guard_leads_merged_into", "guard_leads", ["merged_into"])

    op.create_table(
        "guard_numbers",
        sa.Column("lead_id", sa.String(128), primary_key=True),
        sa.Column("number_id", sa.String(128), primary_key=True),
        sa.Column("number_digest", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16)),
        sa.Column("carrier", sa.String(64)),
        sa.Column("region", sa.String(64)),
        sa.Column("timezone", sa.String(64)),
        sa.Column("flagged_invalid", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_guard_numbers_number_digest", "guard_numbers", ["number_digest"])

    op.create_table(
        "guard_dnc",
        sa.Column("entry_key", sa.String(300), primary_key=True),
        sa.Column("scope", sa.String(8), nullable=False),
        sa.Column("lead_id", sa.String(128)),
        sa.Column("number_id", sa.String(128)),
        sa.Column("number_digest", sa.String(64)),
        sa.Column("until", TS),
        sa.Column("reason", sa.Text),
        sa.Column("source", sa.String(64)),
        sa.Column("since", TS, nullable=False),
    )
    op.create_index("ix_guard_dnc_lead_id", "guard_dnc", ["lead_id"])
    op.create_index("ix_guard_dnc_number_digest", "guard_dnc", ["number_digest"])


def downgrade() -> None:
    for table in ("guard_dnc", "guard_numbers", "guard_leads", "campaign_settings", "calls"):
        op.drop_table(table)
