"""CORS on the MCP endpoint for the configured origins: browser clients can preflight, send
`Authorization` and read the session, the version and the challenge."""

from __future__ import annotations

import httpx
import pytest

from tests.gateway.conftest import APP_ORIGIN, Mint
from tests.support.gateway import GatewayProcess
from tests.support.raw import ACCEPT
from tests.support.raw import INITIALIZE as INIT

EXPOSED = {"mcp-session-id", "mcp-protocol-version", "www-authenticate"}


def exposed(response: httpx.Response) -> set[str]:
    value = response.headers.get("access-control-expose-headers", "")
    return {name.strip().lower() for name in value.split(",") if name.strip()}


def test_a_preflight_from_an_allowed_origin_grants_the_mcp_headers(gateway: GatewayProcess) -> None:
    response = httpx.options(
        gateway.url,
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version",
        },
        timeout=10,
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed = {name.strip() for name in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "mcp-protocol-version"} <= allowed


def test_replies_to_an_allowed_origin_expose_session_version_and_challenge(
    gateway: GatewayProcess, mint: Mint
) -> None:
    headers = {"Origin": APP_ORIGIN, "Accept": ACCEPT, "Content-Type": "application/json"}
    answered = httpx.post(
        gateway.url, json=INIT, headers={**headers, "Authorization": f"Bearer {mint('alice')}"}, timeout=10
    )
    refused = httpx.post(gateway.url, json=INIT, headers=headers, timeout=10)

    assert answered.status_code == 200
    assert answered.headers["access-control-allow-origin"] == APP_ORIGIN
    assert exposed(answered) >= EXPOSED
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == APP_ORIGIN
    assert exposed(refused) >= EXPOSED


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:3000"])
def test_other_origins_get_no_cors_grant(gateway: GatewayProcess, origin: str) -> None:
    response = httpx.options(
        gateway.url,
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert "access-control-allow-origin" not in response.headers
