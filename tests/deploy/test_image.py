"""The image built from deploy/Dockerfile runs the gateway: ready, healthy, non-root, and it
serves an authenticated MCP call. Slow (a base image, wheels and an image are built): marked
`image`, which the quick test command leaves out and .ci/run runs as a step of its own."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from tests.support.docker_image import build_image, docker_problem, image_size
from tests.support.gateway import free_port
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession

pytestmark = [pytest.mark.image, pytest.mark.timeout(3000)]

READY_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> str:
    problem = docker_problem()
    if problem is not None:
        # CI starts a Docker daemon (.ci/run): there this test must run, never skip.
        if os.environ.get("CI"):
            pytest.fail(problem)
        pytest.skip(problem)
    return build_image(tmp_path_factory.mktemp("image-context"))


@pytest.fixture
def container(image: str, issuer: RunningIssuer, tmp_path: Path) -> Iterator[tuple[str, str]]:
    port = free_port()
    config = {
        "server": {"host": "127.0.0.1", "port": port},
        "auth": {
            "authorization_servers": [issuer.url],
            "jwt": {"issuer": issuer.url, "jwks_url": f"{issuer.url}/jwks.json", "algorithms": ["RS256"]},
            "personal_tokens": False,
        },
        "policy": {
            "model": "/etc/authz-mcp/policies/model.conf",
            "file": "/etc/authz-mcp/policies/policy.csv",
        },
        "upstreams": {
            "demo": {
                "transport": "stdio",
                "command": "/opt/authz-mcp/bin/python",
                "args": ["-m", "authz_mcp.demo.server", "stdio"],
            }
        },
    }
    (tmp_path / "gateway.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    tmp_path.chmod(0o755)
    (tmp_path / "gateway.yaml").chmod(0o644)
    # Host networking: the gateway reaches the test's key server on loopback, as it would a real one.
    started = subprocess.run(
        [
            "docker", "run", "--detach", "--network", "host",
            "--volume", f"{tmp_path}:/etc/authz-mcp/test:ro",
            image, "serve", "--config", "/etc/authz-mcp/test/gateway.yaml",
        ],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    container_id = started.stdout.strip()
    try:
        yield container_id, f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(
            ["docker", "rm", "--force", container_id], capture_output=True, timeout=120, check=False
        )


def _wait_ready(container_id: str, base_url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            logs = subprocess.run(
                ["docker", "logs", container_id], capture_output=True, text=True, timeout=60
            )
            raise TimeoutError(f"the container never became ready:\n{logs.stderr[-3000:]}")
        time.sleep(0.2)


async def test_the_image_serves_an_authenticated_mcp_call_as_a_non_root_user(
    image: str, container: tuple[str, str], issuer: RunningIssuer
) -> None:
    container_id, base_url = container
    _wait_ready(container_id, base_url)

    async with httpx.AsyncClient(timeout=30) as http:
        session = RawSession(http, f"{base_url}/mcp", issuer.issuer.mint("bob", audience=f"{base_url}/mcp"))
        await session.initialize()
        reply = await session.request(
            "tools/call", {"name": "demo__echo", "arguments": {"text": "from the image"}}
        )
        assert "from the image" in str(reply["result"])

    user = subprocess.run(
        ["docker", "exec", container_id, "id", "-u"], check=True, capture_output=True, text=True, timeout=60
    )
    assert user.stdout.strip() == "10001"
    inspected = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{json .Config.Healthcheck.Test}}", image],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "/healthz" in inspected.stdout
    print(f"\nimage {image}: {image_size(image) / 1e6:.1f} MB")
