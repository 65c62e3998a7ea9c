"""``make chaos``: the full chaos runs, on a nats-server and databases of their own.

    python -m tests.chaos                      # the full run: 20 kills of every service, duplicates,
                                               # a 10-minute soak at 200 calls/s
    python -m tests.chaos --full               # the same, said explicitly
    python -m tests.chaos --short              # the short runs of ``make test`` (no soak)
    python -m tests.chaos --soak-seconds 60    # the soak for one minute (with --short: add it)
    python -m tests.chaos --only duplicates    # one scenario

Uses ``TEST_DATABASE_URL`` (a PostgreSQL server) when set, SQLite files otherwise. Exits
non-zero if any scenario found a loss or a double count."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

from common.testing import NatsServerProcess, _default_kind, _drop_created, _fresh_database

from tests.chaos import cluster, pg
from tests.chaos.scenarios import Outcome, duplicates, kill9, soak
from tests.platform import RunningPlatform, start_platform

Scenario = Callable[[RunningPlatform], Outcome]


def scenarios(short: bool, soak_seconds: float | None, soak_rate: float) -> dict[str, Scenario]:
    if short:
        chosen: dict[str, Scenario] = {
            "kill9": lambda p: kill9(p, calls=120, rate=10, kills_per_service=2),
            "duplicates": lambda p: duplicates(p, calls=40),
        }
    else:
        chosen = {
            "kill9": lambda p: kill9(p, calls=1500, rate=10, kills_per_service=20),
            "duplicates": lambda p: duplicates(p, calls=300),
        }
    seconds = soak_seconds if soak_seconds is not None else (None if short else 600.0)
    if seconds:
        chosen["soak"] = lambda p: soak(p, seconds=seconds, rate=soak_rate)
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--short", action="store_true", help="the short runs of make test (no soak)")
    size.add_argument("--full", action="store_true", help="the full runs (the default)")
    parser.add_argument("--soak-seconds", type=float, help="how long the soak runs (full: 600; 0: no soak)")
    parser.add_argument("--soak-rate", type=float, default=200.0, help="calls per second in the soak")
    parser.add_argument("--only", help="run one scenario (kill9, duplicates, soak, cluster, database-outage)")
    args = parser.parse_args()
    os.environ.setdefault("PROJECTION_LEASE_SECONDS", "3")
    kind = _default_kind()
    outcomes: list[Outcome] = []
    for name, scenario in scenarios(args.short, args.soak_seconds, args.soak_rate).items():
        if args.only and args.only != name:
            continue
        server = NatsServerProcess(store=Path(tempfile.mkdtemp(prefix="chaos-nats-")))
        server.start()
        platform = start_platform(server.url, "chaos" + uuid.uuid4().hex[:8], lambda _s: _fresh_database(kind))
        try:
            outcomes.append(scenario(platform))
        finally:
            platform.stop()
            server.cleanup()
            _drop_created()
    # Scenarios that bring their own broker or database: a 3-node cluster, a PostgreSQL to stop.
    own_setup: dict[str, Callable[[bool, Callable[[str], str]], Outcome | None]] = {
        "cluster": cluster.run,
        "database-outage": pg.run,
    }
    for name, run in own_setup.items():
        if args.only and args.only != name:
            continue
        try:
            outcome = run(args.short, lambda _s: _fresh_database(kind))
        finally:
            _drop_created()
        if outcome is not None:
            outcomes.append(outcome)
    print("\n== chaos summary ==")
    for outcome in outcomes:
        outcome.report()
    return 1 if any(o.problems for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
