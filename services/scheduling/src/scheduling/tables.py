"""The scheduling service's own tables (created by its Alembic branch).

``callback`` is both the agenda and the due-callback index the firing loop polls (index on
``(status, due_at)``). The events a decision causes wait in the common outbox
(``common.outbox``), written in the decision's transaction, so a decision and its event are never
separated by a crash.
"""

from __future__ import annotations

from common.copies import applied_event_table
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy import Table as SATable

metadata = MetaData()

STATUSES = ("scheduled", "due", "done", "missed", "cancelled")
OPEN_STATUSES = ("scheduled", "due")

lead_state = SATable(
    "sched_lead",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("timezone", String(64)),
    Column("country", String(8)),
    Column("owner_agent_id", String(128)),
    Column("owner_team_id", String(128)),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("dnc_until", DateTime(timezone=True)),
    Column("tier", String(32)),
    Column("no_answer_attempts", Integer, nullable=False, default=0),
    Column("cycle", Integer, nullable=False, default=1),
    Column("redials", Integer, nullable=False, default=0),
    Column("quiet_until", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
)

# The lead's numbers and the do-not-call list, as the leads events tell them: a callback is
# re-checked at firing time against every number (a lead whose every number is on the list
# cannot be called back, whatever the lead-level state says).
lead_number = SATable(
    "sched_number",
    metadata,
    Column("lead_id", String(128), primary_key=True),
    Column("number_id", String(128), primary_key=True),
    Column("number_digest", String(64), nullable=False, index=True),
    Column("opted_out", Boolean, nullable=False, default=False),
    Column("opted_out_until", DateTime(timezone=True)),  # None with opted_out: permanent
)
dnc_entry = SATable(
    "sched_dnc",
    metadata,
    Column("entry_id", String(128), primary_key=True),
    Column("number_digest", String(64), nullable=False, index=True),
    Column("until", DateTime(timezone=True)),  # None: permanent
)

callback = SATable(
    "callback",
    metadata,
    Column("callback_id", String(64), primary_key=True),
    Column("lead_id", String(128), nullable=False),
    Column("agent_id", String(128)),
    Column("team_id", String(128)),
    Column("campaign_id", String(128)),
    Column("reason", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("adjustment", Text),
    Column("exact", Boolean, nullable=False, default=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("cycle", Integer, nullable=False, default=1),
    Column("revision", Integer, nullable=False, default=1),
    Column("released", Boolean, nullable=False, default=False),
    Column("timezone", String(64)),
    Column("source_call_id", String(128)),
    Column("policy_version", String(128)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("fired_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Column("close_reason", String(128)),
    Column("done_call_id", String(128)),
    Index("ix_callback_status_due", "status", "due_at"),
    Index("ix_callback_status_released_due", "status", "released", "due_at"),
    Index("ix_callback_agent_due", "agent_id", "due_at"),
    Index("ix_callback_lead_status", "lead_id", "status"),
)

policy_override = SATable(
    "policy_override",
    metadata,
    Column("campaign_id", String(128), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

agent_absence = SATable(
    "agent_absence",
    metadata,
    Column("agent_id", String(128), primary_key=True),
    Column("reason", String(256)),
    Column("since", DateTime(timezone=True), nullable=False),
)

# The id (ce-id) of every event the projection has applied. An event may be stored twice in the
# log (published again after JetStream's duplicate window): applied again, a CallEnded would
# book its callback a second time and count a no-answer attempt twice, a late CallPlaced copy
# could complete a newer callback. A copy is recognised by its id and passed.
applied_event = applied_event_table(metadata)
