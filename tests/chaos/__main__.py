"""``make chaos``: the full chaos runs, on a nats-server and databases of their own.

    python -m tests.chaos            # the full run (20 kills of every service, ...)
    python -m tests.chaos --short    # what ``make test`` runs

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

from tests.chaos.scenarios import Outcome, kill9
from tests.platform import RunningPlatform, start_platform

Scenario = Callable[[RunningPlatform], Outcome]


def scenarios(short: bool) -> dict[str, Scenario]:
    if short:
        return {"kill9": lambda p: kill9(p, calls=150, rate=10, kills_per_service=2)}
    return {"kill9": lambda p: kill9(p, calls=1500, rate=10, kills_per_service=20)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="the short runs of make test")
    parser.add_argument("--only", help="run one scenario")
    args = parser.parse_args()
    os.environ.setdefault("PROJECTION_LEASE_SECONDS", "3")
    kind = _default_kind()
    outcomes: list[Outcome] = []
    for name, scenario in scenarios(args.short).items():
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
    print("\n== chaos summary ==")
    for outcome in outcomes:
        outcome.report()
    return 1 if any(o.problems for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
