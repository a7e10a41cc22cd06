"""Personal tokens used on a real gateway: the owner's view, narrowed; revoked and expired
tokens refused on the next request with 401 invalid_token."""

from __future__ import annotations

import time

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from authz_mcp.errors import INVALID_PARAMS
from authz_mcp.tokens import SqliteTokenStore, TokenRecord
from authz_mcp.tokens.factory import sqlite_path
from authz_mcp.tokens.secret import new_token, new_token_id, token_hash
from tests.cli.runner import run_cli
from tests.support.clients import mcp_client
from tests.support.raw import ACCEPT, INITIALIZE, RawSession
from tests.tokens.conftest import PatGateway
from tests.tokens.wire import initialize

BOB_TOOLS = {"demo__echo", "demo__add", "demo__get_forecast"}


def cli_token(gateway: PatGateway, user: str, *args: str) -> str:
    result = run_cli("token", "create", "--config", str(gateway.config_path), "--user", user, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def assert_invalid_token(response: httpx.Response, gateway: PatGateway) -> None:
    assert response.status_code == 401
    metadata = f"{gateway.process.base_url}/.well-known/oauth-protected-resource/mcp"
    assert (
        response.headers["www-authenticate"]
        == f'Bearer resource_metadata="{metadata}", error="invalid_token"'
    )
    # Revoked, expired, unknown or malformed: the holder of an old token cannot tell which.
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": -32600,
            "message": "The access token is invalid",
            "data": {"oauth_error": "invalid_token"},
        },
    }


async def tool_names(url: str, token: str) -> set[str]:
    async with mcp_client(url, token) as client:
        return {tool.name for tool in (await client.list_tools()).tools}


async def test_personal_token_sees_what_its_owner_sees(pat_gateway: PatGateway) -> None:
    token = cli_token(pat_gateway, "bob")

    assert await tool_names(pat_gateway.url, token) == BOB_TOOLS
    assert await tool_names(pat_gateway.url, pat_gateway.jwt("bob")) == BOB_TOOLS


async def test_scoped_token_is_narrower_than_its_owner(pat_gateway: PatGateway) -> None:
    # delete_record is denied to bob by policy: naming it in a scope cannot grant it.
    token = cli_token(pat_gateway, "bob", "--scope", "demo/tools/echo", "--scope", "demo/tools/delete_record")

    assert await tool_names(pat_gateway.url, token) == {"demo__echo"}
    async with mcp_client(pat_gateway.url, token) as client:
        assert (await client.call_tool("demo__echo", {"text": "hi"})).is_error is False
        with pytest.raises(MCPError) as refused:
            await client.call_tool("demo__add", {"a": 1, "b": 2})
    assert refused.value.error.code == INVALID_PARAMS


async def test_revoked_token_is_refused_on_the_next_request_of_its_session(pat_gateway: PatGateway) -> None:
    token = cli_token(pat_gateway, "bob")
    async with httpx.AsyncClient(timeout=20) as http:
        session = RawSession(http, pat_gateway.url, token)
        await session.initialize()
        assert "result" in await session.request("tools/list")

        revoked = run_cli("token", "revoke", "--config", str(pat_gateway.config_path), token)
        assert revoked.returncode == 0, revoked.stderr

        response = await http.post(
            pat_gateway.url,
            json={"jsonrpc": "2.0", "id": 9, "method": "tools/list"},
            headers=session.headers(),
        )
    assert_invalid_token(response, pat_gateway)


async def test_expired_token_is_refused(pat_gateway: PatGateway) -> None:
    # Written straight into the gateway's SQLite file: the CLI cannot make a token that is
    # already expired, and a test must not wait for one to expire.
    token, now = new_token(), time.time()
    store = SqliteTokenStore(sqlite_path(f"sqlite:///{pat_gateway.config_path.parent}/state.db"))
    record = TokenRecord(new_token_id(), token_hash(token), "bob", "old", None, now - 7200, now - 60, "cli")
    await store.add(record)
    await store.aclose()

    assert_invalid_token(initialize(pat_gateway.url, token), pat_gateway)


@pytest.mark.parametrize("token", ["amcp_" + "A" * 43, "amcp_nope"], ids=["unknown", "malformed"])
def test_unknown_personal_token_is_refused(pat_gateway: PatGateway, token: str) -> None:
    assert_invalid_token(initialize(pat_gateway.url, token), pat_gateway)


def test_token_in_the_query_string_is_refused(pat_gateway: PatGateway) -> None:
    token = cli_token(pat_gateway, "bob")
    headers = {"Authorization": f"Bearer {token}", "Accept": ACCEPT, "Content-Type": "application/json"}

    in_query = httpx.post(
        f"{pat_gateway.url}?access_token={token}", json=INITIALIZE, headers=headers, timeout=20
    )
    api_in_query = httpx.get(f"{pat_gateway.api}?access_token={pat_gateway.jwt('bob')}", timeout=20)

    assert_invalid_token(in_query, pat_gateway)
    assert api_in_query.status_code == 401
    assert initialize(pat_gateway.url, token).status_code == 200


def test_readiness_covers_the_token_store(pat_gateway: PatGateway) -> None:
    ready = httpx.get(f"{pat_gateway.process.base_url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json()["token_store"] == "ok"
    assert ready.json()["store"] == "ok"
