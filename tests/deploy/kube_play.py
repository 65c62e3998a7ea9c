"""The dev overlay made playable by ``podman kube play`` on one machine.

Podman 4.3 (Debian's) plays Pods, Deployments, ConfigMaps and PersistentVolumeClaims; a real
cluster's Secrets, Services and DNS it has not. So, doing what the kubelet and the cluster
would: the Secrets' values are put into the containers' environment, every pod shares the
host's network (the kind of Service a single machine has), and each process gets a free port,
the gateway's upstream URLs and the NATS URL pointing at them. Everything else (image,
command, settings, securityContext with its read-only root filesystem, volumes) is played as
rendered; the probes' paths are polled by the test."""

from __future__ import annotations

import base64
import copy
from dataclasses import dataclass
from typing import Any

from tests.deploy.manifests import Manifest, containers, of_kind

SERVICES = ("leads", "calls", "scheduling", "qa", "reporting")


@dataclass(frozen=True)
class Playable:
    manifests: list[Manifest]
    ports: dict[str, int]  # deployment -> the port it serves on this machine
    volumes: list[str]  # the named volumes podman makes for the pods' emptyDirs


def secret_values(secret: Manifest) -> dict[str, str]:
    values = {key: base64.b64decode(value).decode() for key, value in secret.get("data", {}).items()}
    return values | dict(secret.get("stringData", {}))


def playable(
    rendered: list[Manifest],
    *,
    ports: dict[str, int],
    nats_url: str,
    image: str,
    overrides: dict[str, dict[str, str]],
    run: str,
) -> Playable:
    """The dev overlay's ConfigMap and Deployments for ``podman kube play``: ``ports`` per
    deployment, the broker at ``nats_url``, ``image`` for every container, ``overrides``
    (deployment -> variables) replacing a Secret's placeholder where the test needs its own,
    and ``run`` naming this play's volumes."""
    secrets = {name: secret_values(s) for name, s in of_kind(rendered, "Secret").items()}
    [config] = copy.deepcopy(list(of_kind(rendered, "ConfigMap").values()))
    config["data"]["NATS_URL"] = nats_url
    for service in SERVICES:
        config["data"][f"{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
    deployments = copy.deepcopy(of_kind(rendered, "Deployment"))
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        pod["hostNetwork"] = True
        # Podman 4.3 makes an emptyDir a named volume under the volume's own name, shared by
        # every pod that names it alike: each pod's are made its own (and removed afterwards).
        renamed = {v["name"]: f"{run}-{name}-{v['name']}" for v in pod.get("volumes", [])}
        for volume in pod.get("volumes", []):
            volume["name"] = renamed[volume["name"]]
        for container in containers(deployment):
            for mount in container.get("volumeMounts", []):
                mount["name"] = renamed[mount["name"]]
        for container in containers(deployment):
            container["image"] = image
            port = ports[name]
            # On the host's network a port is the process's own, not a mapping (which podman
            # refuses there). Podman runs probes as systemd timers, which a container host
            # without systemd has not: the test polls /readyz itself, as the kubelet would.
            container.pop("ports", None)
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                container.pop(probe, None)
            env: list[dict[str, Any]] = []
            for source in container.pop("envFrom", []):
                if "configMapRef" in source:
                    env.append({"name": "__from_config__", "configMapRef": source["configMapRef"]})
                else:
                    values = secrets[source["secretRef"]["name"]]
                    env += [{"name": k, "value": v} for k, v in values.items()]
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    env.append({"name": variable["name"], "value": secrets[ref["name"]][ref["key"]]})
                elif variable["name"] != "HTTP_PORT":
                    env.append(variable)
            env.append({"name": "HTTP_PORT", "value": str(port)})
            env += [{"name": k, "value": v} for k, v in overrides.get(name, {}).items()]
            # The ConfigMap as envFrom (podman reads it from the same file), the rest as env.
            container["envFrom"] = [{"configMapRef": e["configMapRef"]} for e in env if "configMapRef" in e]
            container["env"] = list({e["name"]: e for e in env if "configMapRef" not in e}.values())
    volumes = [v["name"] for d in deployments.values() for v in d["spec"]["template"]["spec"].get("volumes", [])]
    return Playable([config, *deployments.values()], dict(ports), volumes)
