"""A container engine for the test fixtures (``common.testing``): whatever answers the Docker API
(docker, or a Podman API service already running), or Podman's own API service, started for the
test run on a socket of its own, as testcontainers needs it on a machine without Docker
(/work/shared/containers.md: Ryuk disabled, since no reaper image can be pulled; the Docker host's
address for mapped ports, since Podman lacks the network details testcontainers otherwise reads).

Which path a run takes is chosen by ``TEST_CONTAINERS``:

- unset or ``auto``: containers only when a Docker-API engine already answers (nothing started);
- ``1`` (``yes``, ``podman``): containers, starting Podman's API service when nothing answers;
  the binaries when no engine can be had, saying why;
- ``required``: containers or a failure (``make test-containers`` in CI);
- ``0``: never (``TESTCONTAINERS_DISABLED`` too).

Images come from the engine's local store first: the NATS image is ``localhost/telemarketing-nats:dev``
(``make images``, or ``make nats-image`` for that one alone, in seconds), no registry needed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NATS_IMAGE = "localhost/telemarketing-nats:dev"
POSTGRES_IMAGE = "postgres:16-alpine"


class EngineUnavailable(RuntimeError):
    """No container engine can be used; the message says why."""


def mode() -> str:
    """``auto``, ``on``, ``required`` or ``off`` (see the module's docstring)."""
    if os.environ.get("TESTCONTAINERS_DISABLED"):
        return "off"
    value = os.environ.get("TEST_CONTAINERS", "auto").strip().lower()
    if value in ("", "auto"):
        return "auto"
    if value in ("0", "no", "false", "off"):
        return "off"
    if value == "required":
        return "required"
    return "on"


@dataclass
class Engine:
    """A Docker-API engine the fixtures start containers on."""

    docker_host: str  # unix:///… or tcp://…: what testcontainers and the docker SDK connect to
    name: str  # "podman 4.3.1", "docker 27.3.1"
    service: subprocess.Popen[bytes] | None = None  # Podman's API service, when this run started it
    folder: Path | None = None  # where that service's socket is
    _client: Any = field(default=None, repr=False)
    _environ: dict[str, str | None] = field(default_factory=dict, repr=False)  # as before configure

    @property
    def is_podman(self) -> bool:
        return self.name.startswith("podman")

    def client(self) -> Any:
        """A docker SDK client of this engine."""
        if self._client is None:
            import docker

            self._client = docker.DockerClient(base_url=self.docker_host, timeout=30)
        return self._client

    def has_image(self, image: str) -> bool:
        try:
            self.client().images.get(image)
            return True
        except Exception:
            return False

    def configure_testcontainers(self) -> None:
        """Point testcontainers at this engine (its settings are read from the environment when
        it is first imported, and kept on its config object after)."""
        values = {"DOCKER_HOST": self.docker_host}
        if self.is_podman:
            values |= {"TESTCONTAINERS_RYUK_DISABLED": "true", "TESTCONTAINERS_CONNECTION_MODE": "docker_host"}
        for name, value in values.items():
            self._environ.setdefault(name, os.environ.get(name))
            os.environ[name] = value
        from testcontainers.core.config import ConnectionMode
        from testcontainers.core.config import testcontainers_config as config

        if self.is_podman:
            config.ryuk_disabled = True
            config.connection_mode_override = ConnectionMode.docker_host

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.service is not None and self.service.poll() is None:
            self.service.terminate()
            try:
                self.service.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.service.kill()
                self.service.wait()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        for name, value in self._environ.items():  # a socket that is gone is no one's DOCKER_HOST
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._environ.clear()


def _answers(docker_host: str, timeout: float) -> str | None:
    """The engine's name and version when a Docker API answers at ``docker_host``, else None."""
    try:
        import docker

        client = docker.DockerClient(base_url=docker_host, timeout=timeout)
        try:
            version = client.version()
        finally:
            client.close()
    except Exception:
        return None
    components = version.get("Components") or [{}]
    product = str(components[0].get("Name", "")).lower()
    return f"{'podman' if 'podman' in product else 'docker'} {version.get('Version', '?')}"


def _docker_host_candidates() -> list[str]:
    hosts = [os.environ["DOCKER_HOST"]] if os.environ.get("DOCKER_HOST") else []
    hosts.append("unix:///var/run/docker.sock")
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        hosts.append(f"unix://{runtime}/podman/podman.sock")
    hosts.append("unix:///run/podman/podman.sock")
    return [h for h in hosts if not h.startswith("unix://") or Path(h.removeprefix("unix://")).exists()]


def find_running(timeout: float = 5.0) -> Engine | None:
    """A Docker-API engine that answers already (DOCKER_HOST, Docker's socket, Podman's sockets)."""
    for host in _docker_host_candidates():
        name = _answers(host, timeout)
        if name:
            return Engine(host, name)
    return None


def start_podman_service(timeout: float = 60.0) -> Engine:
    """Podman's Docker-compatible API on a socket of this run's own, for as long as it lasts."""
    exe = shutil.which("podman")
    if exe is None:
        raise EngineUnavailable("no container engine answers and podman is not installed (make engine installs it)")
    info = subprocess.run([exe, "info"], capture_output=True, text=True, timeout=120)
    if info.returncode != 0:
        raise EngineUnavailable(f"podman is installed but does not run containers here: {info.stderr.strip()[-300:]}")
    folder = Path(tempfile.mkdtemp(prefix="tm-podman-"))
    socket = folder / "podman.sock"
    service = subprocess.Popen(
        [exe, "system", "service", "--time=0", f"unix://{socket}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = Engine(f"unix://{socket}", "podman", service=service, folder=folder)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if service.poll() is not None:
            engine.close()
            raise EngineUnavailable(f"podman system service exited with {service.returncode}")
        if socket.exists():
            name = _answers(engine.docker_host, 10)
            if name:
                engine.name = name
                return engine
        time.sleep(0.2)
    engine.close()
    raise EngineUnavailable(f"podman's API service did not answer within {timeout:.0f} s")


def acquire() -> Engine:
    """The engine this run uses, by ``mode()``; ``EngineUnavailable`` says why there is none."""
    chosen = mode()
    if chosen == "off":
        raise EngineUnavailable("containers turned off (TEST_CONTAINERS=0 or TESTCONTAINERS_DISABLED)")
    engine = find_running()
    if engine is not None:
        return engine
    if chosen == "auto":
        raise EngineUnavailable("no Docker-API engine answers (TEST_CONTAINERS=1 starts podman's)")
    return start_podman_service()
