"""reporting: call_facts and callback_facts replace agent_daily

The daily and weekly tables are now sums over one row of facts per call and per callback (see
reporting.projection). agent_daily is dropped; the projection has a new name
(``reporting-figures``), so it replays the streams from their first event into the new tables.

Revision ID: reporting_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0002"
down_revision: str | None = "reporting_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FLAGS = (
    "placed",
    "blocked",
    "connected",
    "contact",
    "interested",
    "sale",
    "appointment",
    "callback",
    "complaint_call",
)
_QA = (
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
)
_CALLBACK_FLAGS = ("scheduled", "due", "done", "missed", "cancelled")


def _dims() -> list[sa.Column]:  # type: ignore[type-arg,unused-ignore]
    return [
        sa.Column("day", sa.Date),
        sa.Column("agent_id", sa.String(128)),
        sa.Column("team_id", sa.String(128)),
        sa.Column("campaign_id", sa.String(128)),
    ]


def upgrade() -> None:
    op.create_table(
        "call_facts",
        sa.Column("call_id", sa.String(128), primary_key=True),
        *_dims(),
        *[sa.Column(c, sa.SmallInteger, nullable=False, server_default="0") for c in _FLAGS],
        sa.Column("talk_seconds", sa.Float, nullable=False, server_default="0"),
        *[sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in _QA],
        sa.Column("voided", sa.SmallInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_call_facts_day", "call_facts", ["day"])
    op.create_table(
        "callback_facts",
        sa.Column("callback_id", sa.String(128), primary_key=True),
        *_dims(),
        *[sa.Column(c, sa.SmallInteger, nullable=False, server_default="0") for c in _CALLBACK_FLAGS],
    )
    op.create_index("ix_callback_facts_day", "callback_facts", ["day"])
    op.drop_table("agent_daily")
    # The old projection's checkpoint means nothing for the new tables.
    op.execute("DELETE FROM projection_checkpoint WHERE projection LIKE 'reporting-daily@%'")


def downgrade() -> None:
    op.create_table(
        "agent_daily",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("campaign_id", sa.String(128), primary_key=True),
        sa.Column("dials", sa.Integer, nullable=False, server_default="0"),
        sa.Column("connected", sa.Integer, nullable=False, server_default="0"),
        sa.Column("talk_seconds", sa.Float, nullable=False, server_default="0"),
    )
    op.drop_index("ix_callback_facts_day", "callback_facts")
    op.drop_table("callback_facts")
    op.drop_index("ix_call_facts_day", "call_facts")
    op.drop_table("call_facts")
