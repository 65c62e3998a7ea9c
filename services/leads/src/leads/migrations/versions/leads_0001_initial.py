"""leads: personal data, read model, import and reaction records (see leads/tables.py)

Revision ID: leads_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "leads_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("leads",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    op.create_table(
        "call_attempt",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("number_id", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=False),
        sa.Column("connected", sa.Boolean(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_index(op.f("ix_call_attempt_lead_id"), "call_attempt", ["lead_id"], unique=False)
    op.create_index(op.f("ix_call_attempt_number_id"), "call_attempt", ["number_id"], unique=False)
    op.create_table(
        "call_reaction",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("reacted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )
    op.create_table(
        "dnc_entry",
        sa.Column("entry_id", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("number_id", sa.String(length=64), nullable=True),
        sa.Column("number_digest", sa.String(length=64), nullable=True),
        sa.Column("masked", sa.String(length=32), nullable=True),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_index(op.f("ix_dnc_entry_lead_id"), "dnc_entry", ["lead_id"], unique=False)
    op.create_index(op.f("ix_dnc_entry_number_digest"), "dnc_entry", ["number_digest"], unique=False)
    op.create_table(
        "import_fingerprint",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint"),
    )
    op.create_table(
        "import_job",
        sa.Column("import_id", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("file_digest", sa.String(length=64), nullable=False),
        sa.Column("file_size", sa.BigInteger(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=True),
        sa.Column("encoding", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total_rows", sa.Integer(), nullable=True),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("merged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("duplicate", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("columns", sa.JSON(), nullable=True),
        sa.Column("unmapped_columns", sa.JSON(), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("import_id"),
    )
    op.create_index(op.f("ix_import_job_file_digest"), "import_job", ["file_digest"], unique=False)
    op.create_table(
        "import_row",
        sa.Column("import_id", sa.String(length=64), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "row_no"),
    )
    op.create_index("ix_import_row_status", "import_row", ["import_id", "status"], unique=False)
    op.create_table(
        "lead",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("owner_agent_id", sa.String(length=128), nullable=True),
        sa.Column("owner_team_id", sa.String(length=128), nullable=True),
        sa.Column("tier", sa.String(length=32), nullable=True),
        sa.Column("industry", sa.String(length=128), nullable=True),
        sa.Column("region", sa.String(length=128), nullable=True),
        sa.Column("size", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=128), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("referred_by_lead_id", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("dnc", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("dnc_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dnc_reason", sa.Text(), nullable=True),
        sa.Column("dnc_source", sa.String(length=64), nullable=True),
        sa.Column("flagged", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index(op.f("ix_lead_created_at"), "lead", ["created_at"], unique=False)
    op.create_index(op.f("ix_lead_flagged"), "lead", ["flagged"], unique=False)
    op.create_index(op.f("ix_lead_industry"), "lead", ["industry"], unique=False)
    op.create_index(op.f("ix_lead_owner_agent_id"), "lead", ["owner_agent_id"], unique=False)
    op.create_index(op.f("ix_lead_owner_team_id"), "lead", ["owner_team_id"], unique=False)
    op.create_index(op.f("ix_lead_region"), "lead", ["region"], unique=False)
    op.create_index(op.f("ix_lead_tier"), "lead", ["tier"], unique=False)
    op.create_table(
        "lead_assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("owner_agent_id", sa.String(length=128), nullable=True),
        sa.Column("owner_team_id", sa.String(length=128), nullable=True),
        sa.Column("previous_agent_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_lead_assignment_lead_id"), "lead_assignment", ["lead_id"], unique=False)
    op.create_table(
        "lead_contact",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("connected", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index(op.f("ix_lead_contact_last_contact_at"), "lead_contact", ["last_contact_at"], unique=False)
    op.create_table(
        "lead_flag",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("flag", sa.String(length=32), nullable=False),
        sa.Column("number_id", sa.String(length=64), nullable=False),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("lead_id", "flag", "number_id"),
    )
    op.create_table(
        "lead_number",
        sa.Column("number_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("masked", sa.String(length=32), nullable=False),
        sa.Column("number_digest", sa.String(length=64), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=True),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("area", sa.String(length=128), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("dnc", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("dnc_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dnc_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("number_id"),
    )
    op.create_index(op.f("ix_lead_number_lead_id"), "lead_number", ["lead_id"], unique=False)
    op.create_index(op.f("ix_lead_number_number_digest"), "lead_number", ["number_digest"], unique=False)
    op.create_table(
        "lead_number_pii",
        sa.Column("number_id", sa.String(length=64), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("e164", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("match_key", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("number_id"),
        sa.UniqueConstraint("match_key"),
    )
    op.create_index(op.f("ix_lead_number_pii_e164"), "lead_number_pii", ["e164"], unique=False)
    op.create_index(op.f("ix_lead_number_pii_lead_id"), "lead_number_pii", ["lead_id"], unique=False)
    op.create_table(
        "lead_pii",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("name_digest", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index(op.f("ix_lead_pii_name_digest"), "lead_pii", ["name_digest"], unique=False)
    op.create_table(
        "lead_tag",
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("tag", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("lead_id", "tag"),
    )
    op.create_index("ix_lead_tag_tag", "lead_tag", ["tag"], unique=False)
    op.create_table(
        "lead_tier_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        sa.Column("previous_tier", sa.String(length=32), nullable=True),
        sa.Column("call_id", sa.String(length=128), nullable=True),
        sa.Column("disposition", sa.String(length=64), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_lead_tier_history_lead_id"), "lead_tier_history", ["lead_id"], unique=False)
    op.create_table(
        "qa_refusal",
        sa.Column("call_id", sa.String(length=128), nullable=False),
        sa.Column("violation_id", sa.String(length=128), nullable=False),
        sa.Column("lead_id", sa.String(length=64), nullable=True),
        sa.Column("applied", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("call_id"),
    )


def downgrade() -> None:
    op.drop_table("qa_refusal")
    op.drop_index(op.f("ix_lead_tier_history_lead_id"), table_name="lead_tier_history")
    op.drop_table("lead_tier_history")
    op.drop_index("ix_lead_tag_tag", table_name="lead_tag")
    op.drop_table("lead_tag")
    op.drop_index(op.f("ix_lead_pii_name_digest"), table_name="lead_pii")
    op.drop_table("lead_pii")
    op.drop_index(op.f("ix_lead_number_pii_lead_id"), table_name="lead_number_pii")
    op.drop_index(op.f("ix_lead_number_pii_e164"), table_name="lead_number_pii")
    op.drop_table("lead_number_pii")
    op.drop_index(op.f("ix_lead_number_number_digest"), table_name="lead_number")
    op.drop_index(op.f("ix_lead_number_lead_id"), table_name="lead_number")
    op.drop_table("lead_number")
    op.drop_table("lead_flag")
    op.drop_index(op.f("ix_lead_contact_last_contact_at"), table_name="lead_contact")
    op.drop_table("lead_contact")
    op.drop_index(op.f("ix_lead_assignment_lead_id"), table_name="lead_assignment")
    op.drop_table("lead_assignment")
    op.drop_index(op.f("ix_lead_tier"), table_name="lead")
    op.drop_index(op.f("ix_lead_region"), table_name="lead")
    op.drop_index(op.f("ix_lead_owner_team_id"), table_name="lead")
    op.drop_index(op.f("ix_lead_owner_agent_id"), table_name="lead")
    op.drop_index(op.f("ix_lead_industry"), table_name="lead")
    op.drop_index(op.f("ix_lead_flagged"), table_name="lead")
    op.drop_index(op.f("ix_lead_created_at"), table_name="lead")
    op.drop_table("lead")
    op.drop_index("ix_import_row_status", table_name="import_row")
    op.drop_table("import_row")
    op.drop_index(op.f("ix_import_job_file_digest"), table_name="import_job")
    op.drop_table("import_job")
    op.drop_table("import_fingerprint")
    op.drop_index(op.f("ix_dnc_entry_number_digest"), table_name="dnc_entry")
    op.drop_index(op.f("ix_dnc_entry_lead_id"), table_name="dnc_entry")
    op.drop_table("dnc_entry")
    op.drop_table("call_reaction")
    op.drop_index(op.f("ix_call_attempt_number_id"), table_name="call_attempt")
    op.drop_index(op.f("ix_call_attempt_lead_id"), table_name="call_attempt")
    op.drop_table("call_attempt")
