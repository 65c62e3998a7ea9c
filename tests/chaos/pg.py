"""A PostgreSQL server owned by the test, and the scenario that takes it away from one service.

The server is initdb'ed into a temporary directory and run with ``pg_ctl`` on a free port with
trust authentication; ``stop()`` is ``pg_ctl stop -m fast`` (connections are cut, as when a
database host goes away) and ``start()`` brings it back on the same data directory. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` system user."""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from common.testing import NatsServerProcess, _admin_sql, free_port
from sqlalchemy import text

from tests.chaos.cluster import calls_readable
from tests.chaos.harness import (
    _checkpoints,
    call_records,
    check_calls_everywhere,
    compare_with_rebuild,
    daily_dials,
    post_calls,
    say,
    stop_services,
    wait_caught_up,
)
from tests.chaos.scenarios import Outcome
from tests.platform import SERVICES, RunningPlatform, start_platform, wait_ready


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL server binaries on this machine (Debian's layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        self._user = "postgres" if os.geteuid() == 0 else None
        if self._user:
            owner = pwd.getpwnam(self._user)
            os.chmod(self.root, 0o755)
            os.chown(self.root, owner.pw_uid, owner.pw_gid)

    def _run(self, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.decode(errors='replace')[-2000:]}")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w", "start")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every session is cut at once."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        _admin_sql(self.server_url, f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def cleanup(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        except Exception:
            pass  # not running
        shutil.rmtree(self.root, ignore_errors=True)


# --- the scenario --------------------------------------------------------------------------


@dataclass
class ReadinessLog:
    """Every service's /readyz answers over time, polled from a thread."""

    platform: RunningPlatform
    every: float = 0.5
    answers: list[tuple[float, str, int]] = field(default_factory=list)  # (time, service, status)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _poll(self) -> None:
        with httpx.Client(timeout=3) as client:
            while not self._stop.wait(self.every):
                for service, url in self.platform.service_urls.items():
                    try:
                        status = client.get(url + "/readyz").status_code
                    except httpx.HTTPError:
                        status = 0
                    self.answers.append((time.monotonic(), service, status))

    def between(self, service: str, start: float, end: float) -> list[int]:
        return [s for t, name, s in self.answers if name == service and start <= t <= end]


async def _checkpoint_rows(database_url: str) -> dict[str, int]:
    return (await _checkpoints(database_url))[0]


async def _can_connect(database_url: str) -> bool:
    from common.db import create_engine

    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        await engine.dispose()


def database_outage(
    platform: RunningPlatform,
    server: PostgresServer,
    service: str,
    *,
    rate: float,
    before: float,
    outage: float,
    after: float,
    rebuild: bool = True,
) -> Outcome:
    """Calls flow through the gateway; ``service``'s own PostgreSQL is stopped (``pg_ctl stop -m
    fast``) for ``outage`` seconds and started again. Then: the other services answered ready
    and took calls throughout, with the calls read model current during the outage; the
    service reported not ready during the outage and ready after; its projections caught up
    from where they stood (every accepted call counted once, its tables equal a rebuild)."""
    outcome = Outcome(f"database outage ({service}, {outage:.0f}s)")
    total = before + outage + after
    records = call_records(f"db-{uuid.uuid4().hex[:6]}", int(total * rate))
    say(
        f"database outage: posting {len(records)} calls at {rate}/s; {service}'s PostgreSQL (port {server.port}) "
        f"goes down {before:.0f}s in, for {outage:.0f}s"
    )
    readiness = ReadinessLog(platform)
    readiness.start()
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        posting = pool.submit(post_calls, platform.gateway_url, records, rate=rate)
        time.sleep(max(0.0, started + before - time.monotonic()))
        held = asyncio.run(_checkpoint_rows(platform.database_url(service)))
        server.stop()
        down_at = time.monotonic()
        say(f"database outage: {service}'s PostgreSQL stopped at {down_at - started:.1f}s; checkpoints were {held}")
        # While it is down: calls are taken and the calls read model shows them at once.
        time.sleep(max(0.0, outage / 2 - 2.0))
        probes = call_records(f"dbp-{uuid.uuid4().hex[:6]}", 5)
        probed = post_calls(platform.gateway_url, probes, rate=5, give_up_after=5)
        readable = wait_readable(platform.gateway_url, list(probed.accepted), within=5.0)
        still_down = not asyncio.run(_can_connect(platform.database_url(service)))
        time.sleep(max(0.0, down_at + outage - time.monotonic()))
        restarting_at = time.monotonic()
        server.start()
        up_at = time.monotonic()
        say(f"database outage: {service}'s PostgreSQL started again at {up_at - started:.1f}s")
        wait_ready(platform.service_urls[service] + "/readyz", timeout=60)
        ready_after = time.monotonic() - up_at
        posted = posting.result()
    time.sleep(1.0)
    readiness.stop()
    say(
        f"database outage: {len(posted.accepted)} accepted ({posted.retries} retries; answers "
        f"{dict(posted.statuses)}) in {time.monotonic() - started:.0f}s; {service} ready {ready_after:.1f}s after"
    )
    outcome.problems += [f"500: {e}" for e in posted.server_errors]
    outcome.problems += [f"never accepted: {c}" for c in posted.given_up]

    # The others were unaffected: calls taken during the outage, and readable at once.
    during = [c for c, at in posted.accepted_at.items() if down_at <= at <= up_at]
    say(
        f"database outage: {len(during)} calls accepted during the outage; of {len(probes)} probe calls posted "
        f"mid-outage {len(probed.accepted)} were accepted and {readable} read back from the calls read model "
        f"within 5 s ({service}'s database {'still down' if still_down else 'UP AGAIN'} then)"
    )
    if not during:
        outcome.problems.append("no call accepted during the outage")
    if not still_down:
        outcome.problems.append(f"{service}'s database answered during the outage: the scenario did not happen")
    if len(probed.accepted) != len(probes) or readable != len(probes):
        outcome.problems.append(
            f"during the outage {len(probed.accepted)} of {len(probes)} probe calls accepted, {readable} readable"
        )
    posted.accepted.update(probed.accepted)
    records = [*records, *probes]
    for other in SERVICES:
        if other == service:
            continue
        answers = readiness.between(other, down_at, up_at)
        if not answers or any(s != 200 for s in answers):
            outcome.problems.append(f"{other} /readyz during the outage: {sorted(set(answers))} (wanted only 200)")
    # The service itself said so: not ready while its database was away, ready after.
    # From 2 s after the stop to 2 s before the restart began: a probe still waiting for its
    # answer when PostgreSQL comes back may rightly answer 200.
    answers = readiness.between(service, down_at + 2.0, restarting_at - 2.0)
    not_ready = sum(1 for s in answers if s == 503)
    say(f"database outage: {service} /readyz answered 503 {not_ready} of {len(answers)} times during the outage")
    if not answers or not_ready != len(answers):
        outcome.problems.append(f"{service} /readyz during the outage: {answers} (wanted 503 throughout)")

    caught_up = wait_caught_up(platform)
    resumed = asyncio.run(_checkpoint_rows(platform.database_url(service)))
    say(f"database outage: {service}'s checkpoints after catching up: {resumed}")
    behind = [k for k, seq in held.items() if resumed.get(k, 0) < seq]
    if behind:
        outcome.problems.append(f"{service} checkpoints went back: {held} then {resumed}")
    outcome.problems += check_calls_everywhere(platform, posted.accepted)
    days = [r["placed_at"][:10] for r in records if r["call_id"] in posted.accepted]
    dials = daily_dials(platform.gateway_url, days)
    say(f"database outage: daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    if dials != len(posted.accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    rows = 0
    if rebuild:
        stop_services(platform, [service])
        differences, rows = compare_with_rebuild(platform, [service])
        outcome.problems += differences
    outcome.figures = {
        "calls accepted": len(posted.accepted),
        "accepted during the outage": len(during),
        f"{service} ready after (s)": round(ready_after, 1),
        "caught up after (s)": round(caught_up, 1),
        "rows compared with a rebuild": rows,
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome


def wait_readable(gateway_url: str, call_ids: list[str], *, within: float) -> int:
    """How many of the calls GET /v1/calls/{id} returns within ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = calls_readable(gateway_url, dict.fromkeys(call_ids, 0))
        if found == len(call_ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.25)


def run(short: bool, database_for: Callable[[str], str], service: str = "reporting") -> Outcome | None:
    """The scenario on a nats-server and a PostgreSQL of its own for ``service``, the others on
    ``database_for`` (``python -m tests.chaos``); None, said why, without PostgreSQL binaries."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        say("database outage: SKIPPED, no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
        return None
    broker = NatsServerProcess(store=Path(tempfile.mkdtemp(prefix="chaos-nats-")))
    broker.start()
    server = PostgresServer(bin_dir)
    try:
        server.init()
        server.start()
        own = server.create_database(f"{service}_own")
        platform = start_platform(
            broker.url, "chaos" + uuid.uuid4().hex[:8], lambda s: own if s == service else database_for(s)
        )
        try:
            outage = 8.0 if short else 30.0
            return database_outage(platform, server, service, rate=8, before=4, outage=outage, after=6)
        finally:
            platform.stop()
    finally:
        server.cleanup()
        broker.cleanup()
