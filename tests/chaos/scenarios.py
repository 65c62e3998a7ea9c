"""The chaos scenarios, each a function over a running platform that prints what it did and
returns the problems it found (empty: nothing lost, nothing counted twice)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.chaos.harness import (
    Killer,
    call_records,
    check_callback_book,
    check_calls_everywhere,
    check_counts,
    check_no_dead_letters,
    compare_with_rebuild,
    create_leads,
    daily_dials,
    diff_snapshots,
    lag,
    memory,
    post_calls,
    post_concurrently,
    publish_log_again,
    say,
    snapshot,
    stop_services,
    wait_caught_up,
)
from tests.platform import SERVICES, RunningPlatform


@dataclass
class Outcome:
    name: str
    problems: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)

    def report(self) -> None:
        figures = ", ".join(f"{k} {v}" for k, v in self.figures.items())
        say(f"{self.name}: {figures}")
        for problem in self.problems:
            say(f"{self.name}: FAILED CHECK: {problem}")
        say(f"{self.name}: {'FAILED' if self.problems else 'passed'}")


def kill9(platform: RunningPlatform, *, calls: int, rate: float, kills_per_service: int, seed: int = 9) -> Outcome:
    """Calls flow through the gateway while every service is killed with SIGKILL at random
    moments and restarted half a second later. Then: every projection equals a rebuild from the
    log, every accepted call is in every per-call table once, the daily report counts it once."""
    outcome = Outcome("kill -9")
    records = call_records(f"k9-{seed}", calls)
    # Spread the kills over the time the calls take to post.
    window = calls / rate
    gap = max(window / (kills_per_service * len(SERVICES)), 0.2)
    killer = Killer(platform, SERVICES, kills_per_service=kills_per_service, every=(gap * 0.5, gap * 1.5), seed=seed)
    say(
        f"kill -9: posting {calls} calls at {rate}/s while killing each of {', '.join(SERVICES)} "
        f"{kills_per_service} times"
    )
    killer.start()
    started = time.monotonic()
    posted = post_calls(platform.gateway_url, records, rate=rate)
    killer.join(timeout=max(window * 3, 60))
    killer.stop()
    # Whatever is still down comes back before the checks.
    for service in SERVICES:
        if platform.procs[service].poll() is not None:
            platform.start(service)
    say(
        f"kill -9: {len(posted.accepted)} accepted ({posted.retries} retries; answers {dict(posted.statuses)}) "
        f"in {time.monotonic() - started:.0f}s; kills {dict(killer.kills)}"
    )
    caught_up = wait_caught_up(platform)
    events = sum(asyncio.run(lag(platform))[1])  # every event in the four streams, each checked below
    outcome.problems += [f"500: {e}" for e in posted.server_errors]
    outcome.problems += [f"never accepted: {c}" for c in posted.given_up]
    outcome.problems += check_calls_everywhere(platform, posted.accepted)
    days = [r["placed_at"][:10] for r in records if r["call_id"] in posted.accepted]
    dials = daily_dials(platform.gateway_url, days)
    say(f"kill -9: daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    if dials != len(posted.accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    outcome.problems += check_callback_book(platform)
    outcome.problems += check_counts(platform)
    # Every record is valid: an event dead-lettered here is one a projection never applied.
    outcome.problems += check_no_dead_letters(platform)
    stop_services(platform)
    differences, rows = compare_with_rebuild(platform)
    outcome.problems += differences
    outcome.figures = {
        "calls accepted": len(posted.accepted),
        "kills survived": sum(killer.kills.values()),
        "kills per service": dict(killer.kills),
        "caught up after (s)": round(caught_up, 1),
        "events in the log": events,
        "rows compared with a rebuild": rows,
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome


def _dials_for(platform: RunningPlatform, records: list[dict[str, Any]], accepted: Iterable[str]) -> int:
    wanted = set(accepted)
    return daily_dials(platform.gateway_url, [r["placed_at"][:10] for r in records if r["call_id"] in wanted])


def duplicates(platform: RunningPlatform, *, calls: int, leads: int = 12, times: int = 20, seed: int = 2) -> Outcome:
    """The same call posted ``times`` times at once is accepted once and counted once; then
    every event in the log is published again (same ce-id and body, a new Nats-Msg-Id, as
    after the duplicate window) and no table of any service changes, nor the daily report."""
    outcome = Outcome("duplicates")
    records = call_records(f"dup-{seed}", calls)
    # One of each kind the dataset has is the twin: the first with a callback agreed, so
    # scheduling books it, and findings, so QA checks it, if the dataset has one.
    twin = next((r for r in records if r.get("callback_at")), records[0])
    # The first calls go to leads the leads service knows, so TM_LEADS has events to copy too.
    create_leads(platform.gateway_url, records[:leads])
    say(
        f"duplicates: {leads} leads created; posting {calls} calls, {twin['call_id']} ({twin['disposition']}) "
        f"{times} times at once"
    )
    answers = post_concurrently(platform.gateway_url, twin, times)
    posted = post_calls(platform.gateway_url, [r for r in records if r is not twin], rate=20)
    accepted = {**posted.accepted}
    say(f"duplicates: {twin['call_id']} answered {dict(answers)}")
    if sum(n for status, n in answers.items() if 200 <= status < 300) != times:
        outcome.problems.append(f"{twin['call_id']} posted {times} times: answers {dict(answers)}")
    if answers[202] != 1:
        outcome.problems.append(f"{twin['call_id']} accepted as new {answers[202]} times, not once")
    accepted[twin["call_id"]] = 202
    outcome.problems += [f"500: {e}" for e in posted.server_errors]
    wait_caught_up(platform)
    outcome.problems += check_calls_everywhere(platform, accepted)
    dials = _dials_for(platform, records, accepted)
    say(f"duplicates: daily report counts {dials} dials for {len(accepted)} accepted calls")
    if dials != len(accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(accepted)} accepted calls")
    outcome.problems += check_counts(platform)

    before = snapshot(platform)
    again = publish_log_again(platform)
    say(f"duplicates: published {sum(again.values())} stored events again: {dict(again)}")
    wait_caught_up(platform)
    after = snapshot(platform)
    differences = diff_snapshots(before, after)
    outcome.problems += differences
    dials_after = _dials_for(platform, records, accepted)
    say(f"duplicates: daily report counts {dials_after} dials after the copies (before: {dials})")
    if dials_after != dials:
        outcome.problems.append(f"daily report counts {dials_after} dials after the copies, {dials} before")
    outcome.problems += check_counts(platform)
    outcome.problems += check_callback_book(platform)
    outcome.problems += check_no_dead_letters(platform)
    outcome.figures = {
        "calls accepted": len(accepted),
        "answers to the twin": dict(answers),
        "events published again": sum(again.values()),
        "rows compared before/after": sum(len(t.rows) for dump in after.values() for t in dump.values()),
        "tables changed by the copies": len(differences),
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome


def soak(
    platform: RunningPlatform,
    *,
    seconds: float,
    rate: float,
    max_growth: float = 0.10,
    max_lag_seconds: float = 10.0,
    workers: int = 32,
) -> Outcome:
    """Calls at ``rate`` per second for ``seconds``: the memory of every process (RSS) grows
    less than ``max_growth`` from the warmed-up start to the end, the projections are back
    to zero lag within ``max_lag_seconds`` of the load stopping, and every call is counted once."""
    outcome = Outcome("soak")
    chunk = max(int(rate * 5), 1)  # records made five seconds' worth at a time: 120,000 would not fit
    warm_up = max(10.0, seconds * 0.2)
    say(f"soak: calls at {rate:g}/s for {seconds:g}s; memory measured after {warm_up:g}s of warm-up")
    accepted: dict[str, int] = {}
    records_days: list[str] = []
    start = time.monotonic()
    first: dict[str, int] | None = None
    posted_count = 0
    while time.monotonic() - start < seconds:
        left = seconds - (time.monotonic() - start)
        batch = call_records("soak", max(1, min(chunk, int(left * rate))), start=posted_count)
        posted = post_calls(platform.gateway_url, batch, rate=rate, workers=workers)
        outcome.problems += [f"500: {e}" for e in posted.server_errors]
        outcome.problems += [f"never accepted: {c}" for c in posted.given_up]
        accepted.update(posted.accepted)
        records_days += [r["placed_at"][:10] for r in batch if r["call_id"] in posted.accepted]
        posted_count += len(batch)
        if first is None and time.monotonic() - start >= warm_up:
            first = memory(platform)
            say(f"soak: warmed up after {posted_count} calls: RSS {_mb(first)}")
    load_seconds = time.monotonic() - start
    stopped = time.monotonic()
    caught_up = wait_caught_up(platform, timeout=max(240.0, seconds))
    lag_seconds = time.monotonic() - stopped
    last = memory(platform)
    first = first or last
    say(
        f"soak: {len(accepted)} accepted in {load_seconds:.0f}s ({len(accepted) / load_seconds:.0f}/s achieved); "
        f"lag back to zero {lag_seconds:.1f}s after the load stopped"
    )
    growth = {s: (last[s] - first[s]) / first[s] for s in first}
    say(f"soak: RSS at the end {_mb(last)}; growth " + ", ".join(f"{s} {g:+.1%}" for s, g in growth.items()))
    outcome.problems += [
        f"{s}: memory grew {g:.1%} (from {first[s] >> 20} MB to {last[s] >> 20} MB)"
        for s, g in growth.items()
        if g > max_growth
    ]
    achieved = len(accepted) / load_seconds
    if achieved < rate * 0.8:
        outcome.problems.append(
            f"the platform took {achieved:.0f} calls/s, not the {rate:g}/s asked: not a soak at that rate"
        )
    if lag_seconds > max_lag_seconds:
        outcome.problems.append(f"lag back to zero only {lag_seconds:.1f}s after the load stopped")
    outcome.problems += check_calls_everywhere(platform, accepted)
    dials = daily_dials(platform.gateway_url, records_days)
    say(f"soak: daily report counts {dials} dials for {len(accepted)} accepted calls")
    if dials != len(accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(accepted)} accepted calls")
    outcome.problems += check_counts(platform)
    outcome.figures = {
        "calls accepted": len(accepted),
        "rate achieved (/s)": round(len(accepted) / load_seconds, 1),
        "rate asked (/s)": rate,
        "lag to zero after the load (s)": round(lag_seconds, 1),
        "caught up check (s)": round(caught_up, 1),
        "largest RSS growth": f"{max(growth.values()):+.1%}",
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome


def _mb(sizes: dict[str, int]) -> str:
    return ", ".join(f"{s} {n / 2**20:.0f} MB" for s, n in sizes.items())
