"""The rollup the tables are read from (daily_figures): kept equal to the sum of the facts it is
made of whatever arrives late, twice or corrected, and rebuilt identically from the log; on real
NATS, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from common.events.base import DomainEvent
from common.events.calls import AgentRef, CallRefused
from common.events.scheduling import CallbackCancelled, CallbackRescheduled
from common.projection import runners_for
from common.testing import ProvisionedDatabase, eventually, started_runtime
from reporting.context import ReportingRuntime
from reporting.domain.rollup import Changes, call_figures, callback_figures
from reporting.projection import DailyFigures, call_facts, callback_facts, daily_figures
from reporting.queries import GROUP_KEYS, GroupBy, facts_groups, report_table, rollup_groups, rollup_threshold
from reporting.service import SPEC
from reporting.settings import ReportingSettings
from reporting.testing import call_events, callback, caught_up, fine, qa, review, violation
from sqlalchemy import Table, select

MONDAY, FRIDAY = date(2026, 11, 16), date(2026, 11, 20)
LEVELS: tuple[GroupBy, ...] = ("agent", "team", "campaign")


# --- the pure part ----------------------------------------------------------------------------


def test_a_call_counts_its_figures_once_wherever_it_moves() -> None:
    before = {"day": MONDAY, "agent_id": "a-1", "team_id": "t-1", "campaign_id": None, "placed": 1, "sale": 1}
    after = {**before, "day": FRIDAY, "voided": 1, "talk_seconds": 45.25, "contact": 1}
    first_batch, second_batch = Changes(), Changes()
    first_batch.replace((None, {}), ((MONDAY, "a-1", "t-1", ""), call_figures(before, 30)))
    monday, friday = (MONDAY, "a-1", "t-1", ""), (FRIDAY, "a-1", "t-1", "")
    second_batch.replace((monday, call_figures(before, 30)), (friday, call_figures(after, 30)))
    rows = {r["day"]: r for r in second_batch.rows()}
    assert (rows[MONDAY]["dials"], rows[MONDAY]["sales"], rows[MONDAY]["talk_ms"]) == (-1, -1, 0)
    assert (rows[FRIDAY]["dials"], rows[FRIDAY]["sales"], rows[FRIDAY]["voided_sales"]) == (1, 1, 1)
    assert (rows[FRIDAY]["talk_ms"], rows[FRIDAY]["effective_calls"], rows[FRIDAY]["effective_talk_ms"]) == (
        45250,
        1,
        45250,
    )
    assert rows[FRIDAY]["campaign_id"] == ""  # not told yet
    assert second_batch.emptied() == [{"day": MONDAY, "agent_id": "a-1", "team_id": "t-1", "campaign_id": ""}]
    # Within one batch the call's first figures and their move cancel out: nothing for Monday.
    both = Changes()
    both.replace((None, {}), (monday, call_figures(before, 30)))
    both.replace((monday, call_figures(before, 30)), (friday, call_figures(after, 30)))
    assert [r["day"] for r in both.rows()] == [FRIDAY] and both.emptied() == []


def test_figures_of_the_facts() -> None:
    facts = {"day": FRIDAY, "placed": 1, "contact": 1, "talk_seconds": 29.9999, "complaints": 2, "complaint_call": 1}
    figures = call_figures(facts, 30)
    assert (figures["effective_calls"], figures["talk_ms"], figures["complaints"]) == (0, 30000, 2)
    assert call_figures({**facts, "talk_seconds": 30.0}, 30)["effective_calls"] == 1  # the threshold counts
    assert callback_figures({"scheduled": 1, "missed": 1}) == {
        "callbacks_scheduled": 1,
        "callbacks_due": 0,
        "callbacks_done": 0,
        "callbacks_overdue": 1,
        "callbacks_cancelled": 0,
    }


# --- on the streams ---------------------------------------------------------------------------


def corrections() -> list[DomainEvent]:
    """Events that change figures already counted, in the order they reach the streams."""
    at = datetime(2026, 11, 21, 3, tzinfo=UTC)
    return [
        # QA names c1 before the calls events, with a day and an agent of its own: they stand in
        # until CallPlaced tells the real ones (Friday, a-1), then Wednesday's figure moves.
        violation("v1", "c1", "a-2", "QA-01", call_day=date(2026, 11, 18)),
        *call_events("c1", "a-1", "2026-11-20T09:00:00+08:00", "success", 200),
        # c2's outcome is corrected by a second CallEnded: the sale goes, talk time changes.
        *call_events("c2", "a-1", "2026-11-20T09:10:00+08:00", "success", 100),
        *call_events("c2", "a-1", "2026-11-20T09:10:00+08:00", "interested", 20, placed_event=False),
        # c1's sale is voided; c3's finding is confirmed and fined; c4's is dismissed.
        qa(
            "SaleVoided",
            call_id="c1",
            violation_id="v1",
            rule="QA-11",
            agent_id="a-1",
            team_id="t-1",
            campaign_id="cm-A",
            voided_at="2026-11-21T02:00:00Z",
        ),
        *call_events("c3", "a-2", "2026-11-20T10:00:00+08:00", "interested", 90),
        violation("v3", "c3", "a-2", "QA-05"),
        review("ViolationConfirmed", "v3", "c3", "a-2", "QA-05"),
        fine("v3", "c3", "a-2", "agent", 50),
        fine("v3", "c3", "a-2", "supervisor", 20),
        *call_events("c4", "a-3", "2026-11-16T10:00:00+08:00", "complaint", 60),
        violation("v4", "c4", "a-3", "QA-07"),
        review("ViolationDismissed", "v4", "c4", "a-3", "QA-07"),
        # A call that never ended, and a refusal.
        *call_events("c5", "a-3", "2026-11-20T11:00:00+08:00", "no_answer", 0)[:1],
        CallRefused(
            call_id="r1",
            campaign_id="cm-A",
            agent=AgentRef(id="a-3", team="t-2"),
            lead_id="l-r1",
            reason="do_not_call",
            refused_at=datetime(2026, 11, 20, 2, tzinfo=UTC),
            team_id="t-2",
        ),
        # cb1 is moved from Monday to Friday; cb2 is cancelled; cb3 stays.
        callback("cb1", "a-1", "2026-11-16T06:00:00+00:00"),
        CallbackRescheduled(
            callback_id="cb1",
            lead_id="l-cb1",
            due_at=datetime(2026, 11, 20, 6, tzinfo=UTC),
            previous_due_at=datetime(2026, 11, 16, 6, tzinfo=UTC),
            reason="api",
            rescheduled_at=at,
        ),
        callback("cb2", "a-2", "2026-11-20T07:00:00+00:00"),
        CallbackCancelled(callback_id="cb2", lead_id="l-cb2", reason="sold", cancelled_at=at),
        callback("cb3", "a-3", "2026-11-20T08:00:00+00:00"),
    ]


async def dump(runtime: ReportingRuntime, table: Table) -> list[dict[str, Any]]:
    async with runtime.session_factory() as session:
        rows = (await session.execute(select(table))).mappings().all()
    return sorted((dict(r) for r in rows), key=repr)


async def assert_rollup_is_the_facts(runtime: ReportingRuntime, first: date, last: date) -> None:
    """Every day's and the range's figures, at every level, equal the sums over the facts."""
    async with runtime.session_factory() as session:
        threshold = await rollup_threshold(session)
        assert threshold == runtime.settings.effective_talk_min_seconds
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        for a, b in [(d, d) for d in days] + [(first, last)]:
            for level in LEVELS:
                keys = GROUP_KEYS[level]
                want = await facts_groups(session, a, b, keys, effective_talk_min_seconds=threshold)
                assert await rollup_groups(session, a, b, keys) == want, (a, b, level)


async def publish_copy(runtime: ReportingRuntime, owner: str, seq: int) -> None:
    """The stored event at ``seq`` once more, same ce-id, as a publisher retrying after the
    duplicate window would store it."""
    stream = runtime.names.stream(owner)
    msg = await runtime.jetstream.get_msg(stream, seq)
    headers = {k: v for k, v in (msg.headers or {}).items() if not k.lower().startswith("nats-")}
    headers["Nats-Msg-Id"] = f"{headers['ce-id']}/again"
    assert msg.subject is not None and msg.data is not None
    ack = await runtime.jetstream.publish(msg.subject, msg.data, headers=headers, stream=stream)
    assert not ack.duplicate


async def test_corrections_late_events_and_copies_move_the_rollup_and_a_rebuild_gives_the_same(
    nats_url: str, event_namespace: str, any_database: ProvisionedDatabase
) -> None:
    # Batches of two: the corrections land in other batches than what they correct.
    settings = ReportingSettings(
        nats_url=nats_url, event_namespace=event_namespace, database_url=any_database.url, projection_batch_size=2
    )
    runtime = await started_runtime(SPEC, settings)
    try:
        for event in corrections():
            await runtime.event_store.publish(event)
        # Every QA event stored a second time (a copy after the duplicate window): counted once.
        qa_last = (await runtime.jetstream.stream_info(runtime.names.stream("qa"))).state.last_seq
        for seq in range(1, qa_last + 1):
            await publish_copy(runtime, "qa", seq)
        await eventually(lambda: caught_up(runtime), timeout=30)

        async with runtime.session_factory() as session:
            rows, totals = await report_table(session, FRIDAY, FRIDAY, "agent")
            monday, _ = await report_table(session, MONDAY, MONDAY, "agent")
            wednesday, _ = await report_table(session, date(2026, 11, 18), date(2026, 11, 18), "agent")
        agents = {r["agent_id"]: r for r in rows}
        a1, a2, a3 = agents["a-1"], agents["a-2"], agents["a-3"]
        assert wednesday == []  # v1 moved to Friday with its call
        assert (a1["dials"], a1["sales"], a1["voided_sales"], a1["conversions"], a1["violations_found"]) == (
            2,
            1,
            1,
            0,
            1,
        )
        assert (a1["talk_seconds"], a1["effective_calls"], a1["intent"], a1["callbacks_scheduled"]) == (220.0, 1, 2, 1)
        assert (a2["violations_confirmed"], a2["fines_agent"], a2["fines_supervisor"], a2["callbacks_cancelled"]) == (
            1,
            50,
            20,
            1,
        )
        assert (a3["dials"], a3["blocked_dials"], a3["connected"], a3["callbacks_scheduled"]) == (1, 1, 0, 1)
        assert (totals["violations_found"], totals["dials"], totals["blocked_dials"]) == (2, 4, 1)
        assert [(r["agent_id"], r["violations_dismissed"], r["complaints"]) for r in monday] == [("a-3", 1, 1)]
        await assert_rollup_is_the_facts(runtime, MONDAY, FRIDAY + timedelta(days=2))
        live = {t.name: await dump(runtime, t) for t in (call_facts, callback_facts, daily_figures)}
        assert live["daily_figures"]
    finally:
        await runtime.stop()

    # python -m reporting rebuild: batches of 500 this time, each stream after the other.
    runtime = await started_runtime(SPEC, settings, run_projections=False)
    try:
        seen: set[str] = set()
        for runner in runners_for(
            runtime.jetstream, runtime.names, runtime.session_factory, SPEC.projections(runtime), batch_size=500
        ):
            await runner.rebuild(progress=False, reset=runner.projection.name not in seen)
            seen.add(runner.projection.name)
        rebuilt = {t.name: await dump(runtime, t) for t in (call_facts, callback_facts, daily_figures)}
        assert rebuilt == live
    finally:
        await runtime.stop()


async def test_a_new_effective_talk_threshold_recomputes_the_rollup(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    settings = ReportingSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=database_url)
    runtime = await started_runtime(SPEC, settings)
    try:
        for event in [
            *call_events("c1", "a-1", "2026-11-20T09:00:00+08:00", "interested", 45),
            *call_events("c2", "a-1", "2026-11-20T09:10:00+08:00", "success", 150),
        ]:
            await runtime.event_store.publish(event)
        await eventually(lambda: caught_up(runtime), timeout=30)
        async with runtime.session_factory() as session:
            (row,) = (await report_table(session, FRIDAY, FRIDAY))[0]
            assert (row["effective_calls"], row["effective_talk_seconds"]) == (2, 195.0)
            # Asked for another threshold than the rollup's, the table comes from the facts.
            (row,) = (await report_table(session, FRIDAY, FRIDAY, effective_talk_min_seconds=60))[0]
            assert (row["effective_calls"], row["effective_talk_seconds"]) == (1, 150.0)
    finally:
        await runtime.stop()

    # The service restarted with EFFECTIVE_TALK_MIN_SECONDS=60: its first batch recomputes.
    settings = settings.model_copy(update={"effective_talk_min_seconds": 60.0})
    runtime = await started_runtime(SPEC, settings)
    try:
        await runtime.event_store.publish(call_events("c3", "a-1", "2026-11-20T09:20:00+08:00", "success", 61)[1])
        await eventually(lambda: caught_up(runtime), timeout=30)
        async with runtime.session_factory() as session:
            assert await rollup_threshold(session) == 60.0
            groups = await rollup_groups(session, FRIDAY, FRIDAY, ("agent_id",))
            assert (groups[("a-1",)]["effective_calls"], groups[("a-1",)]["effective_talk_ms"]) == (2, 211000)
        await assert_rollup_is_the_facts(runtime, FRIDAY, FRIDAY)
    finally:
        await runtime.stop()


@pytest.mark.parametrize("batch", [1, 7])
async def test_the_projection_alone_keeps_the_rollup_whatever_the_batches(
    batch: int, nats_url: str, event_namespace: str, database_url: str
) -> None:
    """The same events applied straight through the projection in batches of 1 and 7 give the
    same rollup as the facts (the runner's per-event isolation path uses batches of one)."""
    from common.envelope import Envelope
    from common.projection import EventContext

    settings = ReportingSettings(nats_url=nats_url, event_namespace=event_namespace, database_url=database_url)
    runtime = await started_runtime(SPEC, settings, run_projections=False)
    try:
        projection = DailyFigures()
        events = corrections()
        items = [
            (e, EventContext(Envelope(type=e.event_type, source="/test", data={}, id=f"e-{i}"), "S", i + 1, "s"))
            for i, e in enumerate(events)
        ]
        for i in range(0, len(items), batch):
            async with runtime.session_factory() as session, session.begin():
                await projection.apply_batch(session, items[i : i + batch])
        await assert_rollup_is_the_facts(runtime, MONDAY, FRIDAY)
    finally:
        await runtime.stop()
