"""The Kubernetes manifests as rendered (``kubectl kustomize``), and what the code says they must
hold: each service's settings, ports and durable consumers. Shared by the offline checks
(test_manifests.py) and the podman smoke test (test_smoke.py)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from common.eventstore import EventNames
from common.projection import Projection, runners_for
from common.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("dev", "production")

Manifest = dict[str, Any]


def kubectl() -> str | None:
    return shutil.which("kubectl")


def render(path: Path) -> list[Manifest]:
    """``kubectl kustomize`` of a kustomization directory, as objects."""
    exe = kubectl()
    assert exe is not None
    done = subprocess.run([exe, "kustomize", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def of_kind(manifests: list[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def settings_classes() -> dict[str, type[ServiceSettings]]:
    from calls.settings import CallsSettings
    from gateway.settings import GatewaySettings
    from leads.settings import LeadsSettings
    from qa.settings import QaSettings
    from reporting.settings import ReportingSettings
    from scheduling.settings import SchedulingSettings

    return {
        "leads": LeadsSettings,
        "calls": CallsSettings,
        "scheduling": SchedulingSettings,
        "qa": QaSettings,
        "reporting": ReportingSettings,
        "gateway": GatewaySettings,
    }


def http_port(service: str) -> int:
    port = settings_classes()[service].model_fields["http_port"].default
    assert isinstance(port, int)
    return port


def projections() -> dict[str, list[Projection]]:
    """Each consuming service's projections, as its ``subscribers.projections`` builds them (the
    classes; their names and subscriptions do not depend on the runtime)."""
    from calls.projection import CallsReadModel, GuardLeads
    from leads.projection import CallOutcomes, LeadsView
    from qa.projection import QaChecks
    from reporting.projection import DailyFigures
    from scheduling.projection import SchedulingProjection

    def bare(cls: type[Projection]) -> Projection:
        # Only ``name`` and ``subscriptions`` are read: class attributes where the constructor
        # needs the runtime's collaborators.
        return object.__new__(cls)

    return {
        "leads": [bare(LeadsView), bare(CallOutcomes)],
        "calls": [bare(CallsReadModel), bare(GuardLeads)],
        "scheduling": [bare(SchedulingProjection)],
        "qa": [bare(QaChecks)],
        "reporting": [DailyFigures()],
    }


def durable_consumers(namespace: str) -> dict[str, set[tuple[str, str]]]:
    """(stream, durable consumer) of every projection runner, per service: the names
    ``common.projection.ProjectionRunner`` gives them."""
    names = EventNames(namespace)
    nothing: Any = None  # the runner's broker and database, unused until it runs
    return {
        service: {
            (runner.stream, runner.durable) for p in found for runner in runners_for(nothing, names, nothing, [p])
        }
        for service, found in projections().items()
    }


def containers(deployment: Manifest) -> Iterator[Manifest]:
    yield from deployment["spec"]["template"]["spec"]["containers"]
