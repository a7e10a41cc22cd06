"""Logs: text or JSON lines, one access line per request, never a token or a whole session id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from tests.observability.conftest import demo_config
from tests.support.gateway import GatewayProcess, free_port, running_gateway, wait_until
from tests.support.issuer import RunningIssuer
from tests.support.raw import RawSession


def _json_lines(log: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log if line.startswith("{")]


async def test_json_logs_give_one_access_line_per_request_without_secrets(
    issuer: RunningIssuer, tmp_path: Path
) -> None:
    config = demo_config(tmp_path, issuer, free_port(), logging={"format": "json"})
    with running_gateway(config, tmp_path) as gateway:
        token = issuer.issuer.mint("bob", audience=gateway.url)
        async with httpx.AsyncClient(timeout=20) as http:
            session = RawSession(http, gateway.url, token)
            await session.initialize()
            await session.request("tools/call", {"name": "demo__echo", "arguments": {"text": "x"}})
            refused = await http.post(gateway.url, json={}, headers={"Authorization": "Bearer nope"})
            assert refused.status_code in (401, 406)

        def access_lines() -> list[dict[str, Any]]:
            return [line for line in _json_lines(gateway.log) if line["logger"] == "authz_mcp.access"]

        wait_until(lambda: len(access_lines()) >= 4, 10, "four access lines")
        assert session.session_id is not None
        call = next(line for line in access_lines() if line["mcp_method"] == "tools/call")
        assert call["method"] == "POST"
        assert call["path"] == "/mcp"
        assert call["status"] == 200
        assert call["user"] == "bob"
        assert call["session"] == session.session_id[:8]
        assert call["duration_ms"] > 0
        # Every line the gateway wrote is JSON, and none holds the token or the whole session id.
        assert all(line.startswith("{") for line in gateway.log if line.strip())
        text = "\n".join(gateway.log)
        assert token not in text
        assert session.session_id not in text


def test_text_logs_are_the_default(gateway: GatewayProcess) -> None:
    # The gateway is shared: the access line must be one written for this test's request.
    logged = len(gateway.log)
    httpx.get(f"{gateway.base_url}/healthz")
    wait_until(
        lambda: any("authz_mcp.access: GET /healthz 200" in line for line in gateway.log[logged:]), 10, "line"
    )
    assert not _json_lines(gateway.log)
