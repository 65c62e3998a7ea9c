"""The QA service's own tables (its projection of the calls stream and its review workflow)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# One row per call QA has seen: what the rules need to re-check it when a transcript arrives.
qa_call = Table(
    "qa_call",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("agent_id", String(128)),
    Column("team_id", String(128)),
    Column("supervisor_id", String(128)),
    Column("campaign_id", String(128)),
    Column("lead_id", String(128)),
    Column("placed_at", DateTime(timezone=True)),
    Column("day", Date),
    Column("disposition", String(64)),
    Column("connected", Boolean, nullable=False, default=False),
    Column("sale", Boolean, nullable=False, default=False),
    Column("ended", JSON),  # the CallEnded data, turns left out
    Column("turns", JSON),  # the latest transcript (CallEnded's or CallTranscribed's)
    Column("policy_version", String(64)),
    Column("checked_at", DateTime(timezone=True)),
)
Index("ix_qa_call_agent_day", qa_call.c.agent_id, qa_call.c.day)

violation = Table(
    "violation",
    metadata,
    Column("violation_id", String(64), primary_key=True),
    Column("call_id", String(128), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("title", String(256)),
    Column("severity", String(32), nullable=False),
    Column("source", String(16), nullable=False, default="auto"),
    Column("complaint_id", String(128)),
    Column("complaint_deduction", Integer, nullable=False, default=0),
    Column("agent_id", String(128), nullable=False),
    Column("team_id", String(128)),
    Column("supervisor_id", String(128)),
    Column("campaign_id", String(128)),
    Column("lead_id", String(128)),
    Column("day", Date),
    Column("turn", Integer),
    Column("span_start", Integer),
    Column("span_end", Integer),
    Column("evidence", Text),
    Column("reason", Text),
    Column("fine_agent", Integer, nullable=False, default=0),
    Column("fine_supervisor", Integer, nullable=False, default=0),
    Column("penalty", String(256)),
    Column("voids_sale", Boolean, nullable=False, default=False),
    Column("policy_version", String(64)),
    Column("status", String(16), nullable=False, default="open"),
    Column("reviewer", String(128)),
    Column("comment", Text),
    Column("reviewed_at", DateTime(timezone=True)),
    Column("found_at", DateTime(timezone=True), nullable=False),
)
Index("ix_violation_call", violation.c.call_id)
Index("ix_violation_agent_day", violation.c.agent_id, violation.c.day)
Index("ix_violation_team_day", violation.c.team_id, violation.c.day)
Index("ix_violation_rule_day", violation.c.rule, violation.c.day)
Index("ix_violation_status", violation.c.status)

fine = Table(
    "fine",
    metadata,
    Column("fine_id", String(64), primary_key=True),
    Column("violation_id", String(64), nullable=False),
    Column("call_id", String(128), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payee", String(16), nullable=False),
    Column("payee_id", String(128), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("penalty", String(256)),
    Column("day", Date),
    Column("assessed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_fine_payee_day", fine.c.payee_id, fine.c.day)

review_item = Table(
    "review_item",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("agent_id", String(128), nullable=False),
    Column("team_id", String(128)),
    Column("day", Date),
    Column("period", String(16)),
    Column("reasons", JSON, nullable=False),  # ["random:share" | "random:minimum" | "finding" | "complaint"]
    Column("status", String(16), nullable=False, default="pending"),  # pending | done
    Column("reviewer", String(128)),
    Column("comment", Text),
    Column("sampled_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
)
Index("ix_review_item_status_day", review_item.c.status, review_item.c.day)

sample_counter = Table(
    "sample_counter",
    metadata,
    Column("agent_id", String(128), primary_key=True),
    Column("period", String(16), primary_key=True),
    Column("seen", Integer, nullable=False, default=0),
    Column("sampled", Integer, nullable=False, default=0),
)

qa_agent = Table(
    "qa_agent",
    metadata,
    Column("agent_id", String(128), primary_key=True),
    Column("started_on", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

complaint = Table(
    "complaint",
    metadata,
    Column("complaint_id", String(128), primary_key=True),
    Column("call_id", String(128), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("deduction", Integer, nullable=False, default=0),
    Column("description", Text),
    Column("filed_by", String(128)),
    Column("violation_id", String(64), nullable=False),
    Column("filed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_complaint_call", complaint.c.call_id)

PROJECTION_TABLES = (fine, complaint, violation, review_item, sample_counter, qa_call)
