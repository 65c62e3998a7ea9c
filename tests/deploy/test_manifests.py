"""deploy/k8s, checked offline: both overlays render; every object is valid for Kubernetes
(``kubernetes-validate``, strict: an unknown field is an error) or, for KEDA's ScaledObject,
for its CRD's schema (vendored in deploy/k8s/schemas/); and the manifests say what the code
does: settings names, ports, health paths, durable consumers, the NATS chart's names."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.manifests import (
    K8S,
    OVERLAYS,
    Manifest,
    containers,
    durable_consumers,
    http_port,
    kubectl,
    of_kind,
    render,
    settings_classes,
)

# The Kubernetes version the objects are validated against (kubernetes-validate's schemas).
KUBERNETES_VERSION = "1.34.0"
SERVICES = ("leads", "calls", "scheduling", "qa", "reporting")
CRD_SCHEMAS = {("keda.sh/v1alpha1", "ScaledObject"): K8S / "schemas" / "keda.sh_scaledobject_v1alpha1.json"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Manifest]]:
    if kubectl() is None:
        pytest.skip("kubectl (with kustomize) is not installed: nothing renders")
    return {overlay: render(K8S / "overlays" / overlay) for overlay in OVERLAYS}


def strict(schema: Any) -> Any:
    """A CRD schema as the API server applies it with strict field validation: an object that
    lists its properties accepts no others (unless it says it keeps unknown fields)."""
    if isinstance(schema, dict):
        out = {key: strict(value) for key, value in schema.items()}
        if (
            out.get("type") == "object"
            and "properties" in out
            and "additionalProperties" not in out
            and not out.get("x-kubernetes-preserve-unknown-fields")
        ):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def crd_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = strict(json.loads(path.read_text()))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator: jsonschema.protocols.Validator = cls(schema)
    return validator


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    validators = {key: crd_validator(path) for key, path in CRD_SCHEMAS.items()}
    problems = []
    for manifest in rendered[overlay]:
        key = (manifest["apiVersion"], manifest["kind"])
        where = f"{manifest['kind']}/{manifest['metadata']['name']}"
        if key in validators:
            problems += [f"{where}: {e.json_path}: {e.message}" for e in validators[key].iter_errors(manifest)]
        else:
            try:
                kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                problems.append(f"{where}: {exc.message}")
            except kubernetes_validate.SchemaNotFoundError:
                problems.append(f"{where}: no schema for {key} (a CRD: vendor its schema in deploy/k8s/schemas/)")
    assert not problems, "\n".join(problems)


def test_the_crd_check_refuses_what_the_api_server_would() -> None:
    validator = crd_validator(CRD_SCHEMAS[("keda.sh/v1alpha1", "ScaledObject")])
    good: dict[str, Any] = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "x"},
        "spec": {"scaleTargetRef": {"name": "x"}, "triggers": [{"type": "cpu", "metadata": {"value": "70"}}]},
    }
    assert not list(validator.iter_errors(good))
    misspelt = copy.deepcopy(good)
    misspelt["spec"]["maxReplicas"] = 3  # HPA's name, not KEDA's maxReplicaCount
    assert list(validator.iter_errors(misspelt))
    untargeted = copy.deepcopy(good)
    del untargeted["spec"]["scaleTargetRef"]
    assert list(validator.iter_errors(untargeted))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_runs_as_the_operations_guide_says(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    manifests = rendered[overlay]
    deployments = of_kind(manifests, "Deployment")
    assert set(deployments) == {*SERVICES, "gateway"}
    budgets = of_kind(manifests, "PodDisruptionBudget")
    services = of_kind(manifests, "Service")
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        [container] = containers(deployment)
        assert container["args"][0] == name
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False, name
        assert context["readOnlyRootFilesystem"] is True, name
        assert context["capabilities"]["drop"] == ["ALL"], name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
        assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        port = http_port(name)
        assert container["ports"] == [{"name": "http", "containerPort": port}], name
        assert {"name": "HTTP_PORT", "value": str(port)} in container["env"], name
        assert services[name]["spec"]["ports"][0]["port"] == port, name
        labels = deployment["spec"]["selector"]["matchLabels"]
        assert any(b["spec"]["selector"]["matchLabels"] == labels for b in budgets.values()), f"{name}: no PDB"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_settings_are_the_code_s_own(rendered: dict[str, list[Manifest]], overlay: str) -> None:
    """Every variable a pod is given is a field of its service's settings class (pydantic reads
    them case-insensitively and ignores unknown ones: a misspelt name would be silently lost)."""
    manifests = rendered[overlay]
    fields = {name: set(cls.model_fields) for name, cls in settings_classes().items()}
    [config] = of_kind(manifests, "ConfigMap").values()
    for key in config["data"]:
        assert any(key.lower() in f for f in fields.values()), f"ConfigMap {key}: no service reads it"
    secrets = of_kind(manifests, "Secret")
    for name, deployment in of_kind(manifests, "Deployment").items():
        [container] = containers(deployment)
        for variable in container["env"]:
            assert variable["name"].lower() in fields[name], f"{name}: {variable['name']} is not a setting"
        for source in container["envFrom"]:
            if "secretRef" in source and source["secretRef"]["name"] in secrets:
                for key in secrets[source["secretRef"]["name"]].get("data", {}):
                    assert key.lower() in fields[name], f"{name}: secret key {key} is not a setting"
    gateway = {k.lower(): v for k, v in config["data"].items() if k.endswith("_URL") and k != "NATS_URL"}
    services = of_kind(manifests, "Service")
    for service in SERVICES:
        url = urlsplit(gateway[f"{service}_url"])
        assert (url.hostname, url.port) == (service, services[service]["spec"]["ports"][0]["port"])


def test_secrets_are_placeholders_in_dev_only(rendered: dict[str, list[Manifest]]) -> None:
    assert not of_kind(render(K8S / "base"), "Secret"), "a Secret beside the Deployments overwrites real ones"
    assert not of_kind(rendered["production"], "Secret")
    referenced: set[str] = set()
    for deployment in [*of_kind(rendered["dev"], "Deployment").values(), *of_kind(rendered["dev"], "Job").values()]:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            referenced |= {s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s}
            referenced |= {v["valueFrom"]["secretKeyRef"]["name"] for v in container.get("env", []) if "valueFrom" in v}
    assert referenced <= set(of_kind(rendered["dev"], "Secret")), "dev must run with its own placeholders"


def test_production_runs_on_the_nats_chart_s_cluster(rendered: dict[str, list[Manifest]]) -> None:
    values = yaml.safe_load((K8S / "nats" / "values.yaml").read_text())
    nodes = values["config"]["cluster"]["replicas"]
    assert nodes == 3 and values["config"]["jetstream"]["fileStore"]["pvc"]["enabled"]
    [config] = of_kind(rendered["production"], "ConfigMap").values()
    data = config["data"]
    # The chart (release "nats") names its StatefulSet "nats" and its headless Service
    # "nats-headless": pod i is nats-<i>.nats-headless.
    assert data["NATS_URL"].split(",") == [f"nats://nats-{i}.nats-headless:4222" for i in range(nodes)]
    assert data["STREAM_REPLICAS"] == str(nodes)
    assert data["MIGRATE_ON_START"] == "false"
    jobs = of_kind(rendered["production"], "Job")
    for service in SERVICES:
        [container] = jobs[f"{service}-migrate"]["spec"]["template"]["spec"]["containers"]
        assert container["args"] == [service, "migrate"]


def test_nats_users_are_current() -> None:
    from deploy.k8s.nats.users import VALUES, with_users

    text = VALUES.read_text()
    assert with_users(text) == text, "run: python deploy/k8s/nats/users.py --write"


def test_each_consuming_service_scales_on_its_own_durable_consumers(rendered: dict[str, list[Manifest]]) -> None:
    manifests = rendered["production"]
    [config] = of_kind(manifests, "ConfigMap").values()
    expected = durable_consumers(config["data"]["EVENT_NAMESPACE"])
    scaled = of_kind(manifests, "ScaledObject")
    assert set(scaled) == set(expected)
    for service, consumers in expected.items():
        spec = scaled[service]["spec"]
        assert spec["scaleTargetRef"]["name"] == service
        triggers = [t["metadata"] for t in spec["triggers"] if t["type"] == "nats-jetstream"]
        assert {(t["stream"], t["consumer"]) for t in triggers} == consumers, service
        for trigger in triggers:
            assert trigger["natsServerMonitoringEndpoint"] == "nats-headless.telemarketing.svc.cluster.local:8222"
    assert of_kind(manifests, "HorizontalPodAutoscaler")["gateway"]["spec"]["scaleTargetRef"]["name"] == "gateway"
    assert not of_kind(rendered["dev"], "ScaledObject")


def test_only_the_gateway_is_reachable_from_outside(rendered: dict[str, list[Manifest]]) -> None:
    for overlay in OVERLAYS:
        policies = of_kind(rendered[overlay], "NetworkPolicy")
        deny = policies["default-deny"]["spec"]
        assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
        for policy in policies.values():
            for rule in policy["spec"].get("ingress", []):
                # A rule without peers, an address block or another namespace: from outside.
                outside = [peer for peer in rule.get("from", [{}]) if set(peer) != {"podSelector"}]
                if outside:
                    target = policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                    # From outside the namespace: the ingress controller to the gateway, and KEDA
                    # to NATS's monitoring port only.
                    ports = tuple(p["port"] for p in rule["ports"])
                    assert (target, ports) in {("gateway", (8000,)), ("nats", (8222,))}
        ingress = of_kind(rendered[overlay], "Ingress")["gateway"]
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        assert backend["name"] == "gateway"
