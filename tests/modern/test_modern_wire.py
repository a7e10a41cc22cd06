"""2026-07-28 requests on the wire: the envelope and header checks, discovery, result hints."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from authz_mcp.sessions import principal_session_id
from tests.modern.conftest import Gateways
from tests.modern.wire import MODERN, envelope, headers_for, post
from tests.support.gateway import GatewayProcess
from tests.support.raw import RawSession

ECHO = {"name": "demo__echo", "arguments": {"text": "hi"}}


@pytest.fixture
def gateway(gateways: Gateways) -> GatewayProcess:
    return gateways.get("modern-http")[0]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=20) as client:
        yield client


def _token(gateways: Gateways, gateway: GatewayProcess, subject: str = "bob") -> str:
    return gateways.issuer.issuer.mint(subject, audience=gateway.url)


async def test_discover_names_the_modern_version_and_mints_no_session(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    status, reply, headers = await post(http, gateway.url, _token(gateways, gateway), "server/discover")
    assert status == 200
    result = reply["result"]
    assert result["supportedVersions"] == [MODERN]
    assert result["capabilities"]["tools"] == {"listChanged": True}
    assert (result["resultType"], result["cacheScope"], result["ttlMs"]) == ("complete", "private", 0)
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "authz-mcp"
    assert "mcp-session-id" not in headers


async def test_lists_and_reads_carry_private_cache_hints_and_legacy_ones_none(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    token = _token(gateways, gateway)
    _, listed, _ = await post(http, gateway.url, token, "tools/list")
    _, read, _ = await post(http, gateway.url, token, "resources/read", {"uri": "demo://docs/readme"})
    legacy = RawSession(http, gateway.url, token)
    await legacy.initialize()
    legacy_listed = await legacy.request("tools/list")
    for result in (listed["result"], read["result"]):
        assert (result["resultType"], result["cacheScope"]) == ("complete", "private")
        assert isinstance(result["ttlMs"], int)
    assert listed["result"]["ttlMs"] == 0
    assert not {"resultType", "cacheScope", "ttlMs", "_meta"} & set(legacy_listed["result"])


@pytest.mark.parametrize(
    ("params", "with_meta", "headers"),
    [
        pytest.param({}, False, {}, id="no _meta"),
        pytest.param(
            {"_meta": {"io.modelcontextprotocol/clientCapabilities": None}}, True, {}, id="no capabilities"
        ),
    ],
)
async def test_a_missing_envelope_is_400_invalid_params(
    gateways: Gateways,
    gateway: GatewayProcess,
    http: httpx.AsyncClient,
    params: dict[str, Any],
    with_meta: bool,
    headers: dict[str, str | None],
) -> None:
    token = _token(gateways, gateway)
    status, reply, _ = await post(
        http, gateway.url, token, "tools/list", params, with_meta=with_meta, headers=headers, request_id=7
    )
    assert status == 400
    assert reply["id"] == 7
    assert reply["error"]["code"] == -32602


@pytest.mark.parametrize(
    ("method", "params", "headers"),
    [
        pytest.param("tools/list", {}, {"MCP-Protocol-Version": None}, id="no version header"),
        pytest.param("tools/list", {}, {"Mcp-Method": None}, id="no method header"),
        pytest.param("tools/list", {}, {"Mcp-Method": "prompts/list"}, id="other method"),
        pytest.param("tools/call", ECHO, {"Mcp-Name": None}, id="no name header"),
        pytest.param("tools/call", ECHO, {"Mcp-Name": "demo__add"}, id="other name"),
        pytest.param("tools/call", ECHO, {"Mcp-Name": "=?base64?not base64?="}, id="broken base64"),
        pytest.param(
            "resources/read",
            {"uri": "demo://docs/readme"},
            {"Mcp-Name": "demo://docs/handbook"},
            id="other uri",
        ),
    ],
)
async def test_a_header_that_disagrees_with_the_body_is_400_header_mismatch(
    gateways: Gateways,
    gateway: GatewayProcess,
    http: httpx.AsyncClient,
    method: str,
    params: dict[str, Any],
    headers: dict[str, str | None],
) -> None:
    status, reply, _ = await post(
        http, gateway.url, _token(gateways, gateway), method, params, headers=headers
    )
    assert status == 400
    assert reply["error"]["code"] == -32020


async def test_authorization_reads_the_body_a_header_naming_an_allowed_tool_changes_nothing(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    denied = {"name": "demo__delete_record", "arguments": {"record_id": "7"}}
    token = _token(gateways, gateway, "bob")
    status, reply, _ = await post(
        http, gateway.url, token, "tools/call", denied, headers={"Mcp-Name": "demo__echo"}
    )
    assert (status, reply["error"]["code"]) == (400, -32020)
    status, reply, _ = await post(http, gateway.url, token, "tools/call", denied)
    assert (status, reply["error"]["code"]) == (400, -32602)


async def test_base64_encoded_header_values_are_decoded_before_comparing(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    encoded = "=?base64?" + base64.b64encode(b"demo__echo").decode() + "?="
    status, reply, _ = await post(
        http, gateway.url, _token(gateways, gateway), "tools/call", ECHO, headers={"Mcp-Name": encoded}
    )
    assert status == 200
    assert reply["result"]["content"] == [{"type": "text", "text": "hi"}]


async def test_a_routing_header_sent_twice_is_a_header_mismatch(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    params = {"_meta": envelope()}
    headers = [
        *headers_for(_token(gateways, gateway), "tools/list", params).items(),
        ("Mcp-Method", "tools/list"),
    ]
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": params}
    response = await http.post(gateway.url, content=json.dumps(body), headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020


async def test_an_unsupported_version_is_400_naming_the_versions_discover_names(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    token = _token(gateways, gateway)
    params = {"_meta": envelope("2099-01-01")}
    status, reply, _ = await post(
        http, gateway.url, token, "tools/list", params, headers={"MCP-Protocol-Version": "2099-01-01"}
    )
    _, discovered, _ = await post(http, gateway.url, token, "server/discover")
    assert status == 400
    assert reply["error"]["code"] == -32022
    # basic/versioning: `data` is {"supported": [...], "requested": "<the version asked for>"};
    # a client retries with one of `supported`, so they are versions a request may carry.
    assert reply["error"]["data"] == {
        "supported": discovered["result"]["supportedVersions"],
        "requested": "2099-01-01",
    }
    assert MODERN in reply["error"]["data"]["supported"]


@pytest.mark.parametrize("with_meta", [False, True])
async def test_initialize_sent_to_the_modern_era_is_404_method_not_found(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient, with_meta: bool
) -> None:
    params = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    }
    status, reply, headers = await post(
        http, gateway.url, _token(gateways, gateway), "initialize", params, request_id=7, with_meta=with_meta
    )
    assert status == 404
    assert reply == {
        "jsonrpc": "2.0",
        "id": 7,
        "error": {"code": -32601, "message": reply["error"]["message"]},
    }
    assert "mcp-session-id" not in headers


@pytest.mark.parametrize("method", ["tools/frobnicate", "ping", "initialize-not", "resources/subscribe"])
async def test_an_unknown_or_removed_method_is_404_method_not_found(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient, method: str
) -> None:
    status, reply, _ = await post(
        http, gateway.url, _token(gateways, gateway), method, {"uri": "demo://docs/readme"}
    )
    assert status == 404
    assert reply["error"]["code"] == -32601


async def test_a_notification_is_accepted_and_dropped(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    headers = headers_for(_token(gateways, gateway), "notifications/cancelled", {})
    body = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}
    response = await http.post(gateway.url, content=json.dumps(body), headers=headers)
    assert response.status_code == 202


async def test_the_principal_record_is_never_a_session(
    gateways: Gateways, gateway: GatewayProcess, http: httpx.AsyncClient
) -> None:
    token = _token(gateways, gateway, "alice")
    status, _, _ = await post(http, gateway.url, token, "tools/call", ECHO)
    assert status == 200
    legacy = RawSession(http, gateway.url, token)
    legacy.session_id = principal_session_id(f"{gateways.issuer.url}\x1falice")
    assert (
        await http.post(
            gateway.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=legacy.headers()
        )
    ).status_code == 404
