"""Bad input gets its defined error (DESIGN §7), never a 500; identity guards the session.

Against the gateway in-process (its app through httpx's ASGI transport, `demo` served in the
test's loop), in front of the folder's real `web` upstream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from tests.gateway.conftest import APP_ORIGIN, BROWSER_ORIGIN, POLICY, Mint, demo_and_web
from tests.support.gateway import gateway_config
from tests.support.inprocess import InProcessGateway, in_process_gateway
from tests.support.issuer import RunningIssuer
from tests.support.raw import ACCEPT
from tests.support.raw import INITIALIZE as INIT

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def gateway(
    issuer: RunningIssuer, web_upstream: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[InProcessGateway]:
    config = gateway_config(
        tmp_path_factory.mktemp("gateway"),
        port=8080,
        issuer_url=issuer.url,
        upstreams=demo_and_web(web_upstream),
        policy={"file": str(POLICY)},
        server={"max_body_bytes": 65536, "allowed_origins": [APP_ORIGIN, BROWSER_ORIGIN]},
    )
    async with in_process_gateway(config) as running:
        yield running


def _headers(token: str, session: str | None = None, **extra: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}
    if session:
        headers["Mcp-Session-Id"] = session
    headers.update(extra)
    return headers


async def _open_session(gateway: InProcessGateway, token: str) -> str:
    response = await gateway.http.post(gateway.url, json=INIT, headers=_headers(token))
    assert response.status_code == 200
    session = response.headers["mcp-session-id"]
    initialized = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (
        await gateway.http.post(gateway.url, json=initialized, headers=_headers(token, session))
    ).status_code == 202
    return session


async def _post(
    gateway: InProcessGateway, token: str, session: str | None, body: Any, **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return await gateway.http.post(gateway.url, content=content, headers=_headers(token, session, **headers))


async def test_initialize_answers_with_a_session_and_the_negotiated_version(
    gateway: InProcessGateway, mint: Mint
) -> None:
    response = await gateway.http.post(gateway.url, json=INIT, headers=_headers(mint("alice")))
    assert response.status_code == 200
    body = response.json()
    assert body["result"]["protocolVersion"] == "2025-11-25"
    assert body["result"]["capabilities"]["tools"] == {"listChanged": True}
    session = response.headers["mcp-session-id"]
    assert len(session) >= 32
    assert all(0x21 <= ord(ch) <= 0x7E for ch in session)


async def test_unknown_client_version_gets_the_latest_the_gateway_speaks(
    gateway: InProcessGateway, mint: Mint
) -> None:
    body = {**INIT, "params": {**INIT["params"], "protocolVersion": "1999-01-01"}}
    response = await gateway.http.post(gateway.url, json=body, headers=_headers(mint("alice")))
    assert response.json()["result"]["protocolVersion"] == "2025-11-25"


async def test_another_users_session_is_not_found(gateway: InProcessGateway, mint: Mint) -> None:
    session = await _open_session(gateway, mint("alice"))
    ping = {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    answered = await _post(gateway, mint("alice"), session, ping)
    assert answered.status_code == 200
    assert answered.json() == {"jsonrpc": "2.0", "id": 2, "result": {}}
    stolen = await _post(gateway, mint("bob"), session, ping)
    unknown = await _post(gateway, mint("bob"), "no-such-session", ping)
    assert stolen.status_code == unknown.status_code == 404
    assert stolen.json() == unknown.json()
    get = await gateway.http.get(gateway.url, headers=_headers(mint("bob"), session))
    assert get.status_code == 404
    delete = await gateway.http.delete(gateway.url, headers=_headers(mint("bob"), session))
    assert delete.status_code == 404
    assert (await _post(gateway, mint("alice"), session, ping)).status_code == 200


async def test_deleted_session_is_gone(gateway: InProcessGateway, mint: Mint) -> None:
    token = mint("alice")
    session = await _open_session(gateway, token)
    assert (await gateway.http.delete(gateway.url, headers=_headers(token, session))).status_code == 204
    assert (
        await _post(gateway, token, session, {"jsonrpc": "2.0", "id": 3, "method": "ping"})
    ).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, -32700),
        (b"", 400, -32700),
        (b"[]", 400, -32600),
        ([{"jsonrpc": "2.0", "id": 1, "method": "ping"}], 400, -32600),
        ({"jsonrpc": "1.0", "id": 1, "method": "ping"}, 400, -32600),
        ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": 5}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": [1, 2]}, 400, -32600),
        ({"jsonrpc": "2.0", "id": 1}, 400, -32600),
        ("just a string", 400, -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "no/such/method"}, 200, -32601),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": 7}}, 200, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {}}, 200, -32602),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"cursor": "forged"}}, 200, -32602),
    ],
)
async def test_malformed_messages_get_their_defined_error(
    gateway: InProcessGateway, mint: Mint, body: Any, status: int, code: int
) -> None:
    token = mint("alice")
    session = await _open_session(gateway, token)
    response = await _post(gateway, token, session, body)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_oversized_body_is_413(gateway: InProcessGateway, mint: Mint) -> None:
    token = mint("alice")
    session = await _open_session(gateway, token)
    huge = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "demo__echo", "x": "a" * 70000},
    }
    response = await _post(gateway, token, session, huge)
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        yield json.dumps(huge).encode()

    chunked = await gateway.http.post(gateway.url, content=chunks(), headers=_headers(token, session))
    assert chunked.status_code == 413


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream", "text/html"])
async def test_post_must_accept_json_and_event_stream(
    gateway: InProcessGateway, mint: Mint, accept: str
) -> None:
    response = await gateway.http.post(gateway.url, json=INIT, headers=_headers(mint("alice"), Accept=accept))
    assert response.status_code == 406


async def test_wrong_content_type_is_415(gateway: InProcessGateway, mint: Mint) -> None:
    response = await _post(gateway, mint("alice"), None, INIT, **{"Content-Type": "text/plain"})
    assert response.status_code == 415


async def test_requests_without_a_session_are_400(gateway: InProcessGateway, mint: Mint) -> None:
    response = await _post(gateway, mint("alice"), None, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 400


async def test_unsupported_protocol_version_header_is_400(gateway: InProcessGateway, mint: Mint) -> None:
    token = mint("alice")
    session = await _open_session(gateway, token)
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    response = await _post(gateway, token, session, ping, **{"MCP-Protocol-Version": "1999-01-01"})
    assert response.status_code == 400


async def test_foreign_origin_and_host_are_403(gateway: InProcessGateway, mint: Mint) -> None:
    token = mint("alice")
    assert (await _post(gateway, token, None, INIT, Origin="https://evil.example")).status_code == 403
    assert (await _post(gateway, token, None, INIT, Origin="http://localhost:3000")).status_code == 200
    assert (await _post(gateway, token, None, INIT, Host="evil.example")).status_code == 403


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:{port}.evil.example",
        "http://localhost:{port}.evil.example",
        "http://127.0.0.1.evil.example:{port}",
        "http://evil.example#@127.0.0.1:{port}",
        "http://127.0.0.1:{port}@evil.example",
        "http://user@127.0.0.1:{port}",
        "http://127.0.0.1:{port}/path",
        "file://127.0.0.1",
        "null",
    ],
)
async def test_origin_is_compared_as_serialized_never_parsed_as_a_url(
    gateway: InProcessGateway, mint: Mint, origin: str
) -> None:
    port = gateway.base_url.rsplit(":", 1)[1]
    response = await _post(gateway, mint("alice"), None, INIT, Origin=origin.format(port=port))
    assert response.status_code == 403


@pytest.mark.parametrize(
    "name",
    ["Mcp-Session-Id", "MCP-Protocol-Version", "Mcp-Method", "Mcp-Name", "Mcp-Param-Text", "Authorization"],
)
async def test_a_repeated_mcp_or_authorization_header_is_400(
    gateway: InProcessGateway, mint: Mint, name: str
) -> None:
    token = mint("alice")
    session = await _open_session(gateway, token)
    values = {
        "Mcp-Session-Id": session,
        "MCP-Protocol-Version": "2025-11-25",
        "Mcp-Method": "tools/list",
        "Mcp-Name": "demo__echo",
        "Mcp-Param-Text": "hi",
        "Authorization": f"Bearer {token}",
    }
    headers = [
        (key, value)
        for key, value in _headers(token, session, **{"MCP-Protocol-Version": "2025-11-25"}).items()
    ]
    headers = [(key, value) for key, value in headers if key.lower() != name.lower()]
    headers += [(name, values[name]), (name, values[name])]
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    response = await gateway.http.post(gateway.url, content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == -32020


async def test_unsupported_http_method_is_405(gateway: InProcessGateway, mint: Mint) -> None:
    response = await gateway.http.put(gateway.url, headers=_headers(mint("alice")))
    assert response.status_code == 405


async def test_missing_token_gets_401_with_resource_metadata(gateway: InProcessGateway) -> None:
    response = await gateway.http.post(gateway.url, json=INIT, headers={"Accept": ACCEPT})
    assert response.status_code == 401
    challenge = response.headers["www-authenticate"]
    assert challenge == (
        f'Bearer resource_metadata="{gateway.base_url}/.well-known/oauth-protected-resource/mcp"'
    )
    assert response.json()["error"]["code"] == -32600


async def test_token_in_query_string_is_refused(gateway: InProcessGateway, mint: Mint) -> None:
    response = await gateway.http.post(
        f"{gateway.url}?access_token={mint('alice')}", json=INIT, headers={"Accept": ACCEPT}
    )
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


async def test_protected_resource_metadata_names_the_mcp_resource(gateway: InProcessGateway) -> None:
    for path in ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"):
        response = await gateway.http.get(gateway.base_url + path)
        assert response.status_code == 200
        assert response.json()["resource"] == gateway.url
        assert response.json()["authorization_servers"]


async def test_health_and_readiness(gateway: InProcessGateway) -> None:
    assert (await gateway.http.get(f"{gateway.base_url}/healthz")).json() == {"status": "ok"}
    ready = (await gateway.http.get(f"{gateway.base_url}/readyz")).json()
    assert ready["status"] == "ready"
    assert ready["upstreams"] == {"demo": True, "web": True}


async def test_unknown_paths_are_404_json(gateway: InProcessGateway) -> None:
    response = await gateway.http.get(f"{gateway.base_url}/nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == -32600
