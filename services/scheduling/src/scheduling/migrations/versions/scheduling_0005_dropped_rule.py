"""scheduling: a campaign's stored policy override loses ``rules.dropped.max_talk_seconds``

Which calls dropped is now the calls service's verdict alone (``CallEnded.dropped``, its campaign
setting ``dropped_call_seconds``); scheduling's own threshold is gone from the policy, which
refuses keys it does not know, so an override stored with it would no longer load.

Revision ID: scheduling_0005
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "scheduling_0005"
down_revision: str | None = "scheduling_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_overrides = sa.table("policy_override", sa.column("campaign_id", sa.String(128)), sa.column("document", sa.JSON))


def _without_threshold(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document without the key, or None when it has none."""
    rules = document.get("rules")
    if not isinstance(rules, dict):
        return None
    dropped = rules.get("dropped")
    if not isinstance(dropped, dict) or "max_talk_seconds" not in dropped:
        return None
    kept = {k: v for k, v in dropped.items() if k != "max_talk_seconds"}
    return {**document, "rules": {**rules, "dropped": kept}}


def upgrade() -> None:
    bind = op.get_bind()
    for campaign_id, document in bind.execute(sa.select(_overrides.c.campaign_id, _overrides.c.document)).all():
        changed = _without_threshold(dict(document or {}))
        if changed is not None:
            bind.execute(_overrides.update().where(_overrides.c.campaign_id == campaign_id).values(document=changed))


def downgrade() -> None:
    # Nothing to put back: an override without the key took the default, as it does again.
    pass
