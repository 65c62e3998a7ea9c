"""The leads command handlers against the in-memory event store (``common.memory_store``) and
the service's own tables on a SQLite file: each command's load-decide-append, its retry when
another writer appends between the load and the append, and the deterministic ids that make a
re-run reaction append nothing. The same handlers on a real nats-server are exercised through
the API in ``test_service.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from common.db import create_engine, sessionmaker
from common.events.leads import LeadAssigned, LeadCreated, LeadOptedOut, LeadProfile
from common.eventstore import ConcurrencyError
from common.memory_store import MemoryEventStore
from common.outbox import Command
from leads.domain.importing import DraftNumber, LeadDraft
from leads.domain.phones import normalise
from leads.handlers import (
    OWNER,
    RECORD_CALL_OUTCOME,
    LeadsContext,
    assign_lead,
    create_or_merge,
    load,
    opt_out_lead,
    outbox_commands,
    salted_ids,
)
from leads.settings import LeadsSettings
from leads.tables import metadata


@pytest.fixture
async def ctx(tmp_path: Path) -> AsyncIterator[LeadsContext]:
    engine = create_engine(f"sqlite:///{tmp_path / 'leads.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield LeadsContext(MemoryEventStore(), sessionmaker(engine), LeadsSettings(pii_key="test-pii-key"))
    await engine.dispose()


def store_of(ctx: LeadsContext) -> MemoryEventStore:
    assert isinstance(ctx.store, MemoryEventStore)
    return ctx.store


def draft(name: str = "张伟", phone: str = "13800138000", owner: str | None = "a-1") -> LeadDraft:
    return LeadDraft(
        name=name,
        numbers=(DraftNumber(normalise(phone), "mobile"),),
        profile=LeadProfile(timezone="Asia/Shanghai"),
        owner_agent_id=owner,
        owner_team_id="t-1" if owner else None,
    )


async def test_a_new_person_is_created_and_the_same_person_again_is_a_duplicate(ctx: LeadsContext) -> None:
    created = await create_or_merge(ctx, draft())
    assert created.status == "created" and created.state.owner_agent_id == "a-1"
    assert [type(e) for e in store_of(ctx).events(OWNER, created.lead_id)] == [LeadCreated]

    again = await create_or_merge(ctx, draft(phone="+86 138 0013 8000"))
    assert (again.status, again.lead_id, again.events) == ("duplicate", created.lead_id, [])
    assert len(store_of(ctx).events(OWNER, created.lead_id)) == 1


async def test_an_assignment_raced_by_an_opt_out_is_decided_again_on_the_new_state(ctx: LeadsContext) -> None:
    """Between the assignment's load and its append the customer opts out (another request):
    the append is refused, the assignment is decided again and both facts are in the history."""
    lead_id = (await create_or_merge(ctx, draft(owner=None))).lead_id

    async def customer_opts_out(_store: MemoryEventStore) -> None:
        await opt_out_lead(ctx, lead_id, reason="asked not to be called", source="customer", until=None)

    store_of(ctx).interfere(customer_opts_out)
    outcome = await assign_lead(ctx, lead_id, "assign", agent_id="a-2", team_id="t-2")

    assert outcome.status == "updated" and store_of(ctx).conflicts == 1
    assert [type(e) for e in store_of(ctx).events(OWNER, lead_id)] == [LeadCreated, LeadOptedOut, LeadAssigned]
    # The returned state is the lead after both: what the API answers with.
    assert outcome.state.owner_agent_id == "a-2" and outcome.state.opt_out(None) is not None
    state, version = await load(ctx.store, lead_id)
    assert state == outcome.state and version == 3


async def test_a_lead_changed_on_every_retry_gives_up_with_a_concurrency_error(ctx: LeadsContext) -> None:
    lead_id = (await create_or_merge(ctx, draft(owner=None))).lead_id
    for n in range(10):

        async def other_team(_store: MemoryEventStore, n: int = n) -> None:
            await assign_lead(ctx, lead_id, "reassign", agent_id=f"b-{n}", team_id="t-9")

        store_of(ctx).interfere(other_team)
    with pytest.raises(ConcurrencyError, match=f"lead {lead_id}"):
        await assign_lead(ctx, lead_id, "reassign", agent_id="a-2", team_id="t-2")
    owners = [e.owner_agent_id for e in store_of(ctx).events(OWNER, lead_id) if isinstance(e, LeadAssigned)]
    assert "a-2" not in owners


async def test_a_call_outcome_run_twice_is_appended_once_under_ids_salted_with_the_call(
    ctx: LeadsContext,
) -> None:
    """The outbox drainer may run a queued command again after a crash: the lead's history shows
    the call, so nothing is decided twice; the ids are salted with the call, so an append retried
    inside JetStream's duplicate window would be dropped too."""
    created = await create_or_merge(ctx, draft())
    command = Command(
        name=RECORD_CALL_OUTCOME,
        command_id="cmd-1",
        data={
            "lead_id": created.lead_id,
            "call_id": "c-1",
            "disposition": "success",
            "ended_at": datetime(2026, 11, 20, 2, 6, tzinfo=UTC).isoformat(),
            "number_id": created.state.numbers[0].number_id,
        },
        correlation_id="corr-1",
        causation_id=None,
    )
    handler = outbox_commands(ctx)[RECORD_CALL_OUTCOME]
    await handler(command)
    history = (await ctx.store.load(OWNER, created.lead_id)).events
    reaction = history[1:]
    assert reaction, "a successful call changes the lead"
    assert [s.envelope.id for s in reaction] == salted_ids(created.lead_id, "call:c-1")([s.event for s in reaction])
    assert all(s.envelope.correlation_id == "corr-1" for s in reaction)

    await handler(command)
    assert len((await ctx.store.load(OWNER, created.lead_id)).events) == len(history)
    state, _ = await load(ctx.store, created.lead_id)
    assert "c-1" in state.calls
