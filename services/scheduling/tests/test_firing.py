"""End to end inside the process, on real NATS and a real database, with a hand-set clock:
a call ending "not convenient, call me at 15:00" becomes a CallbackDue at 15:00 local time,
across restarts and with two replicas, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from common.outbox import OutboxDrainer, outbox_message
from common.testing import eventually
from common.timeutil import as_utc
from sqlalchemy import select, update

from scheduling import handlers as h
from scheduling.clock import ManualClock
from scheduling.context import SchedulingRuntime
from scheduling.tables import callback, lead_state
from scheduling.testing import (
    SH,
    call_ended,
    call_placed,
    client,
    dispatcher,
    lead_created,
    lead_known,
    peer_store,
    start_service,
    stream_events,
)

MORNING = datetime(2026, 11, 18, 10, 0, tzinfo=SH)  # Wednesday
AT_15 = datetime(2026, 11, 18, 15, 0, tzinfo=SH)


async def _row(runtime: Any, callback_id: str | None = None, lead_id: str | None = None) -> Any:
    async with runtime.session_factory() as session:
        query = select(callback)
        if callback_id:
            query = query.where(callback.c.callback_id == callback_id)
        if lead_id:
            query = query.where(callback.c.lead_id == lead_id)
        return (await session.execute(query.order_by(callback.c.created_at))).mappings().all()


async def test_callback_at_15_fires_at_15_once_across_restarts(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    store = peer_store(runtime)
    await lead_created(store, "l-1", owner="a-7")
    await eventually(lambda: lead_known(runtime, "l-1"))
    await call_ended(store, "c-1", "l-1", "callback", MORNING, callback_at=AT_15)

    rows = await eventually(lambda: _row(runtime, lead_id="l-1"))
    cb = rows[0]
    assert cb["status"] == "scheduled" and cb["agent_id"] == "a-7"  # the lead's owner, not the caller
    async with client(runtime) as http:
        agenda = (await http.get("/v1/agents/a-7/agenda", params={"date": "2026-11-18"})).json()
    assert [c["local_due"] for c in agenda["callbacks"]] == ["2026-11-18T15:00:00+08:00"]
    assert agenda["callbacks"][0]["exact"] is True and agenda["callbacks"][0]["adjustment"] is None
    scheduled = await eventually(lambda: stream_events(runtime, "CallbackScheduled"))
    assert scheduled[0]["callback_id"] == cb["callback_id"]

    # A restart before it is due: nothing lost.
    await runtime.stop()
    clock.set(AT_15 - timedelta(seconds=1))
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    assert await dispatcher(runtime).fire_due() == 0  # 14:59:59: not yet
    async with client(runtime) as http:
        agenda = (await http.get("/v1/agents/a-7/agenda", params={"date": "2026-11-18"})).json()
    assert [c["status"] for c in agenda["callbacks"]] == ["scheduled"]

    clock.set(AT_15)
    due = await eventually(lambda: stream_events(runtime, "CallbackDue"))
    assert len(due) == 1
    assert due[0]["callback_id"] == cb["callback_id"] and due[0]["agent_id"] == "a-7"
    assert datetime.fromisoformat(due[0]["due_at"]) == AT_15
    assert datetime.fromisoformat(due[0]["fired_at"]) == AT_15  # on time on the injected clock
    assert due[0]["local_due"] == "2026-11-18T15:00:00+08:00"

    # A restart after it fired: not fired again.
    await runtime.stop()
    clock.set(AT_15 + timedelta(minutes=1))
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    assert await dispatcher(runtime).fire_due() == 0
    await outbox(runtime).drain()
    assert len(await stream_events(runtime, "CallbackDue")) == 1
    async with client(runtime) as http:
        overdue = (await http.get("/v1/callbacks", params={"status": "overdue"})).json()["items"]
        assert [c["callback_id"] for c in overdue] == [cb["callback_id"]]
        page = (await http.get("/v1/callbacks", params={"limit": 1})).json()
        assert [c["callback_id"] for c in page["items"]] == [cb["callback_id"]] and page["next_cursor"] is None
        assert (await http.get("/v1/callbacks", params={"cursor": "garbage"})).status_code == 422

        # The agent calls: the callback is done, and no longer overdue.
        await call_placed(peer_store(runtime), "c-2", "l-1", AT_15 + timedelta(minutes=1))
        await eventually(lambda: _done(runtime, cb["callback_id"]))
        overdue = (await http.get("/v1/callbacks", params={"status": "overdue"})).json()["items"]
        assert overdue == []
    done = await eventually(lambda: stream_events(runtime, "CallbackDone"))
    assert [d["call_id"] for d in done] == ["c-2"]
    await runtime.stop()


def outbox(runtime: SchedulingRuntime) -> OutboxDrainer:
    return runtime.context.outbox


async def _done(runtime: Any, callback_id: str) -> bool:
    rows = await _row(runtime, callback_id=callback_id)
    return bool(rows and rows[0]["status"] == "done")


async def test_two_replicas_fire_each_callback_once(nats_url: str, event_namespace: str, database_url: str) -> None:
    clock = ManualClock(MORNING)
    first = await start_service(nats_url, event_namespace, database_url, clock)
    # The second replica runs only the firing loop: the shared projection runner does not yet
    # order batches between replicas that share a durable consumer (see docs/services/scheduling.md).
    second = await start_service(nats_url, event_namespace, database_url, clock, run_projections=False)
    store = peer_store(first)
    for i in range(30):
        await call_ended(store, f"c-{i}", f"l-{i}", "callback", MORNING, callback_at=AT_15 + timedelta(seconds=i))

    async def booked() -> bool:
        return len(await _row(first)) == 30

    await eventually(booked)
    clock.set(AT_15 + timedelta(minutes=1))

    async def all_due() -> list[dict[str, Any]] | None:
        due = await stream_events(first, "CallbackDue")
        return due if len(due) >= 30 else None

    due = await eventually(all_due)
    assert len(due) == 30 and len({d["callback_id"] for d in due}) == 30
    fired = dispatcher(first).stats["fired"] + dispatcher(second).stats["fired"]
    assert fired == 30  # each row taken by exactly one replica
    await first.stop()
    await second.stop()


async def test_a_publish_repeated_after_a_crash_is_dropped(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    """A replica that died after publishing but before stamping its outbox row leaves the row
    pending; publishing it again (soon, or after the duplicate window) adds nothing."""
    clock = ManualClock(AT_15)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    await call_ended(peer_store(runtime), "c-1", "l-1", "callback", MORNING, callback_at=AT_15)
    first = await eventually(lambda: stream_events(runtime, "CallbackDue"))
    await runtime.stop()
    # Again, with no firing loop or drainer of its own: we play the crashed replica's leftovers by
    # hand, and the drains below are the only publishes (a background drainer that ran late, on a
    # busy machine, took the row before the test's drain and made it answer 0).
    runtime = await start_service(
        nats_url, event_namespace, database_url, clock, run_projections=False, run_background=False
    )
    from scheduling.handlers import event_id

    row = (await _row(runtime))[0]
    due_id = event_id(row["callback_id"], "CallbackDue", row["revision"])
    for age in (timedelta(0), timedelta(minutes=10)):  # inside, then beyond the duplicate window
        async with runtime.session_factory() as session, session.begin():
            await session.execute(
                update(outbox_message)
                .where(outbox_message.c.message_id == due_id)
                .values(published_at=None, created_at=datetime.now(SH) - age)
            )
        assert await outbox(runtime).drain() == 1
        assert len(await stream_events(runtime, "CallbackDue")) == 1
    assert first[0]["_id"] == (await stream_events(runtime, "CallbackDue"))[0]["_id"]
    await runtime.stop()


async def test_rechecked_at_firing_time(nats_url: str, event_namespace: str, database_url: str) -> None:
    """A lead opted out after booking is not called; a policy change that closes the booked
    minute moves the callback with the reason; an absent owner's callback goes to the team."""
    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock, absent_agents=["a-9"])
    store = peer_store(runtime)
    await lead_created(store, "l-dnc", owner="a-7")
    await lead_created(store, "l-win", owner="a-7")
    await lead_created(store, "l-abs", owner="a-9")
    await eventually(lambda: lead_known(runtime, "l-abs"))
    for lead in ("l-dnc", "l-win", "l-abs"):
        campaign = "evening" if lead == "l-win" else "broadband"
        await call_ended(store, f"c-{lead}", lead, "callback", MORNING, callback_at=AT_15, campaign=campaign)

    async def booked() -> bool:
        return len(await _row(runtime)) == 3

    await eventually(booked)
    # Opted out, as far as the database knows, but the cancellation has not happened yet.
    async with runtime.session_factory() as session, session.begin():
        await session.execute(update(lead_state).where(lead_state.c.lead_id == "l-dnc").values(opted_out=True))
    async with client(runtime) as http:
        closed = {"window": {"periods": ["09:00-12:00", "16:00-18:00"]}}
        response = await http.put("/v1/callback-policies/evening", json=closed)
        assert response.status_code == 200, response.text
        assert response.json()["policy"]["version"].endswith("+evening.1")
        bad = await http.put("/v1/callback-policies/evening", json={"window": {"periods": ["x"]}})
        assert bad.status_code == 422
    runtime.context.policies._loaded_at = float("-inf")
    clock.set(AT_15)

    async def settled() -> dict[str, str] | None:
        rows = {r["lead_id"]: r for r in await _row(runtime)}
        states = {k: r["status"] for k, r in rows.items()}
        return states if states["l-dnc"] == "cancelled" and states["l-abs"] == "due" else None

    states = await eventually(settled)
    assert states["l-win"] == "scheduled"
    moved = (await _row(runtime, lead_id="l-win"))[0]
    assert as_utc(moved["due_at"]) == AT_15.replace(hour=16)
    assert "outside the calling window" in moved["adjustment"]
    due = await eventually(lambda: stream_events(runtime, "CallbackDue"))
    assert [(d["lead_id"], d["agent_id"], d["released"]) for d in due] == [("l-abs", None, True)]
    released = await eventually(lambda: stream_events(runtime, "CallbackReleased"))
    assert [(r["previous_agent_id"], r["reason"]) for r in released] == [("a-9", "agent_absent")]
    cancelled = await eventually(lambda: stream_events(runtime, "CallbackCancelled"))
    assert [c["reason"] for c in cancelled] == ["opted_out"]
    await runtime.stop()


async def test_a_voided_sale_books_a_rework_callback_for_its_agent(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    from common.events.qa import ReworkCallbackRequested

    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    try:
        store = peer_store(runtime)
        await lead_created(store, "l-rw", owner="a-7")
        await eventually(lambda: lead_known(runtime, "l-rw"))
        # QA confirmed QA-11 at 11:50: the rework call is due after the pause, but 12:20 is the
        # lunch rest, so it moves to 13:00.
        requested = datetime(2026, 11, 18, 11, 50, tzinfo=SH)
        request = ReworkCallbackRequested(
            call_id="c-sale",
            violation_id="v-1",
            lead_id="l-rw",
            agent_id="a-7",
            team_id="t-1",
            campaign_id="cm-1",
            rule="QA-11",
            requested_at=requested,
        )
        await store.append([request], expected_version=None)
        await store.append([request], expected_version=None)  # asked twice: booked once
        rows = await eventually(lambda: _row(runtime, lead_id="l-rw"))
        assert len(rows) == 1
        assert rows[0]["reason"] == "rework" and rows[0]["agent_id"] == "a-7"
        assert as_utc(rows[0]["due_at"]) == datetime(2026, 11, 18, 13, 0, tzinfo=SH)
    finally:
        await runtime.stop()


async def test_a_voided_sale_cancels_its_after_sale_follow_up(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    from common.events.qa import ReworkCallbackRequested

    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    try:
        store = peer_store(runtime)
        await lead_created(store, "l-void", owner="a-7")
        await eventually(lambda: lead_known(runtime, "l-void"))
        sold_at = datetime(2026, 11, 18, 10, 30, tzinfo=SH)
        await call_ended(store, "c-void", "l-void", "success", sold_at, agent="a-7")
        rows = await eventually(lambda: _row(runtime, lead_id="l-void"))
        assert [(r["reason"], r["status"]) for r in rows] == [("after_sale", "scheduled")]
        await store.append(
            [
                ReworkCallbackRequested(
                    call_id="c-void",
                    violation_id="v-void",
                    lead_id="l-void",
                    agent_id="a-7",
                    campaign_id="broadband",
                    rule="QA-11",
                    requested_at=sold_at + timedelta(hours=1),
                )
            ],
            expected_version=None,
        )

        async def both() -> Any:
            found = await _row(runtime, lead_id="l-void")
            return found if len(found) == 2 else None

        by_reason = {r["reason"]: r for r in await eventually(both)}
        assert by_reason["rework"]["status"] == "scheduled"
        assert (by_reason["after_sale"]["status"], by_reason["after_sale"]["close_reason"]) == (
            "cancelled",
            "sale_voided",
        )
        cancelled = await eventually(lambda: stream_events(runtime, "CallbackCancelled"))
        assert [c["reason"] for c in cancelled] == ["sale_voided"]
    finally:
        await runtime.stop()


async def test_an_appointment_books_its_confirmation_the_day_before(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    try:
        store = peer_store(runtime)
        await lead_created(store, "l-appt", owner="a-7")
        await eventually(lambda: lead_known(runtime, "l-appt"))
        visit = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday
        await call_ended(
            store,
            "c-appt",
            "l-appt",
            "appointment",
            datetime(2026, 11, 17, 10, 30, tzinfo=SH),
            agent="a-7",
            appointment_at=visit,
            disposition_flags=["human_answered", "customer_contact", "interested", "appointment"],
        )
        rows = await eventually(lambda: _row(runtime, lead_id="l-appt"))
        assert [r["reason"] for r in rows] == ["appointment_confirmation"]
        due = as_utc(rows[0]["due_at"])
        assert due is not None and due.astimezone(SH).date() == datetime(2026, 11, 19).date()
    finally:
        await runtime.stop()


async def test_a_callback_for_a_lead_with_no_dialable_number_is_cancelled_at_firing(
    nats_url: str, event_namespace: str, database_url: str
) -> None:
    """The lead's only number went on the do-not-call list (an imported permanent entry) after
    the callback was agreed: at its time no CallbackDue, the callback is cancelled with why."""
    from common.events.leads import DncEntryAdded

    clock = ManualClock(MORNING)
    runtime = await start_service(nats_url, event_namespace, database_url, clock)
    try:
        store = peer_store(runtime)
        await lead_created(store, "l-nodial", owner="a-7")  # its one number's digest is "d"
        await eventually(lambda: lead_known(runtime, "l-nodial"))
        await call_ended(store, "c-nodial", "l-nodial", "callback", MORNING, callback_at=AT_15)
        await eventually(lambda: _row(runtime, lead_id="l-nodial"))
        entry = DncEntryAdded(
            entry_id="dnc-1",
            number_digest="d",
            masked="138****8000",
            source="regulator_list",
            reason="imported list",
            added_at=MORNING,
        )
        await store.append([entry], expected_version=None)

        async def listed() -> bool:
            async with runtime.session_factory() as session:
                return bool(await h.dialable_numbers(session, "l-nodial", MORNING) == (1, 0))

        await eventually(listed)
        clock.set(AT_15)

        async def closed() -> Any:
            rows = await _row(runtime, lead_id="l-nodial")
            return rows if rows and rows[0]["status"] != "scheduled" else None

        (row,) = await eventually(closed, timeout=15)
        assert (row["status"], row["close_reason"]) == ("cancelled", "no_dialable_number")
        cancelled = await eventually(lambda: stream_events(runtime, "CallbackCancelled"))
        assert [c["reason"] for c in cancelled] == ["no_dialable_number"]
        assert await stream_events(runtime, "CallbackDue") == []
        async with client(runtime) as http:
            agenda = (await http.get("/v1/agents/a-7/agenda", params={"date": "2026-11-18"})).json()
        assert [(c["status"], c["close_reason"]) for c in agenda["callbacks"]] == [("cancelled", "no_dialable_number")]
    finally:
        await runtime.stop()
