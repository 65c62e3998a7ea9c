"""calls: initial (the read model's tables arrive with the calls issue).

Revision ID: calls_0001
"""

from collections.abc import Sequence

revision: str = "calls_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = ("calls",)
depends_on: str | Sequence[str] | None = "common_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
