"""The chaos scenarios, each a function over a running platform that prints what it did and
returns the problems it found (empty: nothing lost, nothing counted twice)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from tests.chaos.harness import (
    Killer,
    call_records,
    check_callback_book,
    check_calls_everywhere,
    compare_with_rebuild,
    daily_dials,
    post_calls,
    say,
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
            say(f"{self.name}: LOSS OR DOUBLE COUNT: {problem}")
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
    outcome.problems += [f"500: {e}" for e in posted.server_errors]
    outcome.problems += [f"never accepted: {c}" for c in posted.given_up]
    outcome.problems += check_calls_everywhere(platform, posted.accepted)
    days = [r["placed_at"][:10] for r in records if r["call_id"] in posted.accepted]
    dials = daily_dials(platform.gateway_url, days)
    say(f"kill -9: daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    if dials != len(posted.accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    outcome.problems += check_callback_book(platform)
    stop_services(platform)
    differences, rows = compare_with_rebuild(platform)
    outcome.problems += differences
    outcome.figures = {
        "calls accepted": len(posted.accepted),
        "kills survived": sum(killer.kills.values()),
        "kills per service": dict(killer.kills),
        "caught up after (s)": round(caught_up, 1),
        "rows compared with a rebuild": rows,
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome
