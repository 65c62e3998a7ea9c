"""A 3-node JetStream cluster owned by the test, and the scenario that kills one node mid-load.

Each node is a ``nats-server`` process with its own config file (server name, client port,
cluster port and routes to the other two, its own JetStream store). A node can be killed with
SIGKILL and started again on the same ports and store, as a crashed broker pod comes back on
its persistent volume; its local view of each stream is read from its monitoring endpoint
(``/jsz``), which is what "the restarted node caught up" is checked against."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import nats
from common.eventstore import EventNames
from common.testing import free_port, nats_server_binary
from nats.js.api import StreamInfo

from tests.chaos.harness import (
    OWNERS,
    Posted,
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
from tests.platform import RunningPlatform, gateway_client, start_platform


@dataclass
class Node:
    name: str
    port: int = field(default_factory=free_port)
    cluster_port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


class NatsCluster:
    """Three nats-server processes forming one JetStream cluster on free ports."""

    def __init__(self, size: int = 3, *, name: str | None = None) -> None:
        self.name = name or "chaos" + uuid.uuid4().hex[:6]
        self.root = Path(tempfile.mkdtemp(prefix="nats-cluster-"))
        self.nodes = {f"n{i + 1}": Node(f"n{i + 1}") for i in range(size)}

    @property
    def url(self) -> str:
        """Every node, comma-separated, as ``NATS_URL`` takes a cluster."""
        return ",".join(node.url for node in self.nodes.values())

    def _config(self, node: Node) -> Path:
        routes = ", ".join(f'"nats-route://127.0.0.1:{n.cluster_port}"' for n in self.nodes.values() if n is not node)
        store = self.root / node.name / "store"
        store.mkdir(parents=True, exist_ok=True)
        path = self.root / node.name / "nats.conf"
        path.write_text(
            f"server_name: {node.name}\n"
            f"listen: 127.0.0.1:{node.port}\n"
            f"http: 127.0.0.1:{node.monitor_port}\n"
            f'jetstream {{ store_dir: "{store}", max_memory_store: 256MB, max_file_store: 2GB }}\n'
            f"cluster {{\n  name: {self.name}\n  listen: 127.0.0.1:{node.cluster_port}\n  routes: [{routes}]\n}}\n"
        )
        return path

    def start_node(self, name: str) -> None:
        node = self.nodes[name]
        config = self._config(node)
        with open(self.root / node.name / "server.log", "ab") as log:
            node.proc = subprocess.Popen(
                [nats_server_binary(), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
            )

    def kill_node(self, name: str) -> None:
        """SIGKILL: no clean shutdown, no leadership hand-over, as a node failure."""
        node = self.nodes[name]
        if node.proc is not None and node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait(timeout=10)
        node.proc = None

    def start(self, timeout: float = 60.0) -> None:
        for name in self.nodes:
            self.start_node(name)
        self.wait_jetstream(timeout=timeout)

    def wait_jetstream(self, names: list[str] | None = None, timeout: float = 60.0) -> None:
        """Until JetStream answers on every given node (the meta leader is elected and the node
        is part of the meta group): account info fails with 503 before that."""
        deadline = time.monotonic() + timeout
        pending = list(names or self.nodes)
        last: object = None
        while pending and time.monotonic() < deadline:
            try:
                asyncio.run(self._account_info(self.nodes[pending[0]].url))
                pending.pop(0)
                continue
            except Exception as exc:
                last = exc
            time.sleep(0.25)
        if pending:
            raise RuntimeError(f"JetStream not available on {pending} in {timeout}s: {last!r}")

    @staticmethod
    async def _account_info(url: str) -> None:
        host, port = url.removeprefix("nats://").split(":")
        with socket.create_connection((host, int(port)), timeout=1):
            pass  # listening; nats.connect would log a refused connection as an error
        nc = await nats.connect(url, connect_timeout=2, allow_reconnect=False)
        try:
            await nc.jetstream(timeout=2).account_info()
        finally:
            await nc.close()

    async def stream_infos(self, streams: list[str]) -> dict[str, StreamInfo]:
        """Each stream as its leader reports it (the client is sent to the leader by the API)."""
        nc = await nats.connect(self.url.split(","), connect_timeout=2)
        try:
            js = nc.jetstream(timeout=5)
            return {stream: await js.stream_info(stream) for stream in streams}
        finally:
            await nc.close()

    def local_last_seqs(self, name: str) -> dict[str, int]:
        """The last sequence of every stream in this node's own store (its monitoring endpoint),
        whether it leads the stream or follows."""
        node = self.nodes[name]
        resp = httpx.get(f"http://127.0.0.1:{node.monitor_port}/jsz", params={"streams": "true"}, timeout=5)
        resp.raise_for_status()
        seqs: dict[str, int] = {}
        for account in resp.json().get("account_details") or []:
            for stream in account.get("stream_detail") or []:
                seqs[stream["name"]] = int(stream["state"]["last_seq"])
        return seqs

    def cleanup(self) -> None:
        for name in self.nodes:
            self.kill_node(name)
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the processes started inside (start_platform copies
    ``os.environ``), and put the old values back afterwards."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


# --- the scenario --------------------------------------------------------------------------


@dataclass
class Outage:
    node: str
    down_at: float
    up_at: float = 0.0
    leader_of: list[str] = field(default_factory=list)


def node_loss(
    platform: RunningPlatform,
    cluster: NatsCluster,
    *,
    calls: int,
    rate: float,
    outages: int = 1,
    down: float = 12.0,
    rebuild: bool = True,
) -> Outcome:
    """Calls flow through the gateway while the node leading TM_CALLS is killed with SIGKILL
    (``outages`` times, spread over the load) and started again ``down`` seconds later (longer
    than a Raft election, 4 to 9 s in nats-server, so the survivors elect new leaders while it is
    away and the platform must fail over to them). Then:
    every call that got a 2xx is in every per-call table and the daily report exactly once and
    readable at GET /v1/calls/{id}; calls were accepted while a node was down (clients failed
    over); the restarted node holds every stream up to the leader's last sequence."""
    outcome = Outcome("cluster node loss")
    names = EventNames(platform.env["EVENT_NAMESPACE"])
    streams = [names.stream(owner) for owner in OWNERS]
    calls_stream = names.stream("calls")
    records = call_records(f"cl-{uuid.uuid4().hex[:6]}", calls)
    window = calls / rate
    say(
        f"cluster: posting {calls} calls at {rate}/s through a 3-node cluster ({cluster.url}), streams at 3 "
        f"replicas; killing the {calls_stream} leader {outages} time(s) for {down}s each"
    )
    infos = asyncio.run(cluster.stream_infos(streams))
    for stream, info in infos.items():
        replicas = info.config.num_replicas
        if replicas != 3:
            outcome.problems.append(f"{stream} has {replicas} replicas, not 3")
    done: list[Outage] = []
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        posting = pool.submit(post_calls, platform.gateway_url, records, rate=rate)
        for round_ in range(outages):
            # Outages at even intervals inside the load, leaving load before and after each.
            time.sleep(max(0.0, started + window * (round_ + 1) / (outages + 1) - down / 2 - time.monotonic()))
            leaders = {
                s: i.cluster.leader if i.cluster else None
                for s, i in asyncio.run(cluster.stream_infos(streams)).items()
            }
            victim = leaders[calls_stream] or "n1"
            outage = Outage(victim, time.monotonic(), leader_of=[s for s, n in leaders.items() if n == victim])
            cluster.kill_node(victim)
            say(
                f"cluster: kill -9 {victim} (leader of {', '.join(outage.leader_of) or 'nothing'}) at "
                f"{outage.down_at - started:.1f}s"
            )
            time.sleep(down)
            cluster.start_node(victim)
            outage.up_at = time.monotonic()
            done.append(outage)
            say(f"cluster: {victim} started again at {outage.up_at - started:.1f}s")
        posted: Posted = posting.result()
    say(
        f"cluster: {len(posted.accepted)} accepted ({posted.retries} retries; answers {dict(posted.statuses)}) "
        f"in {time.monotonic() - started:.0f}s"
    )
    outcome.problems += [f"500: {e}" for e in posted.server_errors]
    outcome.problems += [f"never accepted: {c}" for c in posted.given_up]

    # Clients failed over: the platform kept accepting calls while a node was down.
    during = [sum(1 for at in posted.accepted_at.values() if o.down_at <= at <= o.up_at) for o in done]
    say(f"cluster: calls accepted while the node was down: {during} (per outage)")
    if not all(during):
        outcome.problems.append(f"no call accepted during an outage (accepted per outage: {during})")

    caught_up = wait_caught_up(platform)
    outcome.problems += check_calls_everywhere(platform, posted.accepted)
    days = [r["placed_at"][:10] for r in records if r["call_id"] in posted.accepted]
    dials = daily_dials(platform.gateway_url, days)
    say(f"cluster: daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    if dials != len(posted.accepted):
        outcome.problems.append(f"daily report counts {dials} dials for {len(posted.accepted)} accepted calls")
    readable = calls_readable(platform.gateway_url, posted.accepted)
    say(f"cluster: GET /v1/calls/{{id}} answers {readable} of {len(posted.accepted)} accepted calls")
    if readable != len(posted.accepted):
        outcome.problems.append(f"GET /v1/calls/{{id}} finds {readable} of {len(posted.accepted)} accepted calls")

    # The restarted nodes caught up: their own stores end where the leaders' do.
    outcome.problems += check_replicas_current(cluster, streams, [o.node for o in done])

    rows = 0
    if rebuild:
        stop_services(platform)
        differences, rows = compare_with_rebuild(platform)
        outcome.problems += differences
    outcome.figures = {
        "calls accepted": len(posted.accepted),
        "client retries": posted.retries,
        "answers": dict(posted.statuses),
        "nodes killed": [o.node for o in done],
        "accepted while a node was down": during,
        "caught up after (s)": round(caught_up, 1),
        "rows compared with a rebuild": rows,
        "losses or double counts": len(outcome.problems),
    }
    outcome.report()
    return outcome


def calls_readable(gateway_url: str, call_ids: dict[str, int]) -> int:
    """How many of the calls the calls read model returns (GET /v1/calls/{id} 200)."""
    with gateway_client(gateway_url) as client:
        return sum(1 for call_id in call_ids if client.get(f"/v1/calls/{call_id}").status_code == 200)


def check_replicas_current(
    cluster: NatsCluster, streams: list[str], restarted: list[str], timeout: float = 60
) -> list[str]:
    """Every restarted node's own copy of every stream ends at the leader's last sequence, and
    the leader sees every replica current."""
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    while time.monotonic() < deadline:
        problems = []
        leaders = asyncio.run(cluster.stream_infos(streams))
        for name in sorted(set(restarted)):
            local = cluster.local_last_seqs(name)
            for stream, info in leaders.items():
                if local.get(stream) != info.state.last_seq:
                    problems.append(
                        f"{name} holds {stream} up to {local.get(stream)}, the leader {info.state.last_seq}"
                    )
        for stream, info in leaders.items():
            for peer in (info.cluster.replicas if info.cluster else None) or []:
                if not peer.current or peer.offline:
                    problems.append(f"{stream}: replica {peer.name} not current (lag {peer.lag})")
        if not problems:
            break
        time.sleep(1)
    for name in sorted(set(restarted)):
        seqs = cluster.local_last_seqs(name)
        say(f"cluster: restarted node {name} holds " + ", ".join(f"{s} to {seqs.get(s)}" for s in streams))
    return problems


def run(short: bool, database_for: Callable[[str], str]) -> Outcome:
    """The scenario on a cluster and a platform of its own (``python -m tests.chaos``)."""
    cluster = NatsCluster()
    cluster.start()
    try:
        with environment(STREAM_REPLICAS="3", PROJECTION_LEASE_SECONDS="3"):
            platform = start_platform(cluster.url, "chaos" + uuid.uuid4().hex[:8], database_for)
        try:
            if short:
                return node_loss(platform, cluster, calls=200, rate=8, outages=1, rebuild=False)
            return node_loss(platform, cluster, calls=900, rate=10, outages=3)
        finally:
            platform.stop()
    finally:
        cluster.cleanup()
