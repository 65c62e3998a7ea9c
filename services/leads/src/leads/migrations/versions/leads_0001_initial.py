"""leads: initial

Revision ID: leads_0001
"""

from collections.abc import Sequence

revision: str = "leads_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("leads",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
