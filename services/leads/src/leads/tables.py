"""The leads database.

Three kinds of tables, with different lifecycles:

- **Personal data** (``lead_pii``, ``lead_number_pii``): the full name and the raw E.164
  numbers, written by the command handlers in the request that creates or changes a lead. They
  are *not* in the events (other teams read those), so they cannot be rebuilt from the stream
  and ``rebuild`` never touches them. ``lead_number_pii.match_key`` is unique: it is how the
  same person imported twice is recognised at once, even by two concurrent writers.
- **Read model** (``lead``, ``lead_number``, ``lead_tag``, ``lead_tier_history``,
  ``lead_assignment``, ``lead_flag``, ``dnc_entry``; ``call_attempt``, ``lead_contact``): fed
  by the projections from the leads, calls and QA streams; emptied and replayed by ``rebuild``.
- **Work records** (``import_job``, ``import_row``, ``import_fingerprint``, ``call_reaction``,
  ``qa_refusal``): what the service did, kept across rebuilds.
"""

from __future__ import annotations

from common.copies import applied_event_table
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

ID = 64

# --- personal data (written by command handlers) --------------------------------------------
lead_pii = Table(
    "lead_pii",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("full_name", String(200), nullable=False),
    Column("name_digest", String(64), nullable=True, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

lead_number_pii = Table(
    "lead_number_pii",
    metadata,
    Column("number_id", String(ID), primary_key=True),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("e164", String(32), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    # "m:<e164>" for a mobile (one person), "l:<name digest>:<e164>" for a landline an office or
    # a family shares: the same landline with another name is another person.
    Column("match_key", String(160), nullable=False, unique=True),
)

# --- read model (projections) ----------------------------------------------------------------
lead = Table(
    "lead",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("status", String(16), nullable=False, server_default="active"),  # active | merged
    Column("merged_into", String(ID), nullable=True),
    Column("owner_agent_id", String(128), nullable=True, index=True),
    Column("owner_team_id", String(128), nullable=True, index=True),
    Column("tier", String(32), nullable=True, index=True),
    Column("industry", String(128), nullable=True, index=True),
    Column("region", String(128), nullable=True, index=True),
    Column("size", String(64), nullable=True),
    Column("source", String(128), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("birth_year", Integer, nullable=True),
    Column("referred_by_lead_id", String(ID), nullable=True),
    Column("tags", JSON, nullable=False),
    Column("dnc", Boolean, nullable=False, server_default="0"),
    Column("dnc_until", DateTime(timezone=True), nullable=True),
    Column("dnc_reason", Text, nullable=True),
    Column("dnc_source", String(64), nullable=True),
    Column("flagged", Boolean, nullable=False, server_default="0", index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", BigInteger, nullable=False),
)

lead_number = Table(
    "lead_number",
    metadata,
    Column("number_id", String(ID), primary_key=True),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("masked", String(32), nullable=False),
    Column("number_digest", String(64), nullable=False, index=True),
    Column("carrier", String(64), nullable=True),
    Column("region", String(8), nullable=True),
    Column("area", String(128), nullable=True),
    Column("timezone", String(64), nullable=True),
    Column("dnc", Boolean, nullable=False, server_default="0"),
    Column("dnc_until", DateTime(timezone=True), nullable=True),
    Column("dnc_reason", Text, nullable=True),
)

lead_tag = Table(
    "lead_tag",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("tag", String(128), primary_key=True),
    Index("ix_lead_tag_tag", "tag"),
)

lead_tier_history = Table(
    "lead_tier_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("tier", String(32), nullable=False),
    Column("previous_tier", String(32), nullable=True),
    Column("call_id", String(128), nullable=True),
    Column("disposition", String(64), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=False),
)

lead_assignment = Table(
    "lead_assignment",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("owner_agent_id", String(128), nullable=True),
    Column("owner_team_id", String(128), nullable=True),
    Column("previous_agent_id", String(128), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("assigned_at", DateTime(timezone=True), nullable=False),
)

lead_flag = Table(
    "lead_flag",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("flag", String(32), primary_key=True),
    Column("number_id", String(ID), primary_key=True),  # "" for the whole lead
    Column("call_id", String(128), nullable=True),
    Column("reason", Text, nullable=True),
    Column("flagged_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
)

dnc_entry = Table(
    "dnc_entry",
    metadata,
    # A listed number: its DncEntryAdded id; a lead's opt-out: "<lead id>:<number id or *>".
    Column("entry_id", String(160), primary_key=True),
    Column("kind", String(16), nullable=False),  # number | lead
    Column("lead_id", String(ID), nullable=True, index=True),
    Column("number_id", String(ID), nullable=True),
    Column("number_digest", String(64), nullable=True, index=True),
    Column("masked", String(32), nullable=True),
    Column("source", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("removed_at", DateTime(timezone=True), nullable=True),
)

call_attempt = Table(
    "call_attempt",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("number_id", String(ID), nullable=True, index=True),
    Column("agent_id", String(128), nullable=True),
    Column("disposition", String(64), nullable=False),
    Column("connected", Boolean, nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=False),
)

lead_contact = Table(
    "lead_contact",
    metadata,
    Column("lead_id", String(ID), primary_key=True),
    Column("attempts", Integer, nullable=False),
    Column("connected", Integer, nullable=False),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_contact_at", DateTime(timezone=True), nullable=True, index=True),
)

# --- work records ------------------------------------------------------------------------------
import_job = Table(
    "import_job",
    metadata,
    Column("import_id", String(ID), primary_key=True),
    Column("filename", String(300), nullable=True),
    Column("file_digest", String(64), nullable=False, index=True),
    Column("file_size", BigInteger, nullable=False),
    Column("format", String(8), nullable=True),
    Column("encoding", String(32), nullable=True),
    Column("status", String(16), nullable=False),  # queued | running | done | failed
    Column("total_rows", Integer, nullable=True),
    Column("processed", Integer, nullable=False, server_default="0"),
    Column("created", Integer, nullable=False, server_default="0"),
    Column("merged", Integer, nullable=False, server_default="0"),
    Column("duplicate", Integer, nullable=False, server_default="0"),
    Column("rejected", Integer, nullable=False, server_default="0"),
    Column("columns", JSON, nullable=True),
    Column("unmapped_columns", JSON, nullable=True),
    Column("options", JSON, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

import_row = Table(
    "import_row",
    metadata,
    Column("import_id", String(ID), primary_key=True),
    Column("row_no", Integer, primary_key=True),  # the spreadsheet's row number (header is row 1)
    Column("status", String(16), nullable=False),  # created | merged | duplicate | rejected
    Column("lead_id", String(ID), nullable=True),
    Column("reason", Text, nullable=True),
    Index("ix_import_row_status", "import_id", "status"),
)

import_fingerprint = Table(
    "import_fingerprint",
    metadata,
    Column("fingerprint", String(64), primary_key=True),
    Column("lead_id", String(ID), nullable=False),
)

call_reaction = Table(
    "call_reaction",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("lead_id", String(ID), nullable=False),
    Column("events", Integer, nullable=False),
    Column("reacted_at", DateTime(timezone=True), nullable=False),
)

qa_refusal = Table(
    "qa_refusal",
    metadata,
    Column("call_id", String(128), primary_key=True),
    Column("violation_id", String(128), nullable=False),
    Column("lead_id", String(ID), nullable=True),
    Column("applied", Boolean, nullable=False, server_default="0"),
    Column("found_at", DateTime(timezone=True), nullable=False),
)

# The id of every leads event the read model has applied: a copy of one (published again after
# JetStream's duplicate window) would add a second assignment or tier-history row, and a late
# copy of an older event would set the lead back (see ``common.copies``).
applied_event = applied_event_table(metadata)

# --- audit (append-only, kept across rebuilds and erasures) -----------------------------------
# Every read of a lead's personal data in clear: who (subject and roles), which lead, which
# fields, when, by which path and from where. Rows are only ever inserted; an erasure keeps them
# (they name no personal data, only the lead's id).
pii_audit = Table(
    "pii_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("read_at", DateTime(timezone=True), nullable=False, index=True),
    Column("subject", String(128), nullable=False, index=True),
    Column("roles", JSON, nullable=False),
    Column("lead_id", String(ID), nullable=False, index=True),
    Column("fields", JSON, nullable=False),
    Column("path", String(500), nullable=False),
    Column("client", String(128), nullable=True),
)
