"""reporting: daily_figures, the rollup the tables are read from; dialling time per call

The daily and weekly tables were sums over one row per call, computed per request: their cost
grew with the day's volume. They are now read from ``daily_figures`` (one row per day, agent,
team and campaign) that the projection keeps up to date. ``call_facts`` gains
``dialling_seconds`` (placed to ended, for the two-hours-a-day norm); ``figures_setting`` records
the effective-talk threshold the rollup was computed with.

The rollup and the dialling time of the calls counted so far can only come from the events, so
the projection is replayed from the first event (tables emptied, checkpoints and dead letters
dropped), as reporting_0002 and reporting_0003 did.

Revision ID: reporting_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "reporting_0004"
down_revision: str | None = "reporting_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIGURES = (
    "dials",
    "blocked_dials",
    "connected",
    "contacts",
    "talk_ms",
    "effective_calls",
    "effective_talk_ms",
    "intent",
    "sales",
    "voided_sales",
    "appointments",
    "callbacks_agreed",
    "violations_found",
    "violations_confirmed",
    "violations_dismissed",
    "fines_agent",
    "fines_supervisor",
    "complaint_deductions",
    "complaints",
    "dialling_ms",
    "callbacks_scheduled",
    "callbacks_due",
    "callbacks_done",
    "callbacks_overdue",
    "callbacks_cancelled",
)


def upgrade() -> None:
    op.add_column("call_facts", sa.Column("dialling_seconds", sa.Float, nullable=False, server_default="0"))
    op.create_table(
        "daily_figures",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("agent_id", sa.String(128), primary_key=True),
        sa.Column("team_id", sa.String(128), primary_key=True),
        sa.Column("campaign_id", sa.String(128), primary_key=True),
        *[sa.Column(f, sa.BigInteger, nullable=False, server_default="0") for f in _FIGURES],
    )
    op.create_table(
        "figures_setting",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.execute("DELETE FROM call_facts")
    op.execute("DELETE FROM callback_facts")
    op.execute("DELETE FROM counted_event")
    op.execute("DELETE FROM projection_checkpoint WHERE projection LIKE 'reporting-figures@%'")
    # The replay meets the invalid events again; their letters would be kept twice.
    op.execute("DELETE FROM dead_letter WHERE projection = 'reporting-figures'")


def downgrade() -> None:
    op.drop_table("figures_setting")
    op.drop_table("daily_figures")
    op.drop_column("call_facts", "dialling_seconds")
