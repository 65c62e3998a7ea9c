"""Join the two revisions written side by side on common_0002 (the outbox, common_0003, and the
dead-letter replays, common_0004) so the common branch has one head again; nothing to change.

Revision ID: common_0005
"""

from collections.abc import Sequence

revision: str = "common_0005"
down_revision: str | Sequence[str] | None = ("common_0003", "common_0004")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
