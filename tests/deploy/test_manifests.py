"""deploy/: the Kubernetes manifests render and validate offline, the Compose file follows the
Compose specification, and the gateway configs they mount are valid."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from authz_mcp.config import load_config
from tests.support.upstreams import PROJECT_ROOT

DEPLOY = Path(PROJECT_ROOT) / "deploy"
KUBERNETES_VERSION = "1.32.0"
# scripts/test downloads the docker-compose 1.29.2 wheel, which carries the Compose
# specification's JSON schema, into .venv (no dependency is installed from it).
COMPOSE_WHEEL_DIR = Path(PROJECT_ROOT) / ".venv" / "compose-spec"


def _missing(reason: str) -> None:
    # CI installs everything these tests need: there a missing tool fails, never skips.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _kustomize(path: Path) -> list[dict[str, Any]]:
    if shutil.which("kubectl") is None:
        _missing("kubectl is not installed")
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(path)], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    return [document for document in yaml.safe_load_all(rendered) if document]


@pytest.mark.parametrize("variant", ["base", "overlays/production"])
def test_kustomize_renders_objects_that_validate_against_the_kubernetes_schemas(variant: str) -> None:
    objects = _kustomize(DEPLOY / "kubernetes" / variant)

    kinds = sorted(document["kind"] for document in objects)
    assert kinds == [
        "ConfigMap",
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "Service",
    ]
    for document in objects:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_deployment_probes_health_runs_unprivileged_and_mounts_the_policy_for_hot_reload() -> None:
    objects = {document["kind"]: document for document in _kustomize(DEPLOY / "kubernetes" / "base")}
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    secrets = {env["valueFrom"]["secretKeyRef"]["name"] for env in container["env"] if "valueFrom" in env}
    assert secrets == {"authz-mcp-secrets", "authz-mcp-upstream-credentials"}
    # No subPath: a ConfigMap update reaches a directory mount, which the policy watch follows.
    assert all("subPath" not in mount for mount in container["volumeMounts"])
    assert objects["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == "authz-mcp"


def test_the_production_overlay_raises_replicas_budget_and_pins_the_image() -> None:
    objects = {
        document["kind"]: document for document in _kustomize(DEPLOY / "kubernetes" / "overlays/production")
    }
    assert objects["Deployment"]["spec"]["replicas"] == 3
    assert objects["Deployment"]["metadata"]["namespace"] == "authz-mcp"
    assert objects["PodDisruptionBudget"]["spec"]["minAvailable"] == 2
    assert objects["HorizontalPodAutoscaler"]["spec"]["minReplicas"] == 3
    image = objects["Deployment"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.example.com/platform/authz-mcp:0.1.0"


def _compose_schema() -> dict[str, Any]:
    wheels = sorted(COMPOSE_WHEEL_DIR.glob("docker_compose-*.whl"))
    if not wheels:
        _missing(f"no docker-compose wheel in {COMPOSE_WHEEL_DIR} (scripts/test downloads it)")
    with zipfile.ZipFile(wheels[-1]) as wheel:
        schema: dict[str, Any] = json.loads(wheel.read("compose/config/compose_spec.json"))
    return schema


def _validator() -> jsonschema.protocols.Validator:
    # The schema names a draft URI jsonschema does not know; its keywords are draft 7's.
    return jsonschema.Draft7Validator(_compose_schema())


def test_compose_file_follows_the_compose_specification() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))

    _validator().validate(compose)
    services = compose["services"]
    assert {"gateway-1", "gateway-2", "redis", "example", "prometheus"} <= set(services)
    published = [name for name, service in services.items() if service.get("ports")]
    assert sorted(published) == ["balancer", "prometheus"]


def test_a_compose_file_that_breaks_the_specification_is_caught() -> None:
    broken = {"services": {"gateway": {"image": "authz-mcp", "restart": ["always"]}}}
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(broken)


@pytest.mark.parametrize("config", ["compose-config", "kubernetes/base/gateway.yaml"])
def test_the_mounted_gateway_configs_are_valid(config: str) -> None:
    path = DEPLOY / ("config/gateway.yaml" if config == "compose-config" else config)
    environ = {
        "AUTHZ_MCP_SECRET_KEY": "k" * 32,
        "AUTHZ_MCP_STORE_URL": "redis+sentinel://sentinel:26379/authz-mcp",
        "REMOTE_TOKEN": "t",
    }
    loaded = load_config(path, environ=environ)
    assert loaded.metrics.port == 9464
    assert loaded.logging.format == "json"
