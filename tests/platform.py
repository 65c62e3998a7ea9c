"""Start the whole platform as separate processes for end-to-end tests."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from common.identity import ADMIN
from common.service import ServiceSpec
from common.testing import free_port
from gateway.devtokens import DEV_ISSUER, DevKeys
from gateway.settings import GatewaySettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("leads", "calls", "scheduling", "qa", "reporting")


@dataclass
class RunningPlatform:
    gateway_url: str
    service_urls: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="tm-e2e-")))
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()

    def restart(self, service: str) -> None:
        proc = self.procs[service]
        proc.terminate()
        proc.wait(timeout=15)
        self._spawn(service, self._service_env(service))
        wait_ready(self.service_urls[service] + "/readyz")

    def kill(self, service: str) -> None:
        """SIGKILL, as the kernel's OOM killer or a node failure would: no clean-up at all."""
        proc = self.procs[service]
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=15)

    def start(self, service: str) -> None:
        """Start a stopped or killed service again (without waiting for it to be ready)."""
        self._spawn(service, self._service_env(service))

    def database_url(self, service: str) -> str:
        return self.env[f"E2E_{service.upper()}_DATABASE_URL"]

    def log(self, service: str) -> str:
        path = self.logs / f"{service}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def _service_env(self, service: str) -> dict[str, str]:
        port = self.service_urls[service].rsplit(":", 1)[1]
        return dict(
            self.env, HTTP_PORT=port, SERVICE_NAME=service, DATABASE_URL=self.env[f"E2E_{service.upper()}_DATABASE_URL"]
        )

    def _spawn(self, service: str, env: dict[str, str]) -> None:
        log = open(self.logs / f"{service}.log", "ab")
        self.procs[service] = subprocess.Popen(
            [sys.executable, "-m", service], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
        )


@functools.cache
def dev_keys() -> DevKeys:
    """The test run's signing key: every gateway the tests start trusts it."""
    return DevKeys.in_folder(Path(tempfile.mkdtemp(prefix="tm-auth-")))


def gateway_settings(**values: Any) -> GatewaySettings:
    """Gateway settings that trust the test run's key."""
    return GatewaySettings(auth_public_key=dev_keys().public_pem.decode(), auth_issuer=DEV_ISSUER, **values)


def auth_headers(role: str = ADMIN) -> dict[str, str]:
    """A bearer token of ``role`` (the development identities of ``gateway.devtokens``)."""
    return {"Authorization": f"Bearer {dev_keys().role_token(role)}"}


def gateway_client(url: str, role: str = ADMIN, **kwargs: Any) -> httpx.Client:
    """An HTTP client of the public API acting as ``role``."""
    return httpx.Client(base_url=url, headers=auth_headers(role), **({"timeout": 30} | kwargs))


# Generous: five services importing at once on a busy 2-core machine have taken over a minute.
def wait_ready(url: str, timeout: float = 180.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Until ``url`` answers 200. Given the server's process, a process that has exited fails at
    once with its exit code (uvicorn binds its port only after the lifespan's start-up, so a
    service that died there and one still starting both refuse connections)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with code {proc.returncode} before it was ready")
        try:
            resp = httpx.get(url, timeout=2)
            if resp.status_code == 200:
                return
            last = resp.text
        except httpx.HTTPError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready: {last}")


def start_platform(nats_url: str, namespace: str, database_for: Callable[[str], str]) -> RunningPlatform:
    env = dict(os.environ, NATS_URL=nats_url, EVENT_NAMESPACE=namespace, LOG_LEVEL="INFO")
    env.setdefault("MALLOC_ARENA_MAX", "2")  # as deployed (deploy/containers/Containerfile)
    urls = {s: f"http://127.0.0.1:{free_port()}" for s in SERVICES}
    platform = RunningPlatform(gateway_url=f"http://127.0.0.1:{free_port()}", service_urls=urls, env=env)
    for service in SERVICES:
        env[f"E2E_{service.upper()}_DATABASE_URL"] = database_for(service)
    try:
        for service in SERVICES:
            platform._spawn(service, platform._service_env(service))
        for service in SERVICES:
            wait_ready(urls[service] + "/readyz", proc=platform.procs[service])
        gateway_env = dict(
            env,
            HTTP_PORT=platform.gateway_url.rsplit(":", 1)[1],
            SERVICE_NAME="gateway",
            AUTH_PUBLIC_KEY=dev_keys().public_pem.decode(),
            AUTH_ISSUER=DEV_ISSUER,
            **{f"{s.upper()}_URL": u for s, u in urls.items()},
        )
        platform._spawn("gateway", gateway_env)
        wait_ready(platform.gateway_url + "/readyz", proc=platform.procs["gateway"])
    except BaseException:
        running = {s: p.poll() is None for s, p in platform.procs.items()}
        platform.stop()
        for service in (*SERVICES, "gateway"):
            print(f"--- {service} log ({_state(service, running)}) ---\n{_diagnosis(platform.log(service))}")
        raise
    return platform


def _state(service: str, running: dict[str, bool]) -> str:
    if service not in running:
        return "not started"
    return "was running" if running[service] else "had exited"


def _diagnosis(log: str, tail: int = 2500) -> str:
    """A start-up log cut to what explains a failure: every warning and error line (a service
    retrying its streams says so at WARNING), then the log's end."""
    lines = log.splitlines()
    loud = [line[:600] for line in lines if '"level": "INFO"' not in line and '"level": "DEBUG"' not in line]
    return "\n".join(["warnings and errors:", *loud[-40:], "end of the log:", log[-tail:]])


def SERVICE_SPECS() -> list[ServiceSpec[Any, Any]]:
    """Every service's spec (imported late: each pulls in its whole service)."""
    from calls.service import SPEC as calls
    from leads.service import SPEC as leads
    from qa.service import SPEC as qa
    from reporting.service import SPEC as reporting
    from scheduling.service import SPEC as scheduling

    return [leads, calls, scheduling, qa, reporting]
